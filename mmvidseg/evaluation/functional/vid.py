# Copyright (c) OpenMMLab. All rights reserved.
"""ImageNet VID mAP@0.5, as the VID devkit in MEGA's ``vid_eval.py``.

Reproduces ``eval_detection_vid`` (``motion_specific=False``,
``use_07_metric=False``) of ``mega_core/.../vid/vid_eval.py`` with its
conventions:

* Boxes are ``x1, y1, x2, y2`` in float32. The "integer" box convention is
  applied twice: ``vid_eval`` adds 1 to ``x2, y2``, then ``boxlist_iou``
  adds ``TO_REMOVE = 1`` again to widths, heights and intersections.
* Per frame and class, detections sorted by score (``argsort()[::-1]``)
  are matched greedily to the unmatched ground truth with the highest IoU,
  if that IoU is >= 0.5 (ties go to the first box).
* Per class, all detections of all frames are ranked by score (again
  ``argsort()[::-1]``, as float32, in frame order) and the all-point
  (VOC 2010+) AP is computed; classes without ground truth have AP NaN and
  are left out of the mean (``np.nanmean``). mAP50 is a fraction.

The float32 box arithmetic, the tie orders of the sorts and the frame
order (the order frames are added, i.e. the ground-truth ``images`` list)
are kept, so the numbers are the devkit's bit for bit. Motion-specific AP
(slow/medium/fast) needs the devkit's motion-IoU ``.mat`` file and is not
implemented.

Each frame is reduced to one (class, score, matched) triple per detection
and the classes of its ground-truth boxes, so memory grows with the number
of boxes only.
"""
import math
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import numpy as np


def vid_box_iou(boxes1: np.ndarray, boxes2: np.ndarray) -> np.ndarray:
    """IoU with the devkit's double +1 convention, in float32.

    Args:
        boxes1 (np.ndarray): (N, 4) x1, y1, x2, y2.
        boxes2 (np.ndarray): (M, 4).

    Returns:
        np.ndarray: (N, M) float32 IoUs.
    """
    b1 = np.array(boxes1, np.float32).reshape(-1, 4)
    b2 = np.array(boxes2, np.float32).reshape(-1, 4)
    one = np.float32(1)
    b1[:, 2:] += one  # vid_eval.py: "VID evaluation follows integer boxes"
    b2[:, 2:] += one
    area1 = (b1[:, 2] - b1[:, 0] + one) * (b1[:, 3] - b1[:, 1] + one)
    area2 = (b2[:, 2] - b2[:, 0] + one) * (b2[:, 3] - b2[:, 1] + one)
    lt = np.maximum(b1[:, None, :2], b2[None, :, :2])
    rb = np.minimum(b1[:, None, 2:], b2[None, :, 2:])
    wh = np.maximum(rb - lt + one, np.float32(0))
    inter = wh[..., 0] * wh[..., 1]
    return inter / (area1[:, None] + area2[None, :] - inter)


@dataclass
class VIDStats:
    """Per-frame detections (class, score, matched) and ground-truth classes.

    Attributes:
        det_labels (List[np.ndarray]): Per frame, (N,) int64 classes of the
            detections, grouped by class and sorted as the devkit sorts
            them within each class.
        det_scores (List[np.ndarray]): Per frame, (N,) float32 scores.
        det_matches (List[np.ndarray]): Per frame, (N,) int8, 1 for a true
            positive.
        gt_labels (List[np.ndarray]): Per frame, (M,) int64 classes of the
            ground-truth boxes.
        num_frames (int): Frames added.
    """
    det_labels: List[np.ndarray] = field(default_factory=list)
    det_scores: List[np.ndarray] = field(default_factory=list)
    det_matches: List[np.ndarray] = field(default_factory=list)
    gt_labels: List[np.ndarray] = field(default_factory=list)
    num_frames: int = 0

    def extend(self, other: 'VIDStats') -> None:
        """Append another video's statistics (after this one's frames)."""
        self.det_labels.extend(other.det_labels)
        self.det_scores.extend(other.det_scores)
        self.det_matches.extend(other.det_matches)
        self.gt_labels.extend(other.gt_labels)
        self.num_frames += other.num_frames


def _devkit_order(labels: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Detections grouped by class (ascending), each class in the devkit's
    order ``scores.argsort()[::-1]``.

    Without tied scores inside a class that order is the descending one, so
    one ``lexsort`` gives all classes; a class with ties is re-sorted with
    the devkit's own expression, which fixes where its ties go.
    """
    order = np.lexsort((-scores, labels))
    sl, ss = labels[order], scores[order]
    tied = (sl[1:] == sl[:-1]) & (ss[1:] == ss[:-1])
    for label in np.unique(sl[1:][tied]):
        idx = np.flatnonzero(labels == label)
        order[sl == label] = idx[scores[idx].argsort()[::-1]]
    return order


def vid_frame(stats: VIDStats,
              pred_boxes: np.ndarray,
              pred_labels: np.ndarray,
              pred_scores: np.ndarray,
              gt_boxes: np.ndarray,
              gt_labels: np.ndarray,
              iou_thr: float = 0.5,
              where: str = '') -> None:
    """Match one frame's detections and add them to ``stats``.

    The devkit matches class by class; classes never share a ground-truth
    box, so here one IoU matrix holds all classes (-inf across classes) and
    only the detections with some IoU >= ``iou_thr`` walk the greedy loop.

    Args:
        stats (VIDStats): Statistics to update.
        pred_boxes (np.ndarray): (N, 4) x1, y1, x2, y2.
        pred_labels (np.ndarray): (N,) class ids (>= 0).
        pred_scores (np.ndarray): (N,) scores (used as float32).
        gt_boxes (np.ndarray): (M, 4).
        gt_labels (np.ndarray): (M,) class ids (>= 0).
        iou_thr (float): IoU threshold. Defaults to 0.5.
        where (str): Name of the frame, for error messages.
    """
    pred_boxes = np.asarray(pred_boxes, np.float32).reshape(-1, 4)
    gt_boxes = np.asarray(gt_boxes, np.float32).reshape(-1, 4)
    pred_labels = np.asarray(pred_labels, np.int64).reshape(-1)
    gt_labels = np.asarray(gt_labels, np.int64).reshape(-1)
    pred_scores = np.asarray(pred_scores, np.float32).reshape(-1)
    if not (len(pred_boxes) == len(pred_labels) == len(pred_scores)):
        raise ValueError(f'{where}: {len(pred_boxes)} predicted boxes, '
                         f'{len(pred_labels)} labels and '
                         f'{len(pred_scores)} scores')
    if len(gt_boxes) != len(gt_labels):
        raise ValueError(f'{where}: {len(gt_boxes)} ground-truth boxes but '
                         f'{len(gt_labels)} labels')
    if (pred_labels < 0).any() or (gt_labels < 0).any():
        raise ValueError(f'{where}: negative class ids')
    for name, arr in (('predicted box', pred_boxes),
                      ('predicted score', pred_scores),
                      ('ground-truth box', gt_boxes)):
        if not np.isfinite(arr).all():
            raise ValueError(f'{where}: a {name} is not finite (NaN or inf)')
    order = _devkit_order(pred_labels, pred_scores)
    labels, scores = pred_labels[order], pred_scores[order]
    match = np.zeros(len(order), np.int8)
    if len(order) and len(gt_labels):
        iou = vid_box_iou(pred_boxes[order], gt_boxes)
        iou[labels[:, None] != gt_labels[None, :]] = -np.inf
        taken = np.zeros(len(gt_labels), bool)
        for j in np.flatnonzero(iou.max(axis=1) >= iou_thr).tolist():
            cand = np.where(taken, -np.inf, iou[j])
            k = int(np.argmax(cand))
            if cand[k] >= iou_thr:
                match[j] = 1
                taken[k] = True
    stats.det_labels.append(labels)
    stats.det_scores.append(scores)
    stats.det_matches.append(match)
    stats.gt_labels.append(gt_labels)
    stats.num_frames += 1


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_detection(det, n: int, where: str) -> None:
    """Check detection ``n`` of a COCO-style results list: ``image_id``,
    ``category_id``, ``bbox`` (4 finite numbers ``x, y, w, h``, ``w, h >=
    0``) and ``score`` (a finite number).

    Raises:
        ValueError: Naming ``where`` (the results file) and the entry.
    """
    if not isinstance(det, dict):
        raise ValueError(f'{where}: detection {n} is not a JSON object: '
                         f'{det!r}')
    for key in ('image_id', 'category_id', 'bbox', 'score'):
        if key not in det:
            raise ValueError(f'{where}: detection {n} has no "{key}"')
    for key in ('image_id', 'category_id'):
        if not isinstance(det[key], (int, str)) or isinstance(det[key], bool):
            raise ValueError(f'{where}: detection {n} has {key} '
                             f'{det[key]!r}; expected an id')
    box = det['bbox']
    if not (isinstance(box, list) and len(box) == 4
            and all(_is_number(v) and math.isfinite(v) for v in box)):
        raise ValueError(f'{where}: detection {n} has bbox {box!r}; '
                         f'expected 4 finite numbers [x, y, w, h]')
    if box[2] < 0 or box[3] < 0:
        raise ValueError(f'{where}: detection {n} has bbox {box!r} with a '
                         f'negative width or height')
    score = det['score']
    if not _is_number(score) or not math.isfinite(score):
        raise ValueError(f'{where}: detection {n} has score {score!r}; '
                         f'expected a finite number')


def voc_ap(rec: np.ndarray, prec: np.ndarray) -> float:
    """All-point interpolated AP (the devkit's ``use_07_metric=False``)."""
    mpre = np.concatenate(([0], np.nan_to_num(prec), [0]))
    mrec = np.concatenate(([0], rec, [1]))
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]
    i = np.where(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1]))


def vid_summarize(stats: VIDStats) -> Dict:
    """Per-class AP and mAP from accumulated statistics.

    Returns:
        dict: ``mAP50`` (fraction, NaN when no class has ground truth) and
        ``AP`` (array indexed by class id, NaN for classes without ground
        truth or never seen).
    """
    cat = lambda arrays, dtype: (np.concatenate(arrays)  # noqa: E731
                                 if arrays else np.zeros(0, dtype))
    labels = cat(stats.det_labels, np.int64)
    scores = cat(stats.det_scores, np.float32)
    matches = cat(stats.det_matches, np.int8)
    gt_labels = cat(stats.gt_labels, np.int64)
    if labels.size == 0 and gt_labels.size == 0:
        raise ValueError('no frame with a prediction or an annotation')
    num = int(max(labels.max(initial=0), gt_labels.max(initial=0))) + 1
    num_pos = np.bincount(gt_labels, minlength=num)
    # each class's detections in frame order (a stable sort by class keeps
    # it), as the devkit concatenates them
    by_class = np.argsort(labels, kind='stable')
    bounds = np.searchsorted(labels[by_class], np.arange(num + 1))
    ap = np.full(num, np.nan)
    for label in np.flatnonzero(num_pos).tolist():
        sel = by_class[bounds[label]:bounds[label + 1]]
        match = matches[sel][scores[sel].argsort()[::-1]]
        tp = np.cumsum(match == 1)
        fp = np.cumsum((match == 0).astype(np.float64))
        prec = tp / (fp + tp + np.spacing(1))
        rec = tp / num_pos[label]
        ap[label] = voc_ap(rec, prec)
    with np.errstate(invalid='ignore'):
        valid = ap[~np.isnan(ap)]
        mean = float(valid.mean()) if valid.size else float('nan')
    return {'mAP50': mean, 'AP': ap}


class VIDAccumulator:
    """Accumulate frames (in dataset order) and report the devkit's mAP.

    Args:
        iou_thr (float): IoU threshold. Defaults to 0.5.

    Example:
        >>> import numpy as np
        >>> acc = VIDAccumulator()
        >>> box = np.array([[0, 0, 9, 9]])
        >>> acc.add_frame(box, [1], [0.9], box, [1])
        >>> round(acc.compute()['mAP50'], 6)
        1.0
    """

    def __init__(self, iou_thr: float = 0.5):
        self.iou_thr = iou_thr
        self.stats = VIDStats()

    def add_frame(self, pred_boxes, pred_labels, pred_scores, gt_boxes,
                  gt_labels, where: str = '') -> None:
        vid_frame(self.stats, pred_boxes, pred_labels, pred_scores, gt_boxes,
                  gt_labels, self.iou_thr, where)

    def compute(self) -> Dict:
        return vid_summarize(self.stats)


def coco_bbox_ap(gt: dict, results: List[dict],
                 where: Optional[str] = '') -> Dict[str, float]:
    """COCO box AP over all frames (pycocotools), as mmdet/mmtrack report.

    Args:
        gt (dict): A COCO(-VID) dict with ``images``, ``annotations``
            (``area`` and ``iscrowd`` default to ``w * h`` and 0) and
            ``categories``.
        results (List[dict]): ``[{image_id, category_id, bbox, score}]``.

    Returns:
        dict: ``cocoAP`` and ``cocoAP50`` (fractions, -1 when undefined).
    """
    import contextlib
    import copy
    import io

    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    dataset = dict(
        images=gt['images'], categories=gt['categories'], annotations=[])
    for a in gt['annotations']:
        a = dict(a)
        a.setdefault('area', float(a['bbox'][2] * a['bbox'][3]))
        a['iscrowd'] = int(a.get('iscrowd', 0) or 0)
        dataset['annotations'].append(a)
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = dataset
        coco.createIndex()
        dets = coco.loadRes(copy.deepcopy(results))
        E = COCOeval(coco, dets, 'bbox')
        E.evaluate()
        E.accumulate()
        E.summarize()
    return {'cocoAP': float(E.stats[0]), 'cocoAP50': float(E.stats[1])}
