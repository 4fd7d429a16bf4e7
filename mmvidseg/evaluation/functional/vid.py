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

Each frame is reduced to one (score, matched) pair per detection and a
count of ground-truth boxes per class, so memory grows with the number of
detections only.
"""
from collections import defaultdict
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
    """Per-class detections (score, matched) and ground-truth counts.

    Attributes:
        scores (Dict[int, List[np.ndarray]]): Class -> float32 score arrays
            (one per frame, each sorted as the devkit sorts it).
        matches (Dict[int, List[np.ndarray]]): Class -> int8 arrays, 1 for
            a true positive.
        num_pos (Dict[int, int]): Class -> ground-truth boxes; every class
            seen in a frame (predicted or annotated) has an entry.
        num_frames (int): Frames added.
    """
    scores: Dict[int, List[np.ndarray]] = field(
        default_factory=lambda: defaultdict(list))
    matches: Dict[int, List[np.ndarray]] = field(
        default_factory=lambda: defaultdict(list))
    num_pos: Dict[int, int] = field(default_factory=lambda: defaultdict(int))
    num_frames: int = 0

    def extend(self, other: 'VIDStats') -> None:
        """Append another video's statistics (after this one's frames)."""
        for label, n in other.num_pos.items():
            self.num_pos[label] += n
        for label, arrays in other.scores.items():
            self.scores[label].extend(arrays)
            self.matches[label].extend(other.matches[label])
        self.num_frames += other.num_frames

    def to_plain(self) -> 'VIDStats':
        """The same statistics without ``defaultdict`` (for pickling)."""
        return VIDStats(dict(self.scores), dict(self.matches),
                        dict(self.num_pos), self.num_frames)


def vid_frame(stats: VIDStats,
              pred_boxes: np.ndarray,
              pred_labels: np.ndarray,
              pred_scores: np.ndarray,
              gt_boxes: np.ndarray,
              gt_labels: np.ndarray,
              iou_thr: float = 0.5,
              where: str = '') -> None:
    """Match one frame's detections and add them to ``stats``.

    Args:
        stats (VIDStats): Statistics to update.
        pred_boxes (np.ndarray): (N, 4) x1, y1, x2, y2.
        pred_labels (np.ndarray): (N,) class ids.
        pred_scores (np.ndarray): (N,) scores (used as float32).
        gt_boxes (np.ndarray): (M, 4).
        gt_labels (np.ndarray): (M,) class ids.
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
    for label in np.unique(np.concatenate((pred_labels, gt_labels))):
        label = int(label)
        pm = pred_labels == label
        boxes, scores = pred_boxes[pm], pred_scores[pm]
        order = scores.argsort()[::-1]
        boxes, scores = boxes[order], scores[order]
        gts = gt_boxes[gt_labels == label]
        stats.num_pos[label] += len(gts)
        if len(boxes) == 0:
            continue
        stats.scores[label].append(scores)
        match = np.zeros(len(boxes), np.int8)
        if len(gts):
            iou = vid_box_iou(boxes, gts)
            taken = np.zeros(len(gts), bool)
            for j in range(len(boxes)):
                cand = np.where(taken, -np.inf, iou[j])
                k = int(np.argmax(cand))
                if cand[k] >= iou_thr:
                    match[j] = 1
                    taken[k] = True
        stats.matches[label].append(match)
    stats.num_frames += 1


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
    if not stats.num_pos:
        raise ValueError('no frame with a prediction or an annotation')
    ap = np.full(max(stats.num_pos) + 1, np.nan)
    for label, n_pos in stats.num_pos.items():
        if n_pos == 0:
            continue
        if stats.scores.get(label):
            score = np.concatenate(stats.scores[label])
            match = np.concatenate(stats.matches[label])
        else:
            score = np.zeros(0, np.float32)
            match = np.zeros(0, np.int8)
        order = score.argsort()[::-1]
        match = match[order]
        tp = np.cumsum(match == 1)
        fp = np.cumsum((match == 0).astype(np.float64))
        prec = tp / (fp + tp + np.spacing(1))
        rec = tp / n_pos
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
