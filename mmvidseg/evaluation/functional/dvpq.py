# Copyright (c) OpenMMLab. All rights reserved.
"""Depth-aware Video Panoptic Quality (DVPQ), as ViP-DeepLab's evaluator.

Reproduces ``cityscapes-dvps/eval_dvpq.py`` of ViP-DeepLab with its
conventions:

* Panoptic ids are ``class * 1000 + instance`` (the prediction's RGB PNG
  holds R = class, G = instance); ground-truth class 32 is void. There is
  no crowd: a thing segment with instance 0 is an ordinary segment.
* Depth threshold ``lambda``: where the ground-truth depth ``d > 0`` and
  ``|d_pred - d| / d > lambda``, the predicted pixel is moved to the extra
  class ``num_classes`` (19), which never matches and is dropped from the
  class mean.
* For a window size ``k``, each run of ``k`` consecutive frames of a
  sequence is scored as one image (the official code concatenates them):
  a match is same class and ``IoU > 0.5``, the union leaves out the
  prediction's overlap with void (id 32000), an unmatched prediction more
  than half on void (any id of class 32) is not a false positive.
* Per class (first ``num_classes``): ``SQ = IoU_sum / TP``, ``RQ = TP / (TP +
  FN/2 + FP/2)``, ``PQ = SQ * RQ`` with ``epsilon = 0``, so a class with no
  TP is NaN and so is the mean (the official script then prints ``nan``);
  ``epsilon > 0`` gives SemKITTI-DVPS's behaviour (absent classes count as
  0). DVPQ@k@lambda = 100 x mean PQ, things / stuff averaged separately,
  and DVPQ is the mean over every (k, lambda) (the READMEs' protocol:
  k in 1..4, lambda in 0.5, 0.25, 0.1).

Differences from the official script:

* With Pillow >= 10.3 it loads 16-bit depth PNGs as uint16 and
  ``depth_pred - depth_gt`` wraps around, which makes its numbers
  meaningless (e.g. an abs-rel of 6.09 instead of 0.099). The *intended*
  number is computed here: depths are subtracted as signed integers, as
  they were with the int32 images of older Pillow.
* It hard-codes 6 frames per sequence (Cityscapes-DVPS has exactly 6);
  here windows run over each sequence's actual frames.
* A predicted class >= ``num_classes + 1`` or a ground-truth class other
  than ``0..num_classes-1`` and void crashes it (IndexError) or silently
  corrupts its 16-bit pair ids; here both raise ``ValueError``.

Each frame is reduced once to a ``(gt id, pred id, depth level, count)``
table, where the depth level is how many thresholds the pixel's error
exceeds, so all thresholds share one ``np.unique`` per frame.
"""
from collections import deque
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from .vpq import closed_window_sums, mean_null_reason, window_sizes

#: Cityscapes-DVPS: 19 classes, things 11..18, void class 32.
CITYSCAPES_DVPS_THINGS = tuple(range(11, 19))
DVPQ_WINDOWS = (1, 2, 3, 4)
DVPQ_DEPTH_THRESHOLDS = (0.5, 0.25, 0.1)


@dataclass
class DVPQVideoStats:
    """Per-class sums of one sequence.

    Attributes:
        name (str): Sequence name.
        num_frames (int): Frames in the sequence.
        sums (Dict[Tuple[int, float], np.ndarray]): ``(k, lambda)`` ->
            (4, num_classes + 1) array of per-class ``(IoU sum, TP, FN,
            FP)``.
    """
    name: str
    num_frames: int
    sums: Dict[Tuple[int, float], np.ndarray] = field(default_factory=dict)


class DVPQVideo:
    """Streaming DVPQ statistics of one sequence.

    Args:
        num_classes (int): Evaluated classes (19 for Cityscapes-DVPS).
        windows (Sequence[int]): Window sizes. Defaults to (1, 2, 3, 4).
        depth_thresholds (Sequence[float]): Thresholds; 0 means no depth
            (plain VPQ). Defaults to (0.5, 0.25, 0.1).
        void_class (int): Ground-truth void class. Defaults to 32.
        max_ins (int): Class multiplier of the ids. Defaults to 1000.
        name (str): Sequence name, for error messages.
    """

    def __init__(self,
                 num_classes: int = 19,
                 windows: Sequence[int] = DVPQ_WINDOWS,
                 depth_thresholds: Sequence[float] = DVPQ_DEPTH_THRESHOLDS,
                 void_class: int = 32,
                 max_ins: int = 1000,
                 name: str = ''):
        self.num_classes = int(num_classes)
        self.windows = window_sizes(windows)
        self.thresholds = tuple(float(t) for t in depth_thresholds)
        self.void_class = int(void_class)
        self.max_ins = int(max_ins)
        if self.void_class <= self.num_classes:
            raise ValueError('the void class must be above the evaluated '
                             'classes and the depth-drop class')
        self.name = name
        self.num_frames = 0
        self._buffers = {
            lam: deque(maxlen=max(self.windows))
            for lam in self.thresholds
        }
        self._sums = {(k, lam): np.zeros((4, self.num_classes + 1))
                      for k in self.windows for lam in self.thresholds}

    def add_frame(self,
                  gt: np.ndarray,
                  pred: np.ndarray,
                  depth_gt: Optional[np.ndarray] = None,
                  depth_pred: Optional[np.ndarray] = None,
                  where: str = '') -> None:
        """Add the next frame.

        Args:
            gt (np.ndarray): (H, W) ``class * max_ins + instance``, void
                class ``void_class``.
            pred (np.ndarray): (H, W) predicted ids, same encoding.
            depth_gt (np.ndarray, optional): (H, W) ground-truth depth, 0 =
                none (any unit; uint16 PNG values are fine).
            depth_pred (np.ndarray, optional): (H, W) predicted depth, same
                unit. Both depths are needed when a threshold is > 0.
            where (str): Name of the frame, for error messages.
        """
        where = where or f'{self.name} frame {self.num_frames}'
        gt = np.asarray(gt).astype(np.int64)
        pred = np.asarray(pred).astype(np.int64)
        if gt.shape != pred.shape or gt.ndim != 2:
            raise ValueError(f'{where}: prediction shape {pred.shape} and '
                             f'ground-truth shape {gt.shape} must be the '
                             f'same (H, W)')
        gcls, pcls = gt // self.max_ins, pred // self.max_ins
        bad = ((gcls < 0) | (gcls >= self.num_classes)) & \
            (gcls != self.void_class)
        if bad.any():
            raise ValueError(f'{where}: ground-truth class '
                             f'{int(gcls[bad][0])} is beyond the class list '
                             f'({self.num_classes} classes, void '
                             f'{self.void_class})')
        bad = (pcls < 0) | (pcls > self.num_classes)
        if bad.any():
            raise ValueError(f'{where}: predicted class {int(pcls[bad][0])} '
                             f'is beyond the class list ({self.num_classes} '
                             f'classes)')
        level = np.zeros(gt.shape, np.int64)
        if any(t > 0 for t in self.thresholds):
            if depth_gt is None or depth_pred is None:
                raise ValueError(f'{where}: depth thresholds need both the '
                                 f'ground-truth and the predicted depth')
            dg = np.asarray(depth_gt).astype(np.float64)
            dp = np.asarray(depth_pred).astype(np.float64)
            if dg.shape != gt.shape or dp.shape != gt.shape:
                raise ValueError(f'{where}: depth shapes {dp.shape} (pred) '
                                 f'and {dg.shape} (gt) differ from the '
                                 f'panoptic shape {gt.shape}')
            valid = dg > 0
            err = np.zeros(gt.shape)
            err[valid] = np.abs(dp[valid] - dg[valid]) / dg[valid]
            for t in self.thresholds:
                if t > 0:
                    level += valid & (err > t)
        # one table for all thresholds: (gt, pred, depth level) -> count
        code = (gt.ravel() << 40) | (pred.ravel() << 8) | level.ravel()
        codes, counts = np.unique(code, return_counts=True)
        g, p, lv = codes >> 40, (codes >> 8) & 0xFFFFFFFF, codes & 0xFF
        drop = self.num_classes * self.max_ins
        for lam in self.thresholds:
            if lam > 0:
                # the thresholds are nested: the error exceeds lam iff it
                # exceeds every threshold <= lam, i.e. iff its level (number
                # of thresholds exceeded) reaches their count
                moved = lv >= sum(1 for t in self.thresholds if 0 < t <= lam)
                pl = np.where(moved, drop, p)
            else:
                pl = p
            self._buffers[lam].append(_merge(g, pl, counts))
        self.num_frames += 1
        for lam, buf in self._buffers.items():
            frames = list(buf)
            for k in self.windows:
                if len(frames) >= k:
                    self._sums[k, lam] += self._eval_window(frames[-k:])

    def _eval_window(self, frames: List[tuple]) -> np.ndarray:
        """Per-class (IoU sum, TP, FN, FP) of one window, as ``vpq_eval``."""
        nc1 = self.num_classes + 1
        out = np.zeros((4, nc1))
        g, p, c = _merge(*(np.concatenate(x) for x in zip(*frames)))
        gt_ids, ginv = np.unique(g, return_inverse=True)
        gt_area = np.bincount(ginv, weights=c).astype(np.int64)
        pred_ids, pinv = np.unique(p, return_inverse=True)
        pred_area = np.bincount(pinv, weights=c).astype(np.int64)
        void_id = self.void_class * self.max_ins
        gcat, pcat = gt_ids // self.max_ins, pred_ids // self.max_ins
        on_void = g == void_id
        void_overlap = np.bincount(pinv[on_void], weights=c[on_void],
                                   minlength=pred_ids.size)
        on_ign = gcat[ginv] == self.void_class
        ign_overlap = np.bincount(pinv[on_ign], weights=c[on_ign],
                                  minlength=pred_ids.size)
        same = gcat[ginv] == pcat[pinv]
        gi, pi, it = ginv[same], pinv[same], c[same]
        union = gt_area[gi] + pred_area[pi] - it - void_overlap[pi]
        iou = it / union
        tp = iou > 0.5
        cat = gcat[gi[tp]]
        out[0] = np.bincount(cat, weights=iou[tp], minlength=nc1)[:nc1]
        out[1] = np.bincount(cat, minlength=nc1)[:nc1]
        gt_matched = np.zeros(gt_ids.size, bool)
        gt_matched[gi[tp]] = True
        pred_matched = np.zeros(pred_ids.size, bool)
        pred_matched[pi[tp]] = True
        fn = ~gt_matched & (gcat != self.void_class)
        out[2] = np.bincount(gcat[fn], minlength=nc1)[:nc1]
        fp = ~pred_matched & ~(ign_overlap / pred_area > 0.5)
        out[3] = np.bincount(pcat[fp], minlength=nc1)[:nc1]
        return out

    def finish(self) -> DVPQVideoStats:
        """Close the sequence and return its statistics."""
        return closed_window_sums(DVPQVideoStats, 'sequence', self.name,
                                  self.num_frames, self._sums)


def _merge(g: np.ndarray, p: np.ndarray,
           c: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sum the counts of equal (g, p) pairs."""
    codes, inv = np.unique((g << 32) | p, return_inverse=True)
    return codes >> 32, codes & 0xFFFFFFFF, np.bincount(
        inv, weights=c).astype(np.int64)


def dvpq_summarize(stats: Iterable[DVPQVideoStats],
                   num_classes: int = 19,
                   thing_classes: Sequence[int] = CITYSCAPES_DVPS_THINGS,
                   windows: Sequence[int] = DVPQ_WINDOWS,
                   depth_thresholds: Sequence[float] = DVPQ_DEPTH_THRESHOLDS,
                   epsilon: float = 0.0) -> Dict:
    """Combine per-sequence statistics into DVPQ.

    Returns:
        dict: ``DVPQ``, ``DVPQ_th``, ``DVPQ_st`` (means over all window
        sizes and thresholds, percent) and ``DVPQ@k@lambda``,
        ``DVPQ_th@k@lambda``, ``DVPQ_st@k@lambda`` (``lambda`` written as
        Python prints the float, e.g. ``DVPQ@1@0.5``). NaN wherever a class
        has no TP and ``epsilon`` is 0.
    """
    stats = list(stats)
    things = np.zeros(num_classes, bool)
    things[list(thing_classes)] = True
    out: Dict = {}
    allv = {'': [], '_th': [], '_st': []}
    for k in windows:
        for lam in depth_thresholds:
            lam = float(lam)
            total = np.zeros((4, num_classes + 1))
            for s in stats:
                total += s.sums[int(k), lam]
            iou, tp, fn, fp = total[:, :num_classes]
            with np.errstate(divide='ignore', invalid='ignore'):
                sq = iou / (tp + epsilon)
                rq = tp / (tp + 0.5 * fn + 0.5 * fp + epsilon)
            pq = sq * rq
            for suffix, sel in (('', slice(None)), ('_th', things),
                                ('_st', ~things)):
                v = 100 * float(pq[sel].mean()) if pq[sel].size else \
                    float('nan')
                out[f'DVPQ{suffix}@{k}@{lam}'] = v
                allv[suffix].append(v)
    for suffix, vals in allv.items():
        out[f'DVPQ{suffix}'] = float(np.mean(vals))
    return out


def _no_tp_reason(tp: np.ndarray, sel: np.ndarray, noun: str, k: int,
                  lam: float) -> str:
    absent = np.flatnonzero(sel & (tp == 0)).tolist()
    shown = ', '.join(str(c) for c in absent[:10]) + (
        ', ...' if len(absent) > 10 else '')
    many = len(absent) != 1
    return (f'{noun}{"es" if many else ""} {shown} '
            f'{"have" if many else "has"} no '
            f'true positive at window {k}, depth threshold {lam} (absent '
            f'or never matched): PQ = 0/0, and with the official epsilon '
            f'= 0 the class mean is NaN')


def dvpq_null_reasons(stats: Sequence[DVPQVideoStats],
                      num_classes: int = 19,
                      thing_classes: Sequence[int] = CITYSCAPES_DVPS_THINGS,
                      windows: Sequence[int] = DVPQ_WINDOWS,
                      depth_thresholds: Sequence[float] = (
                          DVPQ_DEPTH_THRESHOLDS),
                      epsilon: float = 0.0) -> Dict[str, str]:
    """Why each NaN score of :func:`dvpq_summarize` on ``stats`` is NaN.

    Returns:
        dict: ``DVPQ{,_th,_st}`` and ``DVPQ{,_th,_st}@k@lambda`` -> a
        sentence, for the NaN ones only.
    """
    things = np.zeros(num_classes, bool)
    things[list(thing_classes)] = True
    longest = max((s.num_frames for s in stats), default=0)
    reasons: Dict[str, str] = {}
    nulls: Dict[str, List[Tuple[str, str]]] = {'': [], '_th': [], '_st': []}
    for k in windows:
        for lam in depth_thresholds:
            lam = float(lam)
            tp = sum((s.sums[int(k), lam][1, :num_classes] for s in stats),
                     np.zeros(num_classes))
            for suffix, sel, noun in (('', np.ones(num_classes, bool),
                                       'class'), ('_th', things,
                                                  'thing class'),
                                      ('_st', ~things, 'stuff class')):
                if not sel.any():
                    reason = f'the class list has no {noun}'
                elif epsilon > 0 or (tp[sel] > 0).all():
                    continue
                elif longest < k:
                    reason = (f'no window of {k} frames: every sequence is '
                              f'shorter (the longest has {longest} frames)')
                else:
                    reason = _no_tp_reason(tp, sel, noun, k, lam)
                nulls[suffix].append((f'DVPQ{suffix}@{k}@{lam}', reason))
    for suffix, found in nulls.items():
        reasons.update(found)
        if found:
            reasons[f'DVPQ{suffix}'] = mean_null_reason(
                found, 'window sizes and depth thresholds')
    return reasons


class DVPQAccumulator:
    """Accumulate sequences and report DVPQ (Cityscapes-DVPS defaults).

    Args:
        num_classes (int): Evaluated classes. Defaults to 19.
        thing_classes (Sequence[int]): Thing classes. Defaults to 11..18.
        windows (Sequence[int]): Window sizes. Defaults to (1, 2, 3, 4).
        depth_thresholds (Sequence[float]): Defaults to (0.5, 0.25, 0.1).
        epsilon (float): See :func:`dvpq_summarize`. Defaults to 0.
        void_class (int): Defaults to 32.
        max_ins (int): Defaults to 1000.
    """

    def __init__(self,
                 num_classes: int = 19,
                 thing_classes: Sequence[int] = CITYSCAPES_DVPS_THINGS,
                 windows: Sequence[int] = DVPQ_WINDOWS,
                 depth_thresholds: Sequence[float] = DVPQ_DEPTH_THRESHOLDS,
                 epsilon: float = 0.0,
                 void_class: int = 32,
                 max_ins: int = 1000):
        self.num_classes = num_classes
        self.thing_classes = tuple(thing_classes)
        self.windows = tuple(windows)
        self.depth_thresholds = tuple(depth_thresholds)
        self.epsilon = epsilon
        self.void_class = void_class
        self.max_ins = max_ins
        self.stats: List[DVPQVideoStats] = []

    def new_video(self, name: str = '') -> DVPQVideo:
        return DVPQVideo(self.num_classes, self.windows,
                         self.depth_thresholds, self.void_class,
                         self.max_ins, name)

    def add(self, stats: DVPQVideoStats) -> None:
        self.stats.append(stats)

    def add_video(self, frames: Iterable[tuple],
                  name: str = '') -> DVPQVideoStats:
        """Add a sequence of ``(gt, pred, depth_gt, depth_pred)`` frames."""
        video = self.new_video(name)
        for frame in frames:
            video.add_frame(*frame)
        s = video.finish()
        self.stats.append(s)
        return s

    def compute(self) -> Dict:
        return dvpq_summarize(self.stats, self.num_classes,
                              self.thing_classes, self.windows,
                              self.depth_thresholds, self.epsilon)
