# Copyright (c) OpenMMLab. All rights reserved.
"""MEGA's ``eval_detection_vid`` (ImageNet VID devkit mAP), as plain loops
(test oracle)."""
from collections import defaultdict
from typing import Dict, List

import numpy as np


def _box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, M) IoUs of (N, 4) and (M, 4) xyxy boxes, with MEGA's ``+ 1``
    pixel convention (``boxlist_iou``)."""
    import torch
    a, b = torch.as_tensor(a), torch.as_tensor(b)
    area1 = (a[:, 2] - a[:, 0] + 1) * (a[:, 3] - a[:, 1] + 1)
    area2 = (b[:, 2] - b[:, 0] + 1) * (b[:, 3] - b[:, 1] + 1)
    lt = torch.max(a[:, None, :2], b[:, :2])
    rb = torch.min(a[:, None, 2:], b[:, 2:])
    wh = (rb - lt + 1).clamp(min=0)
    inter = wh[:, :, 0] * wh[:, :, 1]
    return (inter / (area1[:, None] + area2 - inter)).numpy()


def _greedy_match(iou: np.ndarray, iou_thresh: float) -> List[int]:
    """1 (matched) or 0 per detection (rows of ``iou``, in score order):
    each takes the free ground truth of largest IoU ``>= iou_thresh``, the
    first one among equal IoUs."""
    match = []
    selec = np.zeros(iou.shape[1], dtype=bool)
    for j in range(iou.shape[0]):
        iou_match, arg = iou_thresh, -1
        for k in range(iou.shape[1]):
            if selec[k] or iou[j, k] < iou_match:
                continue
            if iou[j, k] == iou_match:
                if arg < 0:
                    arg = k
            else:
                arg = k
            iou_match = iou[j, k]
        if arg >= 0:
            match.append(1)
            selec[arg] = True
        else:
            match.append(0)
    return match


def _frame_class(pbl: np.ndarray, gbl: np.ndarray,
                 iou_thresh: float) -> List[int]:
    """The match flags of one class's detections in one frame.

    Args:
        pbl (np.ndarray): (N, 4) boxes, sorted by descending score.
        gbl (np.ndarray): (M, 4) ground-truth boxes.
        iou_thresh (float): IoU threshold.
    """
    if len(pbl) == 0:
        return []
    if len(gbl) == 0:
        return [0] * pbl.shape[0]
    pbl = pbl.copy()
    pbl[:, 2:] += 1
    gbl = gbl.copy()
    gbl[:, 2:] += 1
    return _greedy_match(_box_iou(pbl, gbl), iou_thresh)


def _class_ap(scores: list, matches: list, n_pos: int) -> float:
    """VOC-style AP (all points) of one class from its pooled detections;
    NaN when the class has no ground truth."""
    s = np.array(scores)
    m = np.array(matches, dtype=np.int8)
    m = m[s.argsort()[::-1]]
    tp = np.cumsum(m == 1)
    fp = np.cumsum((m == 0) * np.ones(len(m)))
    prec = tp / (fp + tp + np.spacing(1))
    if n_pos == 0:
        return np.nan
    rec = tp / n_pos
    mpre = np.concatenate(([0], np.nan_to_num(prec), [0]))
    mrec = np.concatenate(([0], rec, [1]))
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]
    i = np.where(mrec[1:] != mrec[:-1])[0]
    return np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1])


def vid_reference(frames: List[tuple], iou_thresh: float = 0.5) -> Dict:
    """MEGA's ``eval_detection_vid`` (no motion ranges) on numpy inputs.

    Args:
        frames (List[tuple]): ``(pred_boxes, pred_labels, pred_scores,
            gt_boxes, gt_labels)`` per frame (boxes (N, 4) xyxy).
        iou_thresh (float): IoU threshold. Defaults to 0.5.

    Returns:
        dict: ``mAP50`` and ``AP`` (per label, NaN where absent).
    """
    n_pos, score, match = defaultdict(int), defaultdict(list), \
        defaultdict(list)
    for pb, pl, ps, gb, gl in frames:
        pb = np.asarray(pb, np.float32).reshape(-1, 4)
        gb = np.asarray(gb, np.float32).reshape(-1, 4)
        pl, gl = np.asarray(pl), np.asarray(gl)
        ps = np.asarray(ps, np.float32)
        for lab in np.unique(np.concatenate((pl, gl)).astype(int)):
            pbl, psl = pb[pl == lab], ps[pl == lab]
            order = psl.argsort()[::-1]
            pbl, psl = pbl[order], psl[order]
            gbl = gb[gl == lab]
            n_pos[lab] += gbl.shape[0]
            score[lab].extend(psl)
            match[lab].extend(_frame_class(pbl, gbl, iou_thresh))
    ap = np.full(max(n_pos.keys()) + 1, np.nan)
    for lab in n_pos:
        ap[lab] = _class_ap(score[lab], match[lab], n_pos[lab])
    return {'mAP50': float(np.nanmean(ap)), 'AP': ap}
