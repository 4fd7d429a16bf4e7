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
3 frames (nothing to score) or a non-positive ``bound_th``.

How it is computed (same numbers, not the same steps):

* One frame is scored for all objects at once, on the index maps as they
  come (no int64 conversion). J counts pixels with ``np.count_nonzero``
  per object (``np.bincount`` of ``gt * (N + 1) + pred`` beyond 8
  objects).
* The boundary pixels of every object come from a single pass over the
  index map: pixel ``p`` is on the boundary of object ``k`` iff one of its
  in-image east, south and south-east neighbours ``q`` has ``L[q] != L[p]``
  and ``k`` is ``L[p]`` or ``L[q]``, which is ``seg2bmap(L == k)``
  (including its last row and column rules) for all ``k`` together.
* The dilation is not materialised. ``cv2.dilate(b, kernel)`` is 1 at
  ``p`` iff ``b`` has a pixel at ``p + o`` for an offset ``o`` of the
  kernel's footprint (anchor at ``(size // 2, size // 2)``), and only its
  values at the other map's boundary pixels are read. The footprint of
  ``disk(r)`` is split into horizontal runs ``(dy, dx0..dx1)`` (for an
  integer ``r``: ``dx0 = -dx1 = -floor(sqrt(r^2 - dy^2))``, i.e. exactly
  ``dx^2 + dy^2 <= r^2``); boundary pixels are encoded as sorted integer
  keys ``(object, row, column)`` and, for each run, one binary search per
  still-unmatched query pixel tells whether the other boundary of the same
  object has a pixel in ``[x + dx0, x + dx1]`` of row ``y + dy`` (the
  widest, middle runs first: matched pixels leave the search). Integer
  arithmetic only, so the counts are those of the dilation for any radius
  (with ``bound_th >= 1`` a fractional radius gives an off-centre skimage
  grid, ``arange(-r, r + 1)``, under cv2's ``size // 2`` anchor; that
  footprint is what the runs hold). For an integer radius this is the
  ``<= r`` test of an exact Euclidean distance transform, evaluated only
  at the boundary pixels instead of over the whole frame.
"""
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Tuple

import numpy as np

#: Above this many objects J is computed with one ``np.bincount``.
_BINCOUNT_OBJECTS = 8
#: Larger than any boundary key.
_NO_KEY = np.iinfo(np.int64).max


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
    """Boundary tolerance in pixels, ``ceil(bound_th * ||(H, W)||)``, or
    ``bound_th`` itself when it is at least 1 (pixels)."""
    if not bound_th > 0:
        raise ValueError(f'bound_th must be positive, got {bound_th}')
    return bound_th if bound_th >= 1 else float(
        np.ceil(bound_th * np.linalg.norm((height, width))))


def disk_offsets(kernel: np.ndarray) -> np.ndarray:
    """The footprint of a ``cv2.dilate`` kernel as horizontal runs.

    ``cv2.dilate(src, kernel)`` (default anchor, the kernel's centre
    ``(size // 2, size // 2)``; constant border, which never adds a pixel)
    is non-zero at ``(y, x)`` iff ``src`` is non-zero at some
    ``(y + dy, x + dx)`` with ``dx0 <= dx <= dx1`` for a run
    ``(dy, dx0, dx1)`` returned here.

    Args:
        kernel (np.ndarray): The structuring element, shape (kh, kw), e.g.
            :func:`disk`.

    Returns:
        np.ndarray: (R, 3) int64 runs ``(dy, dx0, dx1)``, the middle rows
        first (they match most pixels, which then leave the search).
    """
    kernel = np.asarray(kernel)
    if kernel.ndim != 2 or not kernel.any():
        raise ValueError(f'expected a non-empty 2-D structuring element, got '
                         f'shape {kernel.shape}')
    ay, ax = kernel.shape[0] // 2, kernel.shape[1] // 2
    runs = []
    for i, row in enumerate(kernel != 0):
        # starts and ends of the runs of ones in this row
        edges = np.flatnonzero(np.diff(np.concatenate(([0], row, [0]))))
        for j0, j1 in zip(edges[::2], edges[1::2] - 1):
            runs.append((i - ay, j0 - ax, j1 - ax))
    runs.sort(key=lambda r: (abs(r[0]), r[0], r[1]))
    return np.array(runs, np.int64).reshape(-1, 3)


def _boundary_keys(labels: np.ndarray, num_objects: int) -> np.ndarray:
    """Sorted keys ``k * H * W + y * W + x`` of the boundary pixels of every
    object ``k`` in ``1..num_objects`` of an index map (``seg2bmap`` of
    ``labels == k`` for each ``k``).

    Args:
        labels (np.ndarray): Integer index map, shape (H, W).
        num_objects (int): Objects are the ids 1..num_objects; any other
            value is background.

    Returns:
        np.ndarray: (P,) int64 sorted keys.
    """
    h, w = labels.shape
    hw = h * w
    flat = labels.ravel()
    if hw == 0 or num_objects <= 0:
        return np.zeros(0, np.int64)
    # any neighbour (east, south, south-east) with another label; the east
    # and south-east pairs wrap around at the last column, fixed below
    diff = np.zeros(hw, bool)
    np.not_equal(flat[:-1], flat[1:], out=diff[:-1])
    diff[:-w] |= flat[:-w] != flat[w:]
    diff[:-w - 1] |= flat[:-w - 1] != flat[w + 1:]
    pos = np.flatnonzero(diff)
    lab = flat[pos]
    not_last_col = pos % w != w - 1

    def neighbour(step, check_col):
        # the neighbour's label, or the pixel's own where it has none
        ok = pos < hw - step
        if check_col:
            ok &= not_last_col
        return flat[np.where(ok, pos + step, pos)]

    east, south, se = neighbour(1, True), neighbour(w, False), \
        neighbour(w + 1, True)
    # emit (label, pixel) once: the pixel's own label when any neighbour
    # differs, and each distinct differing neighbour label
    own = (east != lab) | (south != lab) | (se != lab)
    m_east = east != lab
    m_south = (south != lab) & (south != east)
    m_se = (se != lab) & (se != east) & (se != south)
    labs = np.concatenate((lab[own], east[m_east], south[m_south], se[m_se]))
    poss = np.concatenate((pos[own], pos[m_east], pos[m_south], pos[m_se]))
    keep = (labs >= 1) & (labs <= num_objects)
    keys = labs[keep].astype(np.int64) * hw + poss[keep]
    keys.sort()
    return keys


def _count_matched(query: np.ndarray, query_obj: np.ndarray,
                   source: np.ndarray, offsets: np.ndarray, row: int,
                   num_objects: int) -> np.ndarray:
    """Per object, the query pixels with a source pixel of the same object
    at one of the offsets (i.e. where the dilated source map is 1).

    Args:
        query (np.ndarray): (Q,) sorted padded keys ``(k * Hp + y + P) *
            row + x + P`` of the query pixels, where ``P`` bounds the
            offsets.
        query_obj (np.ndarray): (Q,) their objects ``k``.
        source (np.ndarray): (S,) sorted padded keys of the source pixels.
        offsets (np.ndarray): (R, 3) runs from :func:`disk_offsets`; matched
            queries leave the search, so the widest (middle) runs first.
        row (int): The padded row length ``Wp``.
        num_objects (int): N.

    Returns:
        np.ndarray: (N,) int64 counts of matched query pixels.
    """
    found = []
    ends = np.append(source, _NO_KEY)
    for dy, dx0, dx1 in offsets.tolist():
        if query.size == 0:
            break
        base = query + dy * row
        hit = ends[np.searchsorted(source, base + dx0)] <= base + dx1
        if hit.any():
            found.append(query_obj[hit])
            miss = ~hit
            query, query_obj = query[miss], query_obj[miss]
    found = np.concatenate(found) if found else np.zeros(0, np.int64)
    return np.bincount(found, minlength=num_objects + 1)[1:]


def f_from_counts(n_fg: int, n_gt: int, fg_matched: int,
                  gt_matched: int) -> float:
    """Boundary F from boundary pixel counts (the official rules).

    Precision is the share of the predicted boundary pixels matched by the
    dilated ground-truth boundary, recall the converse; an empty boundary
    on one side gives (1, 0) or (0, 1), on both sides (1, 1).

    Args:
        n_fg (int): Predicted boundary pixels.
        n_gt (int): Ground-truth boundary pixels.
        fg_matched (int): Predicted ones within the tolerance of the
            ground-truth boundary.
        gt_matched (int): Ground-truth ones within the tolerance of the
            predicted boundary.

    Returns:
        float: F in [0, 1].
    """
    if n_fg == 0 and n_gt > 0:
        precision, recall = 1, 0
    elif n_fg > 0 and n_gt == 0:
        precision, recall = 0, 1
    elif n_fg == 0 and n_gt == 0:
        precision, recall = 1, 1
    else:
        precision = fg_matched / float(n_fg)
        recall = gt_matched / float(n_gt)
    return 0 if precision + recall == 0 else \
        2 * precision * recall / (precision + recall)


def boundary_f(gt: np.ndarray, pred: np.ndarray, num_objects: int,
               offsets: np.ndarray) -> np.ndarray:
    """Boundary F-measure of every object of a frame (the official rules).

    Args:
        gt (np.ndarray): Ground-truth index map, shape (H, W); objects are
            the ids 1..num_objects, anything else is background.
        pred (np.ndarray): Predicted index map, shape (H, W).
        num_objects (int): N.
        offsets (np.ndarray): (R, 3) runs of the dilation's footprint, from
            :func:`disk_offsets`.

    Returns:
        np.ndarray: (N,) float64 F per object.
    """
    h, w = gt.shape
    hw = h * w
    pad = int(np.abs(offsets).max()) if offsets.size else 0
    hp, wp = h + 2 * pad, w + 2 * pad + 1
    sides = []
    for labels in (pred, gt):
        keys = _boundary_keys(labels, num_objects)
        obj, pix = np.divmod(keys, hw) if hw else (keys, keys)
        y, x = np.divmod(pix, w) if w else (pix, pix)
        padded = (obj * hp + y + pad) * wp + x + pad
        sides.append((padded, obj,
                      np.bincount(obj, minlength=num_objects + 1)[1:]))
    (fg_key, fg_obj, n_fg), (gt_key, gt_obj, n_gt) = sides
    # objects with one empty boundary need no matching
    both = np.zeros(num_objects + 1, bool)
    both[1:] = (n_fg > 0) & (n_gt > 0)
    sel = both[fg_obj]
    fg_match = _count_matched(fg_key[sel], fg_obj[sel], gt_key, offsets, wp,
                              num_objects)
    sel = both[gt_obj]
    gt_match = _count_matched(gt_key[sel], gt_obj[sel], fg_key, offsets, wp,
                              num_objects)
    f = np.empty(num_objects, np.float64)
    for k in range(num_objects):
        f[k] = f_from_counts(int(n_fg[k]), int(n_gt[k]), int(fg_match[k]),
                             int(gt_match[k]))
    return f


def f_measure(fg: np.ndarray, gt: np.ndarray, radius: float,
              kernel: Optional[np.ndarray] = None) -> float:
    """Boundary F-measure of two binary masks (the official rules).

    Args:
        fg (np.ndarray): Predicted binary mask, shape (H, W).
        gt (np.ndarray): Ground-truth binary mask, shape (H, W).
        radius (float): Tolerance in pixels (see :func:`boundary_radius`).
        kernel (np.ndarray, optional): The structuring element; defaults to
            ``disk(radius)``.

    Returns:
        float: F in [0, 1].
    """
    fg, gt = np.asarray(fg), np.asarray(gt)
    if fg.shape != gt.shape or fg.ndim != 2:
        raise ValueError(f'expected two (H, W) masks of the same shape, got '
                         f'{fg.shape} and {gt.shape}')
    offsets = disk_offsets(disk(radius) if kernel is None else kernel)
    return float(
        boundary_f((gt != 0).view(np.uint8), (fg != 0).view(np.uint8), 1,
                   offsets)[0])


def _jaccard(gt: np.ndarray, pred: np.ndarray, n: int) -> np.ndarray:
    """(N,) J of objects 1..n (ground-truth ids outside 1..n and 255 are
    background; J = 1 when both masks are empty)."""
    if n > _BINCOUNT_OBJECTS:
        g = np.where((gt >= 1) & (gt <= n) & (gt != 255), gt, 0)
        conf = np.bincount((g.astype(np.int64) * (n + 1) + pred).ravel(),
                           minlength=(n + 1)**2).reshape(n + 1, n + 1)
        area_g, area_p = conf.sum(1)[1:], conf.sum(0)[1:]
        inter = np.diagonal(conf)[1:]
    else:
        area_g = np.zeros(n, np.int64)
        area_p = np.zeros(n, np.int64)
        inter = np.zeros(n, np.int64)
        for k in range(1, n + 1):
            g = gt == k
            p = pred == k
            area_g[k - 1] = np.count_nonzero(g)
            area_p[k - 1] = np.count_nonzero(p)
            inter[k - 1] = np.count_nonzero(g & p)
    union = area_g + area_p - inter
    with np.errstate(divide='ignore', invalid='ignore'):
        j = inter / union
    j[union == 0] = 1
    return j


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
        if not bound_th > 0:
            raise ValueError(f'{name}: bound_th must be positive, got '
                             f'{bound_th}')
        self.name = name
        self.bound_th = bound_th
        self.num_objects: Optional[int] = None
        self.num_frames = 0
        self._pending = None
        self._j: List[np.ndarray] = []
        self._f: List[np.ndarray] = []
        self._radius = None
        self._offsets = None

    @staticmethod
    def _as_index_map(a: np.ndarray) -> np.ndarray:
        # integer and bool maps are used as they are; others are truncated
        # to int64 as the original conversion did
        return a if a.dtype.kind in 'iub' else a.astype(np.int64)

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
        gt = self._as_index_map(gt)
        if self.num_objects is None:
            first = np.where(gt == 255, 0, gt) if gt.size else gt
            self.num_objects = int(first.max()) if gt.size else 0
            self._radius = boundary_radius(*gt.shape, self.bound_th)
            self._offsets = disk_offsets(disk(self._radius))
        if self.num_frames > 0:
            pred = self._as_index_map(pred)
            if pred.size and (pred.min() < 0
                              or pred.max() > self.num_objects):
                raise ValueError(
                    f'{where}: predicted object id {int(pred.max())} is '
                    f'higher than the number of objects '
                    f'({self.num_objects}) in the first ground-truth frame')
            if self._pending is not None:
                self._score(*self._pending)
            # copies: the caller may reuse its buffers
            self._pending = (np.array(gt), np.array(pred))
        self.num_frames += 1

    def _score(self, gt: np.ndarray, pred: np.ndarray) -> None:
        n = self.num_objects
        if n >= 255:
            gt = np.where(gt == 255, 0, gt)  # void, not object 255
        self._j.append(_jaccard(gt, pred, n))
        self._f.append(boundary_f(gt, pred, n, self._offsets))

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


def davis_null_reasons(result: Dict[str, float],
                       stats: Iterable[DAVISVideoStats]) -> Dict[str, str]:
    """Why each NaN score of :func:`davis_summarize` is NaN.

    Returns:
        dict: Key -> a sentence, for the NaN keys only.
    """
    stats = list(stats)
    if sum(s.j.shape[0] for s in stats) == 0:
        reason = ('no object to score: the first ground-truth frame of every '
                  'sequence is empty (the objects are the ids of the first '
                  'frame)')
    else:
        reason = ('every scored frame of every object is NaN (no frame '
                  'between the first and the last)')
    return {k: reason for k, v in result.items() if np.isnan(v)}


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
