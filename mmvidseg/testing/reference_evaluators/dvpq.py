# Copyright (c) OpenMMLab. All rights reserved.
"""ViP-DeepLab's Cityscapes-DVPS ``eval_dvpq.py``, as plain loops (test
oracle), with the intended (signed) depth arithmetic."""
from typing import Dict, List, Sequence, Tuple

import numpy as np


def _counts(a: np.ndarray) -> Dict[int, int]:
    """``{value: occurrences}`` of an array."""
    u, c = np.unique(a, return_counts=True)
    return dict(zip(u.tolist(), c.tolist()))


def _dvpq_window_reference(preds: List[np.ndarray],
                           gts: List[np.ndarray],
                           max_ins: int = 1000,
                           ign_id: int = 32,
                           num_cat: int = 20) -> Tuple[np.ndarray, ...]:
    """``vpq_eval`` of one window: the (H, W) maps of its frames are
    concatenated side by side and scored as one image.

    Returns:
        tuple: Per-category ``(iou, tp, fn, fp)``, (num_cat,) arrays each.
    """
    offset = 256 * 256
    iou_c, tp_c, fn_c, fp_c = (np.zeros(num_cat) for _ in range(4))
    pred_ids = np.concatenate(preds, axis=1)
    gt_ids = np.concatenate(gts, axis=1)
    pred_areas, gt_areas = _counts(pred_ids), _counts(gt_ids)
    void_id = ign_id * max_ins
    ign_ids = {g for g in gt_areas if g // max_ins == ign_id}
    int_areas = _counts(
        gt_ids.astype(np.uint64) * offset + pred_ids.astype(np.uint64))
    gm, pm = set(), set()
    for key, inter in int_areas.items():
        g, p = key // offset, key % offset
        if g // max_ins != p // max_ins:
            continue
        union = gt_areas[g] + pred_areas[p] - inter - int_areas.get(
            void_id * offset + p, 0)
        iou = inter / union
        if iou > 0.5:
            tp_c[g // max_ins] += 1
            iou_c[g // max_ins] += iou
            gm.add(g)
            pm.add(p)
    for g in gt_areas:
        if g in gm or g // max_ins == ign_id:
            continue
        fn_c[g // max_ins] += 1
    for p in pred_areas:
        if p in pm:
            continue
        ign = sum(int_areas.get(i * offset + p, 0) for i in ign_ids)
        if ign / pred_areas[p] > 0.5:
            continue
        fp_c[p // max_ins] += 1
    return iou_c, tp_c, fn_c, fp_c


def _depth_filtered(seq: List[tuple], lam: float,
                    num_classes: int) -> Tuple[list, list]:
    """The uint32 panoptic maps of a sequence, the predicted pixels whose
    relative depth error exceeds ``lam`` moved to class ``num_classes``."""
    preds, gts = [], []
    for gt, pred, dg, dp in seq:
        pred = pred.astype(np.uint32).copy()
        if lam > 0:
            dg = dg.astype(np.int64)
            dp = dp.astype(np.int64)
            m = dg > 0
            bad = np.abs(dp[m] - dg[m]) / dg[m] > lam
            sub = pred[m]
            sub[bad] = num_classes * 1000
            pred[m] = sub
        preds.append(pred)
        gts.append(gt.astype(np.uint32))
    return preds, gts


def dvpq_reference(sequences: List[List[tuple]],
                   windows: Sequence[int],
                   thresholds: Sequence[float],
                   num_classes: int = 19,
                   things: Sequence[int] = tuple(range(11, 19))
                   ) -> Dict[str, float]:
    """ViP-DeepLab's Cityscapes-DVPS algorithm (intended depth arithmetic).

    Args:
        sequences (List[List[tuple]]): Per sequence, ``(gt, pred,
            depth_gt, depth_pred)`` per frame, (H, W) arrays; panoptic ids
            ``class * 1000 + instance``, void class 32, depth 0 = none.
        windows (Sequence[int]): Window sizes.
        thresholds (Sequence[float]): Depth thresholds (0: no depth).
        num_classes (int): Evaluated classes. Defaults to 19.
        things (Sequence[int]): Thing class ids. Defaults to 11..18.

    Returns:
        dict: ``DVPQ@k@lambda``, ``DVPQ_th@k@lambda`` and ``DVPQ``.
    """
    out, vals = {}, []
    thing_mask = np.zeros(num_classes, bool)
    thing_mask[list(things)] = True
    for k in windows:
        for lam in thresholds:
            tot = np.zeros((4, num_classes + 1))
            for seq in sequences:
                preds, gts = _depth_filtered(seq, lam, num_classes)
                for i in range(len(seq) - k + 1):
                    r = _dvpq_window_reference(preds[i:i + k], gts[i:i + k],
                                               num_cat=num_classes + 1)
                    tot += np.stack(r)
            iou, tp, fn, fp = tot[:, :num_classes]
            with np.errstate(divide='ignore', invalid='ignore'):
                pq = (iou / tp) * (tp / (tp + 0.5 * fn + 0.5 * fp))
            out[f'DVPQ@{k}@{lam}'] = 100 * pq.mean()
            out[f'DVPQ_th@{k}@{lam}'] = 100 * pq[thing_mask].mean()
            vals.append(out[f'DVPQ@{k}@{lam}'])
    out['DVPQ'] = float(np.mean(vals))
    return out
