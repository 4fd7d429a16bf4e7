# Copyright (c) OpenMMLab. All rights reserved.
"""Depth-aware Video Panoptic Quality (DVPQ), as ViP-DeepLab's evaluators.

Reproduces ViP-DeepLab's two ``eval_dvpq.py`` scripts,
``cityscapes-dvps/`` and ``semkitti-dvps/`` (joe-siyuan-qiao/ViP-DeepLab).
They share one core (``vpq_eval``) and differ in their rules
(:data:`DVPQ_RULES`, ``rules='cityscapes'`` or ``'semkitti'``):

==================  ==========================  ===========================
rule                Cityscapes-DVPS             SemKITTI-DVPS
==================  ==========================  ===========================
panoptic id         ``class * 1000 + inst``     ``class * 2**20 + inst``
                    (pred: RGB PNG, R = class,  (pred: ``*cat.png`` +
                    G = instance)               ``*ins.png``; gt:
                                                ``*_gtFine_class.png`` +
                                                ``*_gtFine_instance.png``)
void class          32                          255
thing classes       11..18                      0..7
epsilon             0: a class with no TP       1e-10: such a class has
                    makes the mean NaN          PQ 0 and counts as 0
windows             within each sequence        over all files in name
                    (6 frames hard-coded)       order (one stream)
window sizes        1, 2, 3, 4                  1, 5, 10, 20
==================  ==========================  ===========================

Common to both:

* There is no crowd: a thing segment with instance 0 is an ordinary
  segment.
* Depth threshold ``lambda``: where the ground-truth depth ``d > 0`` and
  ``|d_pred - d| / d > lambda``, the predicted pixel is moved to the extra
  class ``num_classes`` (19), which never matches and is dropped from the
  class mean.
* For a window size ``k``, each run of ``k`` consecutive frames is scored
  as one image (the official code concatenates them): a match is same
  class and ``IoU > 0.5``, the union leaves out the prediction's overlap
  with void (``void * max_ins``, instance 0), an unmatched prediction more
  than half on void (any id of the void class) is not a false positive.
* Per class (first ``num_classes``): ``SQ = IoU_sum / (TP + eps)``, ``RQ =
  TP / (TP + FN/2 + FP/2 + eps)``, ``PQ = SQ * RQ``. DVPQ@k@lambda = 100 x
  mean PQ, things / stuff averaged separately, and DVPQ is the mean over
  every (k, lambda) (the READMEs' protocol, done outside the scripts;
  lambda in 0.5, 0.25, 0.1).

Differences from the official scripts:

* With Pillow >= 10.3 they load 16-bit depth PNGs as uint16 and
  ``depth_pred - depth_gt`` wraps around, which makes their numbers
  meaningless (e.g. an abs-rel of 6.09 instead of 0.099). The *intended*
  number is computed here: depths are subtracted as signed integers, as
  they were with the int32 images of older Pillow.
* Under numpy >= 2 (NEP 50) the SemKITTI script's test for a prediction
  more than half on void (``prediction_ignored_overlap``) multiplies an
  int32 void id by ``2**30`` in int32 and overflows, so the test looks up
  the wrong pairs and such predictions (nearly) always count as FPs; under
  the numpy 1.x it was written for, the product is int64 and the test works.
  The numpy-1 number is computed here (equal to the script's under numpy
  1.26.4 and Pillow 10.2).
* The Cityscapes script hard-codes 6 frames per sequence (Cityscapes-DVPS
  has exactly 6); here windows run over each sequence's actual frames.
* The windows run within the frames given to one :class:`DVPQVideo`. The
  SemKITTI script runs them over every file of the folder in name order,
  across sequence boundaries; ``eval_offline.py dvpq --layout semkitti``
  feeds all frames as one stream to match it, while ``DVPSMetric`` scores
  each video on its own (the same on the one-sequence val split).
* A window size longer than every sequence gives NaN here (no window);
  the SemKITTI script crashes on it (``np.stack`` of nothing) and the
  Cityscapes one prints ``nan``.
* A predicted class >= ``num_classes + 1`` or a ground-truth class other
  than ``0..num_classes-1`` and void crashes them (IndexError) or silently
  corrupts their pair ids; here both raise ``ValueError``.

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
#: SemKITTI-DVPS: 19 classes, things 0..7, void class 255.
SEMKITTI_DVPS_THINGS = tuple(range(8))
SEMKITTI_DVPQ_WINDOWS = (1, 5, 10, 20)

#: The official scripts' rules (see the module docstring). ``windows`` is
#: the set the README evaluates; ``one_stream``: windows run over all
#: files of the folder, not per sequence.
DVPQ_RULES = {
    'cityscapes':
    dict(
        num_classes=19,
        thing_classes=CITYSCAPES_DVPS_THINGS,
        windows=DVPQ_WINDOWS,
        depth_thresholds=DVPQ_DEPTH_THRESHOLDS,
        epsilon=0.0,
        void_class=32,
        max_ins=1000,
        one_stream=False),
    'semkitti':
    dict(
        num_classes=19,
        thing_classes=SEMKITTI_DVPS_THINGS,
        windows=SEMKITTI_DVPQ_WINDOWS,
        depth_thresholds=DVPQ_DEPTH_THRESHOLDS,
        epsilon=1e-10,
        void_class=255,
        max_ins=2**20,
        one_stream=True),
}


def dvpq_rules(name: str) -> dict:
    """A copy of the official rules ``name`` (``'cityscapes'`` or
    ``'semkitti'``) of :data:`DVPQ_RULES`.

    Raises:
        ValueError: Unknown name.
    """
    if name not in DVPQ_RULES:
        raise ValueError(f'unknown DVPQ rules {name!r}: expected one of '
                         f'{sorted(DVPQ_RULES)}')
    return dict(DVPQ_RULES[name])


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
        g, p, lv, counts = _pair_table(gt.ravel(), pred.ravel(),
                                       level.ravel())
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


def _bits(a: np.ndarray) -> int:
    """Bits needed by the largest value of a non-negative int array."""
    return int(a.max()).bit_length() if a.size else 0


def _pack(*columns: np.ndarray
          ) -> Tuple[Optional[np.ndarray], List[int]]:
    """Pack non-negative int64 columns into one int64 code (or None when
    their bits exceed 62) and each column's bit width."""
    widths = [max(1, _bits(c)) for c in columns]
    if sum(widths) > 62:
        return None, widths
    code = np.zeros(columns[0].shape, np.int64)
    for c, w in zip(columns, widths):
        code = (code << w) | c
    return code, widths


def _unpack(codes: np.ndarray, widths: List[int]) -> List[np.ndarray]:
    """Split the codes of :func:`_pack` back into their columns."""
    out = []
    for w in reversed(widths):
        out.append(codes & ((1 << w) - 1))
        codes = codes >> w
    return out[::-1]


def _pair_table(gt: np.ndarray, pred: np.ndarray, level: np.ndarray,
                weights: Optional[np.ndarray] = None
                ) -> Tuple[np.ndarray, ...]:
    """Distinct ``(gt, pred, level)`` triples of non-negative int64 arrays
    and their counts (or summed ``weights``). The triples are packed into
    one int64 for a single ``np.unique`` when their bits fit (Cityscapes'
    ``class * 1000 + instance`` ids always do, SemKITTI's ``class * 2**20 +
    instance`` ones normally); otherwise the ids are ranked first."""
    code, widths = _pack(gt, pred, level)
    if code is None:
        gids, gi = np.unique(gt, return_inverse=True)
        pids, pi = np.unique(pred, return_inverse=True)
        g, p, lv, counts = _pair_table(gi.ravel(), pi.ravel(), level,
                                       weights)
        return gids[g], pids[p], lv, counts
    if weights is None:
        codes, counts = np.unique(code, return_counts=True)
    else:
        codes, inv = np.unique(code, return_inverse=True)
        counts = np.bincount(inv.ravel(), weights=weights).astype(np.int64)
    return (*_unpack(codes, widths), counts)


def _merge(g: np.ndarray, p: np.ndarray,
           c: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sum the counts of equal (g, p) pairs."""
    g, p, _, counts = _pair_table(g, p, np.zeros_like(g), c)
    return g, p, counts


def dvpq_summarize(stats: Iterable[DVPQVideoStats],
                   num_classes: int = 19,
                   thing_classes: Sequence[int] = CITYSCAPES_DVPS_THINGS,
                   windows: Sequence[int] = DVPQ_WINDOWS,
                   depth_thresholds: Sequence[float] = DVPQ_DEPTH_THRESHOLDS,
                   epsilon: float = 0.0) -> Dict:
    """Combine per-sequence statistics into DVPQ.

    Args:
        stats (Iterable[DVPQVideoStats]): One entry per sequence.
        num_classes (int): Evaluated classes. Defaults to 19.
        thing_classes (Sequence[int]): Thing classes (the others are
            stuff). Defaults to Cityscapes-DVPS' 11..18.
        windows (Sequence[int]): Window sizes. Defaults to (1, 2, 3, 4).
        depth_thresholds (Sequence[float]): Defaults to (0.5, 0.25, 0.1).
        epsilon (float): Added to the denominators of SQ and RQ: 0
            (Cityscapes-DVPS) or 1e-10 (SemKITTI-DVPS). Defaults to 0.

    Returns:
        dict: ``DVPQ``, ``DVPQ_th``, ``DVPQ_st`` (means over all window
        sizes and thresholds, percent) and ``DVPQ@k@lambda``,
        ``DVPQ_th@k@lambda``, ``DVPQ_st@k@lambda`` (``lambda`` written as
        Python prints the float, e.g. ``DVPQ@1@0.5``). NaN wherever a class
        has no TP and ``epsilon`` is 0, and for a window size longer than
        every sequence (no window to score).
    """
    stats = list(stats)
    things = np.zeros(num_classes, bool)
    things[list(thing_classes)] = True
    longest = max((s.num_frames for s in stats), default=0)
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
                v = 100 * float(pq[sel].mean()) if pq[sel].size and \
                    longest >= int(k) else float('nan')
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
                elif longest < k:
                    reason = (f'no window of {k} frames: every sequence is '
                              f'shorter (the longest has {longest} frames)')
                elif epsilon > 0 or (tp[sel] > 0).all():
                    continue
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
    """Accumulate sequences and report DVPQ (Cityscapes-DVPS defaults;
    :meth:`from_rules` for SemKITTI-DVPS').

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

    @classmethod
    def from_rules(cls, rules: str = 'cityscapes',
                   **overrides) -> 'DVPQAccumulator':
        """An accumulator with the official rules ``rules`` (see
        :data:`DVPQ_RULES`); ``overrides`` replace some of them (e.g.
        ``num_classes``, ``thing_classes``, ``windows``)."""
        kwargs = dvpq_rules(rules)
        kwargs.pop('one_stream')
        unknown = set(overrides) - set(kwargs)
        if unknown:
            raise TypeError(f'unknown DVPQ settings: {sorted(unknown)}')
        kwargs.update((k, v) for k, v in overrides.items() if v is not None)
        return cls(**kwargs)

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
