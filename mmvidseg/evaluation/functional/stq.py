# Copyright (c) OpenMMLab. All rights reserved.
"""Segmentation and Tracking Quality (STQ), as deeplab2's numpy evaluator.

Reproduces ``deeplab2/evaluation/numpy/segmentation_and_tracking_quality.py``
(``STQuality``; its ``update_state`` per frame, ``result`` at the end) with
its conventions:

* Inputs are panoptic maps ``(semantic << label_bit_shift) + instance``.
  When ``ignore_label > num_classes`` the ignore value is remapped to
  ``num_classes`` (on both sides); ground-truth ignore rows are dropped from
  the confusion matrix, so predictions on void are not IoU false positives.
  A prediction of the ignore label on a labelled pixel puts pixels in the
  ignore *column*, whose union is then non-zero: it enters the class mean as
  one more class with IoU 0.
* SQ (the ``IoU`` of the official result) averages the per-class IoU over
  the classes with a non-zero union, from one confusion matrix summed over
  all sequences.
* AQ is class-agnostic over full panoptic ids of *thing* classes. Ground
  truth thing pixels with instance 0 are crowd and excluded on both sides.
  Predicted thing pixels on ground-truth void or stuff still count in the
  prediction's size.
  ``AQ = sum_seq sum_gt 1/|gt| sum_pred TPA * TPA / (TPA + FPA + FNA)``
  divided by the number of ground-truth tubes over all sequences.
* Areas accumulate as ``np.float32`` (``counts.astype(np.float32) *
  weight``); under numpy >= 2 (NEP 50) every AQ term stays float32, summed
  in the order the official dicts are filled (first appearance, ascending
  ids within a frame). ``float32_areas=False`` gives the float64 numbers of
  numpy 1.x and of the 2021 copy vendored by VIPSeg (integer counts).
* ``STQ = sqrt(AQ * SQ)``.

Differences: a class id beyond the confusion matrix (an ``IndexError`` in
the official code) raises ``ValueError``; per-pixel ``weights`` (panoramic
video) are not supported.

Everything streams per sequence: each frame is reduced to a table of
``(gt id, pred id, count)`` by one ``np.unique`` (:func:`pair_table`), and a
sequence keeps only its per-id areas and its confusion matrix.
"""
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from .vpq import pair_table

_EPSILON = 1e-15


@dataclass
class STQVideoStats:
    """Per-sequence sufficient statistics of STQ.

    Attributes:
        name (str): Sequence name.
        length (int): Number of frames.
        confusion_index (np.ndarray): Flat indices (row * S + col) of the
            non-zero confusion-matrix cells, int64.
        confusion_count (np.ndarray): Their pixel counts, int64.
        aq_sum (float): The sequence's AQ numerator (``np.float32`` when
            areas are float32).
        num_tubes (int): Ground-truth thing tubes in the sequence.
    """
    name: str
    length: int
    confusion_index: np.ndarray
    confusion_count: np.ndarray
    aq_sum: float
    num_tubes: int


def _confusion_size(num_classes: int, ignore_label: int) -> int:
    return num_classes + 1 if ignore_label >= num_classes else num_classes


class _IdAreas:
    """Areas keyed by id, kept in order of first insertion."""

    def __init__(self, dtype):
        self.index: Dict = {}
        self.area = np.zeros(16, dtype)

    def add(self, keys: List, counts: np.ndarray) -> None:
        idx = np.empty(len(keys), np.int64)
        for j, key in enumerate(keys):
            i = self.index.get(key)
            if i is None:
                i = self.index[key] = len(self.index)
            idx[j] = i
        if len(self.index) > self.area.size:
            grown = np.zeros(2 * len(self.index), self.area.dtype)
            grown[:self.area.size] = self.area
            self.area = grown
        # one rounding per frame and id, as ``stat_dict[idx] += count``
        self.area[idx] += counts.astype(self.area.dtype)

    def values(self) -> np.ndarray:
        return self.area[:len(self.index)]


class STQVideo:
    """Streaming STQ statistics of one sequence.

    Args:
        num_classes (int): Number of semantic classes.
        things_list (Sequence[int]): Class ids of things.
        ignore_label (int): Semantic id of void. Defaults to 255.
        label_bit_shift (int): Bits of the instance id. Defaults to 16.
        float32_areas (bool): Accumulate areas in float32 like deeplab2
            under numpy >= 2. Defaults to True.
        name (str): Sequence name, for error messages.
    """

    def __init__(self,
                 num_classes: int,
                 things_list: Sequence[int],
                 ignore_label: int = 255,
                 label_bit_shift: int = 16,
                 float32_areas: bool = True,
                 name: str = ''):
        self.num_classes = int(num_classes)
        self.things = np.asarray(sorted(set(int(t) for t in things_list)),
                                 np.int64)
        self.ignore_label = int(ignore_label)
        self.shift = int(label_bit_shift)
        self.mask = (1 << self.shift) - 1
        self.size = _confusion_size(self.num_classes, self.ignore_label)
        self.dtype = np.float32 if float32_areas else np.float64
        self.name = name
        self.length = 0
        self._confusion = np.zeros(self.size * self.size, np.int64)
        self._gt = _IdAreas(self.dtype)
        self._pred = _IdAreas(self.dtype)
        self._inter = _IdAreas(self.dtype)

    def _semantic(self, ids: np.ndarray, where: str, side: str) -> np.ndarray:
        sem = ids >> self.shift
        if self.ignore_label > self.num_classes:
            sem = np.where(sem == self.ignore_label, self.num_classes, sem)
        bad = (sem < 0) | (sem >= self.size)
        if bad.any():
            raise ValueError(
                f'{where}: {side} class {int((ids[bad] >> self.shift)[0])} '
                f'is beyond the class list ({self.num_classes} classes, '
                f'ignore label {self.ignore_label})')
        return sem

    def add_frame(self, y_true: np.ndarray, y_pred: np.ndarray,
                  where: str = '') -> None:
        """Add the next frame.

        Args:
            y_true (np.ndarray): Ground truth ``(semantic << shift) +
                instance``, shape (H, W).
            y_pred (np.ndarray): Prediction, same encoding and shape.
            where (str): Name of the frame, for error messages.
        """
        where = where or f'{self.name} frame {self.length}'
        self.add_table(*pair_table(y_true, y_pred, where), where=where)

    def add_table(self, true_ids: np.ndarray, pred_ids: np.ndarray,
                  counts: np.ndarray, where: str = '') -> None:
        """Add the next frame given as a pixel-count table.

        Args:
            true_ids (np.ndarray): (P,) ground-truth panoptic ids.
            pred_ids (np.ndarray): (P,) predicted panoptic ids.
            counts (np.ndarray): (P,) pixels of each (true, pred) pair; the
                pairs must be unique.
            where (str): Name of the frame, for error messages.
        """
        where = where or f'{self.name} frame {self.length}'
        yt = np.asarray(true_ids, np.int64)
        yp = np.asarray(pred_ids, np.int64)
        counts = np.asarray(counts, np.int64)
        st = self._semantic(yt, where, 'ground-truth')
        sp = self._semantic(yp, where, 'predicted')
        self._confusion += np.bincount(
            st * self.size + sp, weights=counts,
            minlength=self.size * self.size).astype(np.int64)
        self.length += 1

        thing_t = np.isin(st, self.things)
        crowd = thing_t & ((yt & self.mask) == 0)
        lm = thing_t & ~crowd
        pm = np.isin(sp, self.things) & ~crowd
        for areas, ids, sel in ((self._gt, yt, lm), (self._pred, yp, pm)):
            uniq, inv = np.unique(ids[sel], return_inverse=True)
            cnt = np.bincount(inv, weights=counts[sel],
                              minlength=uniq.size).astype(np.int64)
            areas.add(uniq.tolist(), cnt)
        both = lm & pm
        self._inter.add(list(zip(yt[both].tolist(), yp[both].tolist())),
                        counts[both])

    def finish(self) -> STQVideoStats:
        """Close the sequence and return its statistics."""
        if self.length == 0:
            raise ValueError(f'sequence {self.name!r} has no frames')
        gt_area = self._gt.values()
        pred_area = self._pred.values()
        num_tubes = gt_area.size
        if num_tubes == 0:
            aq_sum = 0.0
        else:
            keys = list(self._inter.index.keys())
            tpa = self._inter.values()
            gi = np.array([self._gt.index[k[0]] for k in keys], np.int64)
            pj = np.array([self._pred.index[k[1]] for k in keys], np.int64)
            order = np.lexsort((pj, gi))
            gi, pj, tpa = gi[order], pj[order], tpa[order]
            fpa = pred_area[pj] - tpa
            fna = gt_area[gi] - tpa
            term = tpa * (tpa / (tpa + fpa + fna))
            # sequential sum over the predictions of each gt (their order of
            # insertion), vectorised across gts
            inner = np.zeros(num_tubes, self.dtype)
            if gi.size:
                starts = np.flatnonzero(np.r_[True, gi[1:] != gi[:-1]])
                lengths = np.diff(np.r_[starts, gi.size])
                for r in range(int(lengths.max())):
                    ok = lengths > r
                    inner[gi[starts[ok]]] += term[starts[ok] + r]
            contrib = (self.dtype(1.0) / gt_area) * inner
            # ``outer_sum += ...`` in insertion order: a sequential sum
            aq_sum = np.cumsum(contrib, dtype=self.dtype)[-1]
        nz = np.flatnonzero(self._confusion)
        return STQVideoStats(self.name, self.length, nz,
                             self._confusion[nz].copy(), aq_sum, num_tubes)


def stq_summarize(stats: Iterable[STQVideoStats], num_classes: int,
                  ignore_label: int = 255) -> Dict:
    """Combine per-sequence statistics, as ``STQuality.result``.

    Args:
        stats (Iterable[STQVideoStats]): One entry per sequence, in the
            order the official evaluator would see them.
        num_classes (int): Number of semantic classes.
        ignore_label (int): Semantic id of void. Defaults to 255.

    Returns:
        dict: ``STQ``, ``AQ``, ``SQ`` (= the official ``IoU``), and
        ``AQ_per_seq``, ``IoU_per_seq``, ``STQ_per_seq`` (lists),
        ``ID_per_seq``.
    """
    stats = list(stats)
    size = _confusion_size(num_classes, ignore_label)
    if ignore_label >= num_classes:
        include = np.arange(num_classes)
    else:
        include = np.array([i for i in range(num_classes)
                            if i != ignore_label])
    keep = np.zeros(size, bool)
    keep[include] = True

    def _miou(confusion):
        inter = confusion.diagonal()
        fps = confusion.sum(axis=0) - inter
        fns = confusion.sum(axis=1) - inter
        unions = inter + fps + fns
        n = np.count_nonzero(unions)
        ious = inter.astype(np.double) / np.maximum(unions, _EPSILON)
        with np.errstate(divide='ignore', invalid='ignore'):
            return np.sum(ious) / n

    total = np.zeros((size, size), np.float64)
    iou_per_seq, aq_list, tubes = [], [], []
    for s in stats:
        conf = np.zeros(size * size, np.float64)
        conf[s.confusion_index] = s.confusion_count
        conf = conf.reshape(size, size) * keep[:, None]
        total += conf
        iou_per_seq.append(_miou(conf))
        # a sequence without tubes keeps the official ``outer_sum = 0.0``
        aq_list.append(s.aq_sum if s.num_tubes else 0.0)
        tubes.append(s.num_tubes)
    if not stats:
        raise ValueError('STQ needs at least one sequence')
    aq_mean = np.sum(aq_list) / np.maximum(np.sum(tubes), _EPSILON)
    aq_per_seq = np.asarray(aq_list, np.float64) / np.maximum(
        np.asarray(tubes, np.float64), _EPSILON)
    iou_mean = _miou(total)
    return {
        'STQ': float(np.sqrt(aq_mean * iou_mean)),
        'AQ': float(aq_mean),
        'SQ': float(iou_mean),
        'STQ_per_seq': np.sqrt(aq_per_seq * np.asarray(iou_per_seq)),
        'AQ_per_seq': aq_per_seq,
        'IoU_per_seq': np.asarray(iou_per_seq),
        'ID_per_seq': [s.name for s in stats],
    }


class STQAccumulator:
    """Accumulate sequences one at a time and report STQ.

    ``num_classes``, ``things_list``, ``ignore_label``, ``label_bit_shift``
    and ``float32_areas`` are those of :class:`STQVideo` (same defaults),
    given to every sequence.

    Args:
        offset (int, optional): The official argument; only checked
            (``offset >= num_classes << label_bit_shift``). Defaults to
            None (no check).

    Example:
        >>> import numpy as np
        >>> acc = STQAccumulator(2, things_list=[0])
        >>> gt = np.array([[1, 1, 1, 1, 1]])
        >>> pred = np.array([[1, 1, 2, 2, 2]])
        >>> round(float(acc.add_video([(gt, pred)]).aq_sum), 6)
        0.52
    """

    def __init__(self,
                 num_classes: int,
                 things_list: Sequence[int],
                 ignore_label: int = 255,
                 label_bit_shift: int = 16,
                 offset: Optional[int] = None,
                 float32_areas: bool = True):
        if offset is not None and offset < (num_classes << label_bit_shift):
            raise ValueError(
                f'offset {offset} is too small; it must be at least '
                f'num_classes << label_bit_shift = '
                f'{num_classes << label_bit_shift}')
        self.kwargs = dict(
            num_classes=num_classes,
            things_list=things_list,
            ignore_label=ignore_label,
            label_bit_shift=label_bit_shift,
            float32_areas=float32_areas)
        self.stats: List[STQVideoStats] = []

    def new_video(self, name: str = '') -> STQVideo:
        """A streaming state for one sequence (add it with :meth:`add`)."""
        return STQVideo(name=name, **self.kwargs)

    def add(self, stats: STQVideoStats) -> None:
        """Append the statistics of a finished sequence."""
        self.stats.append(stats)

    def add_video(self, frames: Iterable[Tuple[np.ndarray, np.ndarray]],
                  name: str = '') -> STQVideoStats:
        """Add a sequence as ``(y_true, y_pred)`` pairs in temporal order."""
        video = self.new_video(name)
        for y_true, y_pred in frames:
            video.add_frame(y_true, y_pred)
        s = video.finish()
        self.stats.append(s)
        return s

    def compute(self) -> Dict:
        """Scores over every sequence added so far (:func:`stq_summarize`)."""
        return stq_summarize(self.stats, self.kwargs['num_classes'],
                             self.kwargs['ignore_label'])
