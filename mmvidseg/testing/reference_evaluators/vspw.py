# Copyright (c) OpenMMLab. All rights reserved.
"""VSPW's mIoU and VC, as plain loops over pixels (test oracle).

Written from the definitions in VSPW-dataset/VSPW_code @ ``73b98ce``
(files of commit ``f86be0c``), ``utils.py``:

* ``Evaluator._generate_matrix`` (lines 91-100): a pixel is counted iff
  its ground-truth value ``g`` satisfies ``0 <= g < num_class``; it adds 1
  to cell ``(g, p)`` of the confusion matrix (rows = ground truth, columns
  = prediction ``p``). ``evaluator_test.py`` adds every frame of every
  video to one matrix (``add_batch``, lines 102-104).
* ``Evaluator.Mean_Intersection_over_Union`` (lines 74-80): per class
  ``IoU = diag / (row sum + column sum - diag)``; ``isval = row sum > 0``;
  ``mIoU = nansum(IoU * isval) / isval.sum()``, i.e. the mean IoU over the
  classes with ground-truth pixels (a class that is only predicted has
  ``IoU * isval = 0`` and is not in the count).
* ``get_common`` (lines 37-53, as ``VC_perclip.py``): VC of the window
  starting at frame ``i`` for ``i in range(T - n)``.

Slow on purpose; never used to evaluate a model.
"""
from typing import Dict, List, Sequence

import numpy as np


def vspw_miou_reference(videos: Sequence[Sequence[tuple]],
                        num_classes: int) -> Dict[str, float]:
    """VSPW's mIoU of ``videos`` (lists of ``(gt, pred)`` (H, W) frames).

    Args:
        videos (Sequence[Sequence[tuple]]): Per video, ``(gt, pred)``
            class-id maps per frame.
        num_classes (int): ``num_class`` of the official ``Evaluator``.

    Returns:
        dict: ``mIoU`` (NaN when no pixel is counted, the official
        ``0 / 0``), ``aAcc`` and ``IoU`` (a list; NaN for classes without
        ground truth, which the official mean leaves out).
    """
    cells: Dict[tuple, int] = {}
    for frames in videos:
        for gt, pred in frames:
            for g, p in zip(np.ravel(gt).tolist(), np.ravel(pred).tolist()):
                if 0 <= g < num_classes:  # utils.py line 92
                    cells[g, p] = cells.get((g, p), 0) + 1
    rows = [0] * num_classes
    cols = [0] * num_classes
    diag = [0] * num_classes
    for (g, p), n in cells.items():
        rows[g] += n
        cols[p] += n
        if g == p:
            diag[g] += n
    ious: List[float] = []
    for c in range(num_classes):
        if rows[c] > 0:  # isval, utils.py line 78
            ious.append(diag[c] / (rows[c] + cols[c] - diag[c]))
        else:
            ious.append(float('nan'))
    scored = [v for c, v in enumerate(ious) if rows[c] > 0]
    total = sum(rows)
    return {
        'mIoU': sum(scored) / len(scored) if scored else float('nan'),
        'aAcc': sum(diag) / total if total else float('nan'),
        'IoU': ious,
    }


def vspw_vc_reference(gts: Sequence[np.ndarray], preds: Sequence[np.ndarray],
                      n: int) -> List[float]:
    """VC_n of each window of one video, as ``get_common`` defines it: the
    share of the pixels whose ground truth is equal in the window's first
    frame and each later one where the prediction is too; NaN for a
    window without such a pixel."""
    out = []
    for i in range(len(gts) - n):
        g = np.ones(np.shape(gts[0]), bool)
        p = np.ones(np.shape(gts[0]), bool)
        for j in range(1, n):
            g &= np.asarray(gts[i]) == np.asarray(gts[i + j])
            p &= np.asarray(preds[i]) == np.asarray(preds[i + j])
        out.append((p & g).sum() / g.sum() if g.sum() else float('nan'))
    return out
