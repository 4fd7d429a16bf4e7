# Copyright (c) OpenMMLab. All rights reserved.
"""ViP-DeepLab's ``eval_dvpq.py`` scripts, as plain loops (test oracle),
with the intended (signed) depth arithmetic.

Written from joe-siyuan-qiao/ViP-DeepLab @ ``f1c0c43``:

* ``cityscapes-dvps/eval_dvpq.py``: ``vpq_eval`` lines 26-109 (``max_ins =
  1000``, void class ``ign_id = 32``, ``offset = 256 * 256``), ``eval``
  lines 112-169 (depth drop to class 19, windows of ``eval_frames`` within
  one sequence), ``main`` lines 184-237 (``epsilon = 0`` line 222, things
  ``pq[11:]`` line 232).
* ``semkitti-dvps/eval_dvpq.py``: ``vpq_eval`` lines 25-101 (``max_ins =
  2 ** 20``, ``ign_id = 255``, ``offset = 2 ** 30``), ``eval`` lines
  104-150 (ids ``cat * 2**20 + ins``, depth drop to ``19 * max_ins`` where
  the ground-truth depth is > 0 and the relative error > ``depth_thres``),
  ``main`` lines 153-210 (windows ``[i, i + eval_frames)`` for ``i in
  range(len(files) - eval_frames + 1)`` over all files sorted by name,
  lines 178-184; ``epsilon = 1e-10`` line 195; things ``pq[:8]``, stuff
  ``pq[8:]``, lines 204-205).
"""
from typing import Dict, List, Sequence, Tuple

import numpy as np


def _counts(a: np.ndarray) -> Dict[int, int]:
    """``{value: occurrences}`` of an array."""
    u, c = np.unique(a, return_counts=True)
    return dict(zip(u.tolist(), c.tolist()))


#: The scripts' constants: class multiplier, void class, pair-id offset,
#: epsilon, whether windows run over all files (not per sequence).
RULES = {
    'cityscapes': dict(max_ins=1000, ign_id=32, offset=256 * 256,
                       epsilon=0.0, one_stream=False),
    'semkitti': dict(max_ins=2**20, ign_id=255, offset=2**30,
                     epsilon=1e-10, one_stream=True),
}


def _dvpq_window_reference(preds: List[np.ndarray],
                           gts: List[np.ndarray],
                           max_ins: int = 1000,
                           ign_id: int = 32,
                           num_cat: int = 20,
                           offset: int = 256 * 256) -> Tuple[np.ndarray, ...]:
    """``vpq_eval`` of one window: the (H, W) maps of its frames are
    concatenated side by side and scored as one image.

    Returns:
        tuple: Per-category ``(iou, tp, fn, fp)``, (num_cat,) arrays each.
    """
    iou_c, tp_c, fn_c, fp_c = (np.zeros(num_cat) for _ in range(4))
    pred_ids = np.concatenate(preds, axis=1)
    gt_ids = np.concatenate(gts, axis=1)
    pred_areas, gt_areas = _counts(pred_ids), _counts(gt_ids)
    void_id = ign_id * max_ins
    ign_ids = {g for g in gt_areas if g // max_ins == ign_id}
    int_areas = _counts(
        gt_ids.astype(np.int64) * offset + pred_ids.astype(np.int64))
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


def _depth_filtered(seq: List[tuple], lam: float, num_classes: int,
                    max_ins: int = 1000) -> Tuple[list, list]:
    """The int64 panoptic maps of a sequence, the predicted pixels whose
    relative depth error exceeds ``lam`` moved to class ``num_classes``."""
    preds, gts = [], []
    for gt, pred, dg, dp in seq:
        pred = pred.astype(np.int64).copy()
        if lam > 0:
            dg = dg.astype(np.int64)
            dp = dp.astype(np.int64)
            m = dg > 0
            bad = np.abs(dp[m] - dg[m]) / dg[m] > lam
            sub = pred[m]
            sub[bad] = num_classes * max_ins
            pred[m] = sub
        preds.append(pred)
        gts.append(gt.astype(np.int64))
    return preds, gts


def dvpq_reference(sequences: List[List[tuple]],
                   windows: Sequence[int],
                   thresholds: Sequence[float],
                   num_classes: int = 19,
                   things: Sequence[int] = tuple(range(11, 19)),
                   rules: str = 'cityscapes') -> Dict[str, float]:
    """ViP-DeepLab's DVPQ algorithm (intended depth arithmetic).

    Args:
        sequences (List[List[tuple]]): Per sequence, ``(gt, pred,
            depth_gt, depth_pred)`` per frame, (H, W) arrays; panoptic ids
            ``class * max_ins + instance`` with the rules' ``max_ins`` and
            void class (Cityscapes: 1000, 32; SemKITTI: 2**20, 255), depth
            0 = none.
        windows (Sequence[int]): Window sizes.
        thresholds (Sequence[float]): Depth thresholds (0: no depth).
        num_classes (int): Evaluated classes. Defaults to 19.
        things (Sequence[int]): Thing class ids. Defaults to 11..18.
        rules (str): ``'cityscapes'`` or ``'semkitti'`` (whose windows run
            over the frames of all sequences in the order given, as its
            script runs them over all files sorted by name). Defaults to
            ``'cityscapes'``.

    Returns:
        dict: ``DVPQ@k@lambda``, ``DVPQ_th@k@lambda``,
        ``DVPQ_st@k@lambda`` and their means over all (k, lambda):
        ``DVPQ``, ``DVPQ_th``, ``DVPQ_st``.
    """
    r = RULES[rules]
    if r['one_stream']:
        sequences = [[f for seq in sequences for f in seq]]
    out, vals = {}, {}
    thing_mask = np.zeros(num_classes, bool)
    thing_mask[list(things)] = True
    for k in windows:
        for lam in thresholds:
            tot = np.zeros((4, num_classes + 1))
            for seq in sequences:
                preds, gts = _depth_filtered(seq, lam, num_classes,
                                             r['max_ins'])
                for i in range(len(seq) - k + 1):
                    tot += np.stack(_dvpq_window_reference(
                        preds[i:i + k], gts[i:i + k], r['max_ins'],
                        r['ign_id'], num_classes + 1, r['offset']))
            iou, tp, fn, fp = tot[:, :num_classes]
            eps = r['epsilon']
            with np.errstate(divide='ignore', invalid='ignore'):
                pq = (iou / (tp + eps)) * (tp / (tp + 0.5 * fn + 0.5 * fp +
                                                 eps))
            for suffix, sel in (('', slice(None)), ('_th', thing_mask),
                                ('_st', ~thing_mask)):
                out[f'DVPQ{suffix}@{k}@{lam}'] = 100 * pq[sel].mean() \
                    if pq[sel].size else float('nan')
                vals.setdefault(suffix, []).append(
                    out[f'DVPQ{suffix}@{k}@{lam}'])
    for suffix, v in vals.items():
        out[f'DVPQ{suffix}'] = float(np.mean(v))
    return out
