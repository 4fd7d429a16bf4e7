# Copyright (c) OpenMMLab. All rights reserved.
"""Video semantic segmentation: mIoU and video consistency (mVC), as VSPW.

Reproduces the official VSPW evaluation (``VSPW_code``: ``utils.Evaluator``
for mIoU, ``VC_perclip.py`` for VC) and its conventions:

* mIoU comes from one confusion matrix over the whole dataset (rows =
  ground truth, columns = prediction). Only ground-truth values in ``[0,
  num_classes)`` count; every other value (255, ...) is void: the pixel is
  left out, whatever is predicted there. Per-class IoU = TP / (TP + FP +
  FN), and mIoU is its mean over the classes **with ground-truth pixels**
  (``Evaluator.Mean_Intersection_over_Union`` in ``utils.py``: ``isval =
  confusion.sum(axis=1) > 0``). A class that is only predicted still costs
  the classes it was confused with their FPs, but is not itself averaged:
  its IoU is reported as NaN, like a class that never occurs. With no
  counted pixel at all the official ``0 / 0`` gives NaN, as here. A
  prediction outside ``[0, num_classes)`` on a counted pixel is an error
  here (the official code silently writes it to a wrong cell or crashes).
* VC_n of a window of n consecutive frames is the share of the pixels whose
  ground truth stays constant over the window where the prediction also
  stays constant (whether or not it is right). Windows start at
  ``0 .. T - n - 1`` (the official loop skips the last possible window),
  videos with ``T <= n`` frames contribute none, and a window with no
  constant ground-truth pixel is NaN. mVC_n is the NaN-mean over all windows
  of all videos. Ignored values take part in VC like any other value.

Everything streams: a video is read frame by frame and only a count of the
changes in the current window is kept per pixel.
"""
from collections import deque
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Mapping, Sequence, Tuple

import numpy as np


@dataclass
class VSSVideoStats:
    """Per-video sufficient statistics of :func:`vss_video_stats`.

    Attributes:
        confusion (np.ndarray): (num_classes, num_classes) int64 counts,
            rows = ground truth, columns = prediction.
        vc (Dict[int, List[float]]): VC of each window, per window size.
        num_frames (int): Frames in the video.
    """
    confusion: np.ndarray
    vc: Dict[int, List[float]] = field(default_factory=dict)
    num_frames: int = 0


def confusion_matrix(gt: np.ndarray, pred: np.ndarray, num_classes: int,
                     where: str = '') -> np.ndarray:
    """Confusion matrix of one frame with the official counting rule.

    Args:
        gt (np.ndarray): Ground-truth class ids, shape (H, W).
        pred (np.ndarray): Predicted class ids, shape (H, W).
        num_classes (int): Number of classes C.
        where (str): Name of the frame, for error messages.

    Returns:
        np.ndarray: (C, C) int64 counts.
    """
    if gt.shape != pred.shape:
        raise ValueError(f'{where}: prediction shape {pred.shape} differs '
                         f'from ground-truth shape {gt.shape}')
    gt = gt.astype(np.int64, copy=False).ravel()
    pred = pred.astype(np.int64, copy=False).ravel()
    valid = (gt >= 0) & (gt < num_classes)
    gt, pred = gt[valid], pred[valid]
    if pred.size and (pred.min() < 0 or pred.max() >= num_classes):
        bad = pred[(pred < 0) | (pred >= num_classes)][0]
        raise ValueError(f'{where}: predicted class {bad} is outside the '
                         f'class list [0, {num_classes})')
    counts = np.bincount(gt * num_classes + pred,
                         minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


class VSSVideoState:
    """Streaming statistics of one video: feed frames in order, then finish.

    Args:
        num_classes (int): Number of classes C.
        windows (Sequence[int]): VC window sizes n. Defaults to (8, 16).
        name (str): Video name, for error messages.
    """

    def __init__(self,
                 num_classes: int,
                 windows: Sequence[int] = (8, 16),
                 name: str = ''):
        self.num_classes = num_classes
        self.windows = tuple(int(n) for n in windows)
        if any(n < 2 for n in self.windows):
            raise ValueError(
                f'VC window sizes must be >= 2, got {self.windows}')
        self.name = name
        self.confusion = np.zeros((num_classes, num_classes), np.int64)
        self.num_frames = 0
        self._prev = None
        # per window size: the last n - 1 "changed" masks and their running
        # sums, and the VC of every complete window so far
        self._history = {n: deque() for n in self.windows}
        self._gt_changes = {}
        self._pred_changes = {}
        self._vc: Dict[int, List[float]] = {n: [] for n in self.windows}

    def add(self, gt: np.ndarray, pred: np.ndarray, where: str = '') -> None:
        """Add the next frame's (H, W) ground truth and prediction;
        ``where`` names the frame (its file) in error messages (default:
        ``'<video name> frame <n>'``)."""
        gt, pred = np.asarray(gt), np.asarray(pred)
        where = where or f'{self.name} frame {self.num_frames}'
        self.confusion += confusion_matrix(gt, pred, self.num_classes, where)
        if self._prev is not None:
            if gt.shape != self._prev[0].shape:
                raise ValueError(f'{where}: shape {gt.shape} differs from '
                                 f'the previous frame {self._prev[0].shape}')
            gt_changed = (gt != self._prev[0]).astype(np.int32)
            pred_changed = (pred != self._prev[1]).astype(np.int32)
            for n in self.windows:
                self._push(n, gt_changed, pred_changed)
        self._prev = (gt, pred)
        self.num_frames += 1

    def _push(self, n, gt_changed, pred_changed):
        history = self._history[n]
        if n not in self._gt_changes:
            self._gt_changes[n] = np.zeros(gt_changed.shape, np.int32)
            self._pred_changes[n] = np.zeros(gt_changed.shape, np.int32)
        gt_sum, pred_sum = self._gt_changes[n], self._pred_changes[n]
        history.append((gt_changed, pred_changed))
        gt_sum += gt_changed
        pred_sum += pred_changed
        if len(history) > n - 1:
            old_gt, old_pred = history.popleft()
            gt_sum -= old_gt
            pred_sum -= old_pred
        if len(history) == n - 1:  # a window of n frames is complete
            gt_const = gt_sum == 0
            both = np.count_nonzero(gt_const & (pred_sum == 0))
            total = np.count_nonzero(gt_const)
            self._vc[n].append(both / total if total else np.nan)

    def finish(self) -> VSSVideoStats:
        """Statistics of the video; drops the per-pixel state."""
        if self.num_frames == 0:
            raise ValueError(f'video {self.name!r} has no frames')
        # The official loop uses windows 0 .. T - n - 1: the window that
        # ends on the last frame is left out.
        vc = {n: values[:-1] for n, values in self._vc.items()}
        self._prev, self._history = None, {}
        self._gt_changes, self._pred_changes = {}, {}
        return VSSVideoStats(
            confusion=self.confusion, vc=vc, num_frames=self.num_frames)


def vss_video_stats(frames: Iterable[Tuple[np.ndarray, np.ndarray]],
                    num_classes: int,
                    windows: Sequence[int] = (8, 16),
                    name: str = '') -> VSSVideoStats:
    """Statistics of one video, read frame by frame.

    Args:
        frames (Iterable[Tuple[np.ndarray, np.ndarray]]): ``(gt, pred)``
            class-id maps of shape (H, W), in temporal order, or ``(gt,
            pred, where)`` with ``where`` naming the frame in errors.
        num_classes (int): Number of classes C.
        windows (Sequence[int]): VC window sizes n. Defaults to (8, 16).
        name (str): Video name, for error messages.

    Returns:
        VSSVideoStats: Confusion matrix and per-window VC values.
    """
    state = VSSVideoState(num_classes, windows, name)
    for frame in frames:
        state.add(*frame)
    return state.finish()


def vss_summarize(stats: Iterable[VSSVideoStats],
                  num_classes: int,
                  windows: Sequence[int] = (8, 16)) -> Dict[str, float]:
    """Combine per-video statistics into the dataset's scores.

    Args:
        stats (Iterable[VSSVideoStats]): One entry per video.
        num_classes (int): Number of classes C.
        windows (Sequence[int]): VC window sizes. Defaults to (8, 16).

    Returns:
        dict: ``mIoU`` (mean IoU over the classes with ground-truth
        pixels; NaN when there is none), ``aAcc``, ``mVC<n>`` per window
        (NaN when no video is longer than n frames), ``IoU`` (per-class
        array, NaN for the classes without ground-truth pixels, predicted
        or not) and ``confusion`` (the summed (C, C) matrix, rows = ground
        truth).
    """
    confusion = np.zeros((num_classes, num_classes), np.int64)
    vc: Dict[int, List[float]] = {int(n): [] for n in windows}
    for s in stats:
        confusion += s.confusion
        for n in vc:
            vc[n].extend(s.vc.get(n, []))
    tp = np.diag(confusion).astype(np.float64)
    gt_pixels = confusion.sum(1)
    union = gt_pixels + confusion.sum(0) - tp
    scored = gt_pixels > 0  # the official ``isval``
    iou = np.full(num_classes, np.nan)
    iou[scored] = tp[scored] / union[scored]
    # the official sum over all C classes of IoU * isval (NaN-sum), divided
    # by the number of classes with ground truth: same terms, same order
    with np.errstate(divide='ignore', invalid='ignore'):
        miou = np.sum(np.where(scored, iou, 0.0)) / scored.sum()
        acc = tp.sum() / confusion.sum()
    result = {
        'mIoU': float(miou),
        'aAcc': float(acc),
        'IoU': iou,
        'confusion': confusion,
    }
    for n, values in vc.items():
        values = np.asarray(values, np.float64)
        ok = values[~np.isnan(values)]
        result[f'mVC{n}'] = float(ok.mean()) if ok.size else float('nan')
    return result


def vss_class_null_reason(confusion: np.ndarray, c: int) -> str:
    """Why class ``c``'s IoU is NaN in :func:`vss_summarize`.

    Args:
        confusion (np.ndarray): The summed (C, C) confusion matrix (rows =
            ground truth).
        c (int): The class index.

    Returns:
        str: A sentence.
    """
    predicted = int(confusion[:, c].sum())
    if predicted:
        return (f'no ground-truth pixel of this class (it is predicted on '
                f'{predicted} counted pixels, which are FPs of the classes '
                f'they belong to): the official VSPW mean IoU averages only '
                f'the classes with ground truth, so it is not scored')
    return ('no ground-truth or predicted pixel of this class: not scored '
            '(the official VSPW mean IoU averages only the classes with '
            'ground truth)')


def vss_null_reasons(result: Mapping, num_frames: Sequence[int],
                     windows: Sequence[int] = (8, 16)) -> Dict[str, str]:
    """Why each NaN score of :func:`vss_summarize` is NaN.

    Args:
        result (Mapping): Its output (``mIoU`` and ``mVC<n>``; values in
            percent are fine).
        num_frames (Sequence[int]): The number of frames of each video.
        windows (Sequence[int]): The VC window sizes.

    Returns:
        dict: Key -> a sentence, for the NaN keys only.
    """
    reasons: Dict[str, str] = {}
    for key in ('mIoU', 'aAcc'):
        if key in result and np.isnan(result[key]):
            reasons[key] = ('no pixel is counted: every ground-truth value '
                            'is outside the class list (void), so no class '
                            'has ground truth (the official 0 / 0)')
    longest = max(num_frames, default=0)
    for n in windows:
        key = f'mVC{n}'
        if key not in result or not np.isnan(result[key]):
            continue
        if longest <= n:
            reasons[key] = (f'no window of {n} frames: the official loop '
                            f'scores the windows that end before the last '
                            f'frame, so a video needs more than {n} frames '
                            f'(the longest has {longest})')
        else:
            reasons[key] = (f'in every window of {n} frames the ground truth '
                            f'changes at every pixel (no pixel to score)')
    return reasons


class VSSAccumulator:
    """Accumulate videos one at a time and report VSPW's scores.

    Args:
        num_classes (int): Number of classes C (124 for VSPW).
        windows (Sequence[int]): VC window sizes. Defaults to (8, 16).

    Example:
        >>> import numpy as np
        >>> acc = VSSAccumulator(num_classes=2, windows=(2,))
        >>> gt = [np.zeros((2, 2), np.uint8)] * 3
        >>> acc.add_video(zip(gt, gt), name='v')
        >>> acc.compute()['mIoU']
        1.0
    """

    def __init__(self, num_classes: int, windows: Sequence[int] = (8, 16)):
        self.num_classes = num_classes
        self.windows = tuple(windows)
        self.stats: List[VSSVideoStats] = []

    def add_video(self, frames: Iterable[Tuple[np.ndarray, np.ndarray]],
                  name: str = '') -> VSSVideoStats:
        """Add one video given as ``(gt, pred)`` pairs in temporal order."""
        s = vss_video_stats(frames, self.num_classes, self.windows, name)
        self.stats.append(s)
        return s

    def compute(self) -> Dict[str, float]:
        """Scores over every video added so far (see :func:`vss_summarize`)."""
        return vss_summarize(self.stats, self.num_classes, self.windows)
