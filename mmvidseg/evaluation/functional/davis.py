# Copyright (c) OpenMMLab. All rights reserved.
"""DAVIS 2017 semi-supervised J&F, as ``davis2017-evaluation``.

Reproduces ``davis2017/{metrics,utils,evaluation}.py`` (semi-supervised
task) with its conventions:

* The number of objects is the largest id of the *first* ground-truth
  frame (255 is first mapped to 0, so void never counts). Later ground-truth
  ids above it are background. The first and the last frame are not scored.
* J of an object in a frame is the IoU of its masks; F is the boundary
  F-measure: one-pixel boundaries (``seg2bmap``), matched within a disk of
  radius ``ceil(0.008 * ||(H, W)||)`` (``cv2.dilate`` with skimage's
  ``disk``). When both masks are empty J = F = 1; when exactly one
  boundary is empty F = 0.
* Per object: Mean = ``nanmean``, Recall = share of frames above 0.5, Decay
  = mean of the first quarter minus the last quarter (bin edges cast to
  ``uint8`` as the official code does, which wraps past 255 frames).
* ``J&F = (mean_obj J-Mean + mean_obj F-Mean) / 2``; every other key is
  the mean over all objects of all sequences.

Differences: a prediction whose largest id is *smaller* than the number of
objects makes the official script exit ("an index higher than the number
of objects"); here the missing objects are scored as empty masks. A larger
id (255 included) raises ``ValueError``, as does a sequence with fewer than
3 frames (nothing to score).

The implementation streams (one frame is buffered to drop the last one),
computes J for all objects with ``np.bincount`` and F on a crop around each
object instead of the full frame (exactly equal: dilation never reaches
further than the crop's margin).
"""
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Tuple

import cv2
import numpy as np


def disk(radius: float) -> np.ndarray:
    """skimage's ``morphology.disk``: ``x^2 + y^2 <= r^2``, uint8."""
    coords = np.arange(-radius, radius + 1)
    x, y = np.meshgrid(coords, coords)
    return ((x**2 + y**2) <= radius**2).astype(np.uint8)


def seg2bmap(seg: np.ndarray) -> np.ndarray:
    """One-pixel boundary map of a binary mask (the official definition).

    Args:
        seg (np.ndarray): Binary mask, shape (H, W).

    Returns:
        np.ndarray: bool boundary map, shape (H, W).
    """
    seg = seg.astype(bool)
    e = np.zeros_like(seg)
    s = np.zeros_like(seg)
    se = np.zeros_like(seg)
    e[:, :-1] = seg[:, 1:]
    s[:-1, :] = seg[1:, :]
    se[:-1, :-1] = seg[1:, 1:]
    b = (seg ^ e) | (seg ^ s) | (seg ^ se)
    b[-1, :] = seg[-1, :] ^ e[-1, :]
    b[:, -1] = seg[:, -1] ^ s[:, -1]
    b[-1, -1] = 0
    return b


def boundary_radius(height: int, width: int, bound_th: float = 0.008) -> float:
    """Boundary tolerance in pixels, ``ceil(bound_th * ||(H, W)||)``."""
    return bound_th if bound_th >= 1 else float(
        np.ceil(bound_th * np.linalg.norm((height, width))))


def f_measure(fg: np.ndarray, gt: np.ndarray, radius: float,
              kernel: Optional[np.ndarray] = None) -> float:
    """Boundary F-measure of two binary masks (the official rules).

    Args:
        fg (np.ndarray): Predicted binary mask, shape (H, W).
        gt (np.ndarray): Ground-truth binary mask, shape (H, W).
        radius (float): Tolerance in pixels (see :func:`boundary_radius`).
        kernel (np.ndarray, optional): ``disk(radius)``, to reuse.

    Returns:
        float: F in [0, 1].
    """
    ys, xs = np.nonzero(fg | gt)
    if ys.size:
        # crop with a margin of 2 pixels: every boundary pixel lies within
        # one pixel of the masks, and the dilated maps are only read at
        # boundary pixels, so the counts are exactly those of the full frame
        m = 2
        y0, y1 = max(ys.min() - m, 0), min(ys.max() + m + 1, fg.shape[0])
        x0, x1 = max(xs.min() - m, 0), min(xs.max() + m + 1, fg.shape[1])
        fg, gt = fg[y0:y1, x0:x1], gt[y0:y1, x0:x1]
    fg_b = seg2bmap(fg)
    gt_b = seg2bmap(gt)
    n_fg = int(np.count_nonzero(fg_b))
    n_gt = int(np.count_nonzero(gt_b))
    if n_fg == 0 and n_gt > 0:
        precision, recall = 1, 0
    elif n_fg > 0 and n_gt == 0:
        precision, recall = 0, 1
    elif n_fg == 0 and n_gt == 0:
        precision, recall = 1, 1
    else:
        if kernel is None:
            kernel = disk(radius)
        fg_dil = cv2.dilate(fg_b.astype(np.uint8), kernel)
        gt_dil = cv2.dilate(gt_b.astype(np.uint8), kernel)
        precision = np.count_nonzero(fg_b & (gt_dil > 0)) / float(n_fg)
        recall = np.count_nonzero(gt_b & (fg_dil > 0)) / float(n_gt)
    if precision + recall == 0:
        return 0
    return 2 * precision * recall / (precision + recall)


def db_statistics(values: np.ndarray) -> Tuple[float, float, float]:
    """Mean, recall (> 0.5) and decay of per-frame values (official)."""
    values = np.asarray(values, np.float64)
    with np.errstate(invalid='ignore'):
        mean = np.nanmean(values) if values.size else np.nan
        recall = np.nanmean(values > 0.5) if values.size else np.nan
    ids = np.round(np.linspace(1, len(values), 4 + 1) + 1e-10) - 1
    ids = ids.astype(np.uint8)
    bins = [values[ids[i]:ids[i + 1] + 1] for i in range(0, 4)]
    with np.errstate(invalid='ignore'):
        first = np.nanmean(bins[0]) if bins[0].size else np.nan
        last = np.nanmean(bins[3]) if bins[3].size else np.nan
    return float(mean), float(recall), float(first - last)


@dataclass
class DAVISVideoStats:
    """Per-object statistics of one sequence.

    Attributes:
        name (str): Sequence name.
        j (np.ndarray): (N, 3) J Mean, Recall, Decay per object.
        f (np.ndarray): (N, 3) F Mean, Recall, Decay per object.
        num_frames (int): Frames in the sequence (scored: num_frames - 2).
    """
    name: str
    j: np.ndarray
    f: np.ndarray
    num_frames: int


class DAVISVideo:
    """Streaming semi-supervised J&F of one sequence.

    Args:
        name (str): Sequence name, for error messages.
        bound_th (float): Boundary tolerance. Defaults to 0.008.
    """

    def __init__(self, name: str = '', bound_th: float = 0.008):
        self.name = name
        self.bound_th = bound_th
        self.num_objects: Optional[int] = None
        self.num_frames = 0
        self._pending = None
        self._j: List[np.ndarray] = []
        self._f: List[np.ndarray] = []
        self._kernel = None
        self._radius = None

    def add_frame(self, gt: np.ndarray, pred: np.ndarray,
                  where: str = '') -> None:
        """Add the next frame.

        Args:
            gt (np.ndarray): Ground-truth object ids, shape (H, W), 0 =
                background, 255 = void (treated as background).
            pred (np.ndarray): Predicted object ids, shape (H, W).
            where (str): Name of the frame, for error messages.
        """
        where = where or f'{self.name} frame {self.num_frames}'
        gt = np.asarray(gt)
        pred = np.asarray(pred)
        if gt.ndim != 2:
            raise ValueError(f'{where}: expected an (H, W) ground-truth '
                             f'index map, got shape {gt.shape}')
        if pred.ndim != 2:
            raise ValueError(f'{where}: expected a palette or index PNG, '
                             f'got an array of shape {pred.shape}')
        if gt.shape != pred.shape:
            raise ValueError(f'{where}: prediction shape {pred.shape} differs '
                             f'from ground-truth shape {gt.shape}')
        gt = np.where(gt == 255, 0, gt).astype(np.int64)
        if self.num_objects is None:
            self.num_objects = int(gt.max()) if gt.size else 0
            self._radius = boundary_radius(*gt.shape, self.bound_th)
            self._kernel = disk(self._radius)
        if self.num_frames > 0:
            pred = pred.astype(np.int64)
            if pred.size and (pred.min() < 0
                              or pred.max() > self.num_objects):
                raise ValueError(
                    f'{where}: predicted object id {int(pred.max())} is '
                    f'higher than the number of objects '
                    f'({self.num_objects}) in the first ground-truth frame')
            if self._pending is not None:
                self._score(*self._pending)
            self._pending = (gt, pred)
        self.num_frames += 1

    def _score(self, gt: np.ndarray, pred: np.ndarray) -> None:
        n = self.num_objects
        gt = np.where(gt > n, 0, gt)
        g, p = gt.ravel(), pred.ravel()
        area_g = np.bincount(g, minlength=n + 1)[1:]
        area_p = np.bincount(p, minlength=n + 1)[1:]
        inter = np.bincount(g[g == p], minlength=n + 1)[1:]
        union = area_g + area_p - inter
        with np.errstate(divide='ignore', invalid='ignore'):
            j = inter / union
        j[union == 0] = 1
        f = np.empty(n, np.float64)
        for k in range(n):
            f[k] = f_measure(pred == k + 1, gt == k + 1, self._radius,
                             self._kernel)
        self._j.append(j)
        self._f.append(f)

    def finish(self) -> DAVISVideoStats:
        """Close the sequence (its last frame is dropped)."""
        if self.num_frames < 3:
            raise ValueError(
                f'sequence {self.name!r} has {self.num_frames} frames; the '
                f'semi-supervised evaluation needs at least 3 (the first '
                f'and the last are not scored)')
        n = self.num_objects
        j = np.stack(self._j, 1) if n else np.zeros((0, 0))
        f = np.stack(self._f, 1) if n else np.zeros((0, 0))
        js = np.array([db_statistics(j[k]) for k in range(n)]).reshape(n, 3)
        fs = np.array([db_statistics(f[k]) for k in range(n)]).reshape(n, 3)
        return DAVISVideoStats(self.name, js, fs, self.num_frames)


def davis_summarize(stats: Iterable[DAVISVideoStats]) -> Dict[str, float]:
    """Mean over all objects of all sequences.

    Returns:
        dict: ``J&F``, ``J-Mean``, ``J-Recall``, ``J-Decay``, ``F-Mean``,
        ``F-Recall``, ``F-Decay`` (fractions).
    """
    stats = list(stats)
    j = np.concatenate([s.j for s in stats] or [np.zeros((0, 3))])
    f = np.concatenate([s.f for s in stats] or [np.zeros((0, 3))])
    if j.shape[0] == 0:
        nan = float('nan')
        return {k: nan for k in ('J&F', 'J-Mean', 'J-Recall', 'J-Decay',
                                 'F-Mean', 'F-Recall', 'F-Decay')}
    jm, fm = j.mean(0), f.mean(0)
    return {
        'J&F': float((np.mean(j[:, 0]) + np.mean(f[:, 0])) / 2.),
        'J-Mean': float(jm[0]),
        'J-Recall': float(jm[1]),
        'J-Decay': float(jm[2]),
        'F-Mean': float(fm[0]),
        'F-Recall': float(fm[1]),
        'F-Decay': float(fm[2]),
    }


class DAVISAccumulator:
    """Accumulate sequences and report DAVIS 2017 semi-supervised J&F.

    Example:
        >>> import numpy as np
        >>> acc = DAVISAccumulator()
        >>> gt = np.zeros((8, 8), np.uint8); gt[2:6, 2:6] = 1
        >>> _ = acc.add_video([(gt, gt)] * 3, name='seq')
        >>> acc.compute()['J&F']
        1.0
    """

    def __init__(self, bound_th: float = 0.008):
        self.bound_th = bound_th
        self.stats: List[DAVISVideoStats] = []

    def add_video(self, frames: Iterable[Tuple[np.ndarray, np.ndarray]],
                  name: str = '') -> DAVISVideoStats:
        """Add a sequence as ``(gt, pred)`` index maps in temporal order."""
        video = DAVISVideo(name, self.bound_th)
        for gt, pred in frames:
            video.add_frame(gt, pred)
        s = video.finish()
        self.stats.append(s)
        return s

    def compute(self) -> Dict[str, float]:
        return davis_summarize(self.stats)

