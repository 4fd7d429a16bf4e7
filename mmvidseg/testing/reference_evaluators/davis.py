# Copyright (c) OpenMMLab. All rights reserved.
"""davis2017-evaluation's semi-supervised J&F, as plain loops (test
oracle): per-object full-frame ``seg2bmap`` and ``cv2.dilate``.

The boundary map, the disk and the F rule on the pixel counts are the
official definitions, shared with
:mod:`mmvidseg.evaluation.functional.davis` (whose own tests pin them on
hand-computed cases); what this checks is that implementation's one-pass
boundary extraction and sparse disk matching.
"""
from typing import Dict, List, Tuple

import numpy as np


def _f_reference(fg: np.ndarray, gt: np.ndarray,
                 bound_th: float = 0.008) -> float:
    """Boundary F-measure of two (H, W) masks (``f_measure``)."""
    import cv2

    from mmvidseg.evaluation.functional.davis import (disk, f_from_counts,
                                                      seg2bmap)
    kernel = disk(np.ceil(bound_th * np.linalg.norm(fg.shape)))
    fb, gb = seg2bmap(fg), seg2bmap(gt)
    fd = cv2.dilate(fb.astype(np.uint8), kernel)
    gd = cv2.dilate(gb.astype(np.uint8), kernel)
    return f_from_counts(int(np.sum(fb)), int(np.sum(gb)),
                         int(np.sum(fb * gd)), int(np.sum(gb * fd)))


def _stats_reference(v: np.ndarray) -> Tuple[float, float, float]:
    """Mean, recall and decay of a (T,) per-frame score (``db_statistics``
    with 4 bins)."""
    m = np.nanmean(v)
    o = np.nanmean(v > 0.5)
    ids = np.round(np.linspace(1, len(v), 5) + 1e-10) - 1
    ids = ids.astype(np.uint8)
    bins = [v[ids[i]:ids[i + 1] + 1] for i in range(4)]
    return m, o, np.nanmean(bins[0]) - np.nanmean(bins[3])


def _object_masks(gt: np.ndarray,
                  pred: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """(N, T - 2, H, W) bool masks of the N objects of the first frame, on
    the scored frames (first and last left out), for each side."""
    gt = np.where(gt == 255, 0, gt).astype(np.float64)
    n = int(gt[0].max())
    gmasks = np.arange(1, n + 1)[:, None, None, None] == gt[None]
    gmasks = gmasks[:, 1:-1]
    pred = pred[1:-1].astype(np.float64)
    pmasks = np.arange(1, int(pred.max()) + 1)[:, None, None,
                                               None] == pred[None]
    assert pmasks.shape[0] == n
    return gmasks, pmasks


def davis_reference(
        sequences: List[Tuple[np.ndarray, np.ndarray]]) -> Dict[str, float]:
    """davis2017-evaluation's semi-supervised algorithm.

    Args:
        sequences (List[tuple]): ``(gt, pred)`` per sequence, (T, H, W)
            object-index arrays (0 background, 255 void in the ground
            truth).

    Returns:
        dict: ``J&F`` and the six J/F statistics.
    """
    jm, jr, jd, fm, fr, fd = [], [], [], [], [], []
    for gt, pred in sequences:
        gmasks, pmasks = _object_masks(gt, pred)
        for g, p in zip(gmasks, pmasks):
            inter = np.sum(g & p, axis=(-2, -1))
            union = np.sum(g | p, axis=(-2, -1))
            with np.errstate(divide='ignore', invalid='ignore'):
                j = inter / union
            j[np.isclose(union, 0)] = 1
            f = np.array([_f_reference(p[t], g[t]) for t in range(len(g))])
            a, b, c = _stats_reference(j)
            jm.append(a), jr.append(b), jd.append(c)
            a, b, c = _stats_reference(f)
            fm.append(a), fr.append(b), fd.append(c)
    return {
        'J&F': (np.mean(jm) + np.mean(fm)) / 2.,
        'J-Mean': np.mean(jm), 'J-Recall': np.mean(jr),
        'J-Decay': np.mean(jd), 'F-Mean': np.mean(fm),
        'F-Recall': np.mean(fr), 'F-Decay': np.mean(fd)
    }
