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
are kept, so the numbers are the devkit's bit for bit.

Motion-specific AP (slow / medium / fast, :func:`vid_motion_video`,
:func:`vid_summarize_motion`) follows ``motion_specific=True`` of the same
file, but computes each ground-truth box's motion IoU from the annotations
(:func:`vid_motion_iou`, FGFA's definition) instead of reading the
devkit's ``vid_groundtruth_motion_iou.mat``.

Each frame is reduced to one (class, score, matched) triple per detection
and the classes of its ground-truth boxes, so memory grows with the number
of boxes only.
"""
import math
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

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


# ----------------------------------------------------- motion-specific mAP
#: The devkit's motion ranges of a ground-truth object's motion IoU (both
#: ends included, as ``vid_eval.py`` compares them).
MOTION_RANGES = (('fast', 0.0, 0.7), ('medium', 0.7, 0.9),
                 ('slow', 0.9, 1.0))
#: Weight placeholder of a detection in a frame without ground truth of its
#: class, resolved by :func:`vid_summarize_motion` (the devkit's
#: ``empty_weight`` depends on all ground truth).
_EMPTY = -1.0


def vid_motion_iou(frame_ids: Sequence[int],
                   instance_ids: Sequence[int],
                   boxes: np.ndarray,
                   window: int = 10) -> np.ndarray:
    """Motion IoU of every ground-truth box of one video (FGFA's
    definition): the mean IoU (:func:`vid_box_iou`) of the box with the
    same object's boxes in the other frames at most ``window`` frames
    away. An object alone in its window gets 0, as the devkit's reader
    reads a missing entry.

    Args:
        frame_ids (Sequence[int]): (M,) frame index of each box.
        instance_ids (Sequence[int]): (M,) object id of each box.
        boxes (np.ndarray): (M, 4) x1, y1, x2, y2.
        window (int): Frames on each side. Defaults to 10.

    Returns:
        np.ndarray: (M,) float64 motion IoUs in [0, 1].
    """
    frames = np.asarray(frame_ids, np.int64).reshape(-1)
    ids = np.asarray(instance_ids, np.int64).reshape(-1)
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    if not len(frames) == len(ids) == len(boxes):
        raise ValueError(f'vid_motion_iou: {len(frames)} frame ids, '
                         f'{len(ids)} instance ids and {len(boxes)} boxes')
    out = np.zeros(len(boxes))
    for obj in np.unique(ids).tolist():
        sel = np.flatnonzero(ids == obj)
        iou = vid_box_iou(boxes[sel], boxes[sel]).astype(np.float64)
        gap = np.abs(frames[sel][:, None] - frames[sel][None, :])
        near = (gap <= window) & (gap > 0)
        count = near.sum(1)
        total = (iou * near).sum(1)
        out[sel] = np.where(count > 0, total / np.maximum(count, 1), 0.0)
    return out


@dataclass
class VIDMotionStats:
    """One motion range's per-frame detections and ground truth.

    Attributes:
        det_labels, det_scores, det_matches (List[np.ndarray]): As in
            :class:`VIDStats` (the devkit's per-class order in a frame).
        det_weights (List[np.ndarray]): Per detection, the devkit's
            ``pred_ignore``: 0 (counts), 1 (ignored), a fraction (a false
            positive counting that much) or -1 (no ground truth of its
            class in the frame: the range's share of all ground truth).
        gt_labels (List[np.ndarray]): Classes of the ground truth in the
            range.
        num_in_range (int): Ground-truth boxes in the range.
        num_gt (int): All ground-truth boxes.
    """
    det_labels: List[np.ndarray] = field(default_factory=list)
    det_scores: List[np.ndarray] = field(default_factory=list)
    det_matches: List[np.ndarray] = field(default_factory=list)
    det_weights: List[np.ndarray] = field(default_factory=list)
    gt_labels: List[np.ndarray] = field(default_factory=list)
    num_in_range: int = 0
    num_gt: int = 0

    def extend(self, other: 'VIDMotionStats') -> None:
        """Append another video's statistics."""
        for name in ('det_labels', 'det_scores', 'det_matches',
                     'det_weights', 'gt_labels'):
            getattr(self, name).extend(getattr(other, name))
        self.num_in_range += other.num_in_range
        self.num_gt += other.num_gt


def _motion_match(iou: np.ndarray, ignore: np.ndarray,
                  iou_thr: float) -> tuple:
    """The devkit's greedy matching with ignored ground truth for one
    class of one frame (detections sorted by score).

    Returns:
        tuple: ``(match, weight)`` arrays of the detections.
    """
    num_det, num_gt = iou.shape
    match = np.zeros(num_det, np.int8)
    weight = np.zeros(num_det)
    taken = np.zeros(num_gt, bool)
    for j in range(num_det):
        best, arg, best_ig, best_nig = iou_thr, -1, -1.0, -1.0
        for k in range(num_gt):
            if ignore[k] and iou[j, k] > best_ig:
                best_ig = iou[j, k]
            if not ignore[k] and iou[j, k] > best_nig:
                best_nig = iou[j, k]
            if taken[k] or iou[j, k] < best:
                continue
            if iou[j, k] > best or arg < 0 or ignore[arg]:
                arg = k  # at equal IoU a kept box beats an ignored one
            best = iou[j, k]
        if arg >= 0:
            match[j], weight[j], taken[arg] = 1, float(ignore[arg]), True
        elif best_nig != best_ig:
            weight[j] = float(best_ig > best_nig)
        else:
            weight[j] = ignore.sum() / num_gt
    return match, weight


def vid_frame_motion(stats: VIDMotionStats,
                     pred_boxes: np.ndarray,
                     pred_labels: np.ndarray,
                     pred_scores: np.ndarray,
                     gt_boxes: np.ndarray,
                     gt_labels: np.ndarray,
                     gt_ignore: np.ndarray,
                     iou_thr: float = 0.5) -> None:
    """Match one frame for one motion range (ground truth outside the
    range ``gt_ignore``), as ``calc_detection_vid_prec_rec`` of MEGA's
    ``vid_eval.py`` with ``motion_specific=True``."""
    pred_boxes = np.asarray(pred_boxes, np.float32).reshape(-1, 4)
    gt_boxes = np.asarray(gt_boxes, np.float32).reshape(-1, 4)
    pred_labels = np.asarray(pred_labels, np.int64).reshape(-1)
    gt_labels = np.asarray(gt_labels, np.int64).reshape(-1)
    pred_scores = np.asarray(pred_scores, np.float32).reshape(-1)
    gt_ignore = np.asarray(gt_ignore, bool).reshape(-1)
    labels, scores, matches, weights = [], [], [], []
    for label in np.unique(np.concatenate([pred_labels, gt_labels])):
        sel = np.flatnonzero(pred_labels == label)
        sel = sel[pred_scores[sel].argsort()[::-1]]
        gsel = gt_labels == label
        if not len(sel):
            continue
        if not gsel.any():
            match = np.zeros(len(sel), np.int8)
            weight = np.full(len(sel), _EMPTY)
        else:
            match, weight = _motion_match(
                vid_box_iou(pred_boxes[sel], gt_boxes[gsel]),
                gt_ignore[gsel], iou_thr)
        labels.append(pred_labels[sel])
        scores.append(pred_scores[sel])
        matches.append(match)
        weights.append(weight)
    cat = lambda arrays, dtype: (np.concatenate(arrays)  # noqa: E731
                                 if arrays else np.zeros(0, dtype))
    stats.det_labels.append(cat(labels, np.int64))
    stats.det_scores.append(cat(scores, np.float32))
    stats.det_matches.append(cat(matches, np.int8))
    stats.det_weights.append(cat(weights, np.float64))
    stats.gt_labels.append(gt_labels[~gt_ignore])
    stats.num_in_range += int((~gt_ignore).sum())
    stats.num_gt += len(gt_labels)


def vid_summarize_motion(stats: VIDMotionStats) -> float:
    """mAP50 of one motion range (NaN when no class has ground truth in
    it), as ``calc_detection_vid_prec_rec`` / ``calc_detection_vid_ap``."""
    cat = lambda arrays, dtype: (np.concatenate(arrays)  # noqa: E731
                                 if arrays else np.zeros(0, dtype))
    labels = cat(stats.det_labels, np.int64)
    scores = cat(stats.det_scores, np.float32)
    matches = cat(stats.det_matches, np.int8)
    weights = cat(stats.det_weights, np.float64)
    empty = stats.num_in_range / stats.num_gt if stats.num_gt else 0.0
    weights[weights == _EMPTY] = 0.0 if empty == 1 else empty
    num_pos = np.bincount(
        cat(stats.gt_labels, np.int64),
        minlength=int(labels.max(initial=0)) + 1)
    aps = []
    for label in np.flatnonzero(num_pos).tolist():
        sel = np.flatnonzero(labels == label)
        order = scores[sel].argsort()[::-1]
        match, weight = matches[sel][order], weights[sel][order].copy()
        tps = (match == 1) & (weight != 1)
        fps = ((match == 0) & (weight != 1)).astype(np.float64)
        weight[weight == 0] = 1
        tp, fp = np.cumsum(tps), np.cumsum(fps * weight)
        aps.append(
            voc_ap(tp / num_pos[label], tp / (fp + tp + np.spacing(1))))
    return float(np.mean(aps)) if aps else float('nan')


def vid_motion_video(stats: Dict[str, VIDMotionStats],
                     frames: List[tuple],
                     iou_thr: float = 0.5,
                     window: int = 10) -> None:
    """Add one video to the per-range statistics.

    Args:
        stats (dict): ``{name: VIDMotionStats}`` for each of
            :data:`MOTION_RANGES` (missing ones are created).
        frames (list[tuple]): The video's frames in time order, each
            ``(pred_boxes, pred_labels, pred_scores, gt_boxes, gt_labels,
            gt_instance_ids, frame_index)``.
        iou_thr (float): Matching IoU. Defaults to 0.5.
        window (int): Motion IoU window. Defaults to 10.
    """
    fids = [np.full(len(f[4]), f[6]) for f in frames]
    motion = vid_motion_iou(
        np.concatenate(fids) if fids else [],
        np.concatenate([np.asarray(f[5]).reshape(-1) for f in frames])
        if frames else [],
        np.concatenate([np.asarray(f[3]).reshape(-1, 4) for f in frames])
        if frames else np.zeros((0, 4)), window)
    splits = np.cumsum([len(f) for f in fids])[:-1]
    for name, low, high in MOTION_RANGES:
        st = stats.setdefault(name, VIDMotionStats())
        for frame, m in zip(frames, np.split(motion, splits)):
            vid_frame_motion(st, *frame[:5], (m < low) | (m > high), iou_thr)
