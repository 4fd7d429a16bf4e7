# Copyright (c) OpenMMLab. All rights reserved.
"""Video Panoptic Quality (VPQ), as the official VPSNet / VIPSeg evaluators.

Reproduces ``eval_vpq_vspw.py`` of VIPSeg (same core as VPSNet's
``tools/eval_vpq.py``) number for number, with its conventions:

* A segment id is a track id; id 0 is VOID. For a window size ``k``, every
  run of ``k`` consecutive frames of a video (``T - k + 1`` windows, none
  when ``T < k``) is scored like one image: segment areas and overlaps are
  summed over the window's frames.
* A ground-truth and a predicted segment of the same category match when
  ``IoU > 0.5``, where the union leaves out the prediction's overlap with
  VOID. Crowd ground truth (``iscrowd == 1``) never matches and is never a
  false negative.
* An unmatched prediction is not a false positive when more than half of it
  lies on VOID plus the crowd segment of its category; when a window holds
  several crowd segments of one category only the last one (in order of
  first appearance: frames in order, ``segments_info`` in order within a
  frame) counts, as the official dict overwrite does.
* Ground-truth areas come from the JSON ``area`` fields (duplicated ids in
  one frame add up), prediction areas are recounted from the PNG.
* Per class, ``PQ = sum(IoU of TPs) / (TP + FP/2 + FN/2)``; classes with
  ``TP + FP + FN = 0`` are left out of the mean. VPQ@k = 100 x mean PQ, and
  VPQ is the mean of VPQ@k over the window sizes (VIPSeg: 1, 2, 4, 6, 8;
  VPSNet on Cityscapes-VPS: 1, 2, 3, 4).

Differences from the official code (documented choices, not silent ones):

* A subset (things or stuff) with no class to average raises
  ``ZeroDivisionError`` there; here its score is NaN.
* Bad input raises ``ValueError`` naming the frame: a PNG id missing from
  its JSON (the official code ignores it on the ground-truth side), a JSON
  id missing from the prediction PNG, an unknown category, a segment id
  that changes category within a video, an IoU above 1 (inconsistent JSON
  areas; the official code asserts).
* VPSNet's ``eval_vpq.py`` does not copy the JSON dicts, so a ground-truth
  segment that first appears in the middle of a window has its area
  inflated in later windows; VIPSeg's version (reproduced here) copies
  them.

The implementation streams: each frame is reduced once to a table of
``(gt id, pred id, pixel count)`` by one ``np.unique`` on combined 64-bit
ids, and a window only merges the small tables of its frames, so memory is
bounded by the largest window, not by the video.
"""
from collections import deque
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import numpy as np

#: Panoptic id of void pixels in the COCO-panoptic PNG convention.
VOID = 0
#: Window sizes of VIPSeg's evaluator.
VIPSEG_WINDOWS = (1, 2, 4, 6, 8)
#: Window sizes of VPSNet's Cityscapes-VPS evaluator.
CITYSCAPES_VPS_WINDOWS = (1, 2, 3, 4)


def rgb2id(rgb: np.ndarray) -> np.ndarray:
    """COCO-panoptic RGB encoding to ids: ``R + 256 G + 256^2 B``.

    Args:
        rgb (np.ndarray): uint8 image, shape (H, W, 3).

    Returns:
        np.ndarray: uint32 ids, shape (H, W).
    """
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] < 3:
        raise ValueError(f'expected an (H, W, 3) RGB array, got shape '
                         f'{rgb.shape}')
    rgb = rgb.astype(np.uint32)
    return rgb[..., 0] | (rgb[..., 1] << 8) | (rgb[..., 2] << 16)


def pair_table(gt: np.ndarray,
               pred: np.ndarray,
               where: str = '') -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Count pixels per (ground-truth id, predicted id) pair.

    One ``np.unique`` on 64-bit combined ids; ids must lie in [0, 2^31).

    Args:
        gt (np.ndarray): Ground-truth ids, shape (H, W) (or any shape).
        pred (np.ndarray): Predicted ids, same shape.
        where (str): Name of the frame, for error messages.

    Returns:
        tuple: ``(gt_ids, pred_ids, counts)``, int64 arrays of shape (P,),
        sorted by (gt id, pred id).
    """
    gt = np.asarray(gt)
    pred = np.asarray(pred)
    if gt.shape != pred.shape:
        raise ValueError(f'{where}: prediction shape {pred.shape} differs '
                         f'from ground-truth shape {gt.shape}')
    if gt.size == 0:
        raise ValueError(f'{where}: empty frame of shape {gt.shape}')
    for name, arr in (('ground-truth', gt), ('predicted', pred)):
        if arr.dtype.kind not in 'iub':
            raise ValueError(f'{where}: {name} ids must be integers, got '
                             f'{arr.dtype}')
        if arr.dtype.kind == 'i' and arr.min() < 0:
            raise ValueError(f'{where}: negative {name} id {arr.min()}')
        if arr.dtype.itemsize >= 4 and arr.max() >= 2**31:
            raise ValueError(f'{where}: {name} id {arr.max()} >= 2^31')
    code = (gt.astype(np.uint64).ravel() << np.uint64(32)) | \
        pred.astype(np.uint64).ravel()
    uniq, counts = np.unique(code, return_counts=True)
    return ((uniq >> np.uint64(32)).astype(np.int64),
            (uniq & np.uint64(0xFFFFFFFF)).astype(np.int64),
            counts.astype(np.int64))


def _lookup(keys: np.ndarray, values: np.ndarray,
            query: np.ndarray) -> np.ndarray:
    """``values[keys == q]`` for each q (0 where absent); keys sorted."""
    if keys.size == 0:
        return np.zeros(query.shape, values.dtype)
    pos = np.clip(np.searchsorted(keys, query), 0, keys.size - 1)
    return np.where(keys[pos] == query, values[pos], 0)


@dataclass
class VPQFrame:
    """Per-frame sufficient statistics for VPQ.

    Attributes:
        pair_gt (np.ndarray): (P,) int64 ground-truth ids of the pixel-count
            table (0 = VOID).
        pair_pred (np.ndarray): (P,) int64 predicted ids.
        pair_count (np.ndarray): (P,) int64 pixel counts.
        gt_ids (np.ndarray): (G,) ground-truth segment ids listed for the
            frame, in listing order, duplicates merged.
        gt_area (np.ndarray): (G,) their areas.
        pred_ids (np.ndarray): (Q,) predicted segment ids present in the
            frame (sorted).
        pred_area (np.ndarray): (Q,) their pixel counts.
    """
    pair_gt: np.ndarray
    pair_pred: np.ndarray
    pair_count: np.ndarray
    gt_ids: np.ndarray
    gt_area: np.ndarray
    pred_ids: np.ndarray
    pred_area: np.ndarray


@dataclass
class VPQVideoStats:
    """Per-class sums of one video, per window size.

    Attributes:
        name (str): Video name.
        num_frames (int): Number of frames.
        sums (Dict[int, np.ndarray]): Window size -> (4, K) float64 array of
            per-class ``(sum IoU, TP, FP, FN)``, K = number of categories
            in the order given to :class:`VPQVideo`.
    """
    name: str
    num_frames: int
    sums: Dict[int, np.ndarray] = field(default_factory=dict)


def window_sizes(windows: Sequence[int]) -> Tuple[int, ...]:
    """Window sizes as a tuple of ints, each at least 1.

    Raises:
        ValueError: No window, or a size below 1.
    """
    sizes = tuple(int(k) for k in windows)
    if not sizes or min(sizes) < 1:
        raise ValueError(f'window sizes must be >= 1, got {windows}')
    return sizes


def closed_window_sums(stats_type: type, noun: str, name: str,
                       num_frames: int, sums: Dict):
    """The statistics of a finished video: ``stats_type(name, num_frames,
    copy of sums)``, shared by :class:`VPQVideo` and ``DVPQVideo``.

    Args:
        stats_type (type): :class:`VPQVideoStats` or ``DVPQVideoStats``.
        noun (str): ``'video'`` or ``'sequence'``, for the error message.
        name (str): Name of the video.
        num_frames (int): Frames added.
        sums (Dict): Window key -> (4, K) per-class sums (copied).

    Raises:
        ValueError: The video has no frames.
    """
    if num_frames == 0:
        raise ValueError(f'{noun} {name!r} has no frames')
    return stats_type(name, num_frames, {k: v.copy() for k, v in sums.items()})


def _category_index(categories) -> Tuple[Dict[int, int], np.ndarray]:
    """Category id -> index, and the isthing flags in the same order.

    ``categories`` is a list of ``{'id', 'isthing'}`` dicts (the JSON's
    ``categories``) or a mapping ``id -> {'isthing': ...}``.
    """
    if isinstance(categories, Mapping):
        items = [(int(k), v) for k, v in categories.items()]
    else:
        items = [(int(c['id']), c) for c in categories]
    index, isthing = {}, []
    for cid, info in items:
        if cid in index:
            raise ValueError(f'category id {cid} is listed twice')
        index[cid] = len(index)
        # the official code tests ``label_info['isthing'] == 1``
        isthing.append(info.get('isthing', 0) == 1)
    if not index:
        raise ValueError('the category list is empty')
    return index, np.asarray(isthing, bool)


class VPQVideo:
    """Streaming VPQ statistics of one video.

    Args:
        categories: The category list, ``[{'id', 'isthing'}, ...]`` or a
            mapping ``id -> {'isthing'}``.
        windows (Sequence[int]): Window sizes in frames.
        name (str): Video name, for error messages.
    """

    def __init__(self,
                 categories,
                 windows: Sequence[int] = VIPSEG_WINDOWS,
                 name: str = ''):
        self.cat_index, _ = _category_index(categories)
        self.windows = window_sizes(windows)
        self.name = name
        self.num_cats = len(self.cat_index)
        self._buffer: deque = deque(maxlen=max(self.windows))
        self._sums = {
            k: np.zeros((4, self.num_cats), np.float64)
            for k in self.windows
        }
        # id -> (category index, iscrowd) kept for the whole video
        self._gt_attr: Dict[int, Tuple[int, int]] = {}
        self._pred_cat: Dict[int, int] = {}
        self.num_frames = 0

    def _register(self, table: dict, seg_id: int, value, where: str,
                  side: str) -> None:
        old = table.setdefault(seg_id, value)
        if old != value:
            raise ValueError(
                f'{where}: {side} segment {seg_id} changes from (category '
                f'index, iscrowd) {old} to {value} within video '
                f'{self.name!r}')

    def _cat(self, cat_id, where: str, side: str, seg_id) -> int:
        try:
            return self.cat_index[int(cat_id)]
        except KeyError:
            raise ValueError(f'{where}: {side} segment {seg_id} has category '
                             f'{cat_id}, which is not in the category list '
                             f'({len(self.cat_index)} categories)') from None

    def add_frame(self,
                  gt: np.ndarray,
                  pred: np.ndarray,
                  gt_segments: Sequence[Mapping],
                  pred_segments: Sequence[Mapping],
                  where: str = '') -> None:
        """Add the next frame of the video.

        Args:
            gt (np.ndarray): Ground-truth segment ids, shape (H, W), 0 on
                VOID.
            pred (np.ndarray): Predicted segment ids, shape (H, W), 0 on
                VOID.
            gt_segments (Sequence[Mapping]): The frame's ground-truth
                ``segments_info``: ``{'id', 'category_id', 'iscrowd',
                'area'}`` each (``area`` is used as is, like the official
                code; ``iscrowd`` defaults to 0).
            pred_segments (Sequence[Mapping]): The frame's predicted
                ``segments_info``: ``{'id', 'category_id'}`` each.
            where (str): Name of the frame, for error messages.
        """
        where = where or f'{self.name} frame {self.num_frames}'
        self.add_table(*pair_table(gt, pred, where), gt_segments,
                       pred_segments, where)

    def add_table(self,
                  pair_gt: np.ndarray,
                  pair_pred: np.ndarray,
                  pair_count: np.ndarray,
                  gt_segments: Sequence[Mapping],
                  pred_segments: Sequence[Mapping],
                  where: str = '') -> None:
        """Add the next frame given as a pixel-count table.

        Args:
            pair_gt (np.ndarray): (P,) ground-truth ids (0 = VOID).
            pair_pred (np.ndarray): (P,) predicted ids (0 = VOID).
            pair_count (np.ndarray): (P,) pixels of each unique pair.
            gt_segments (Sequence[Mapping]): See :meth:`add_frame`.
            pred_segments (Sequence[Mapping]): See :meth:`add_frame`.
            where (str): Name of the frame, for error messages.
        """
        where = where or f'{self.name} frame {self.num_frames}'
        pair_gt = np.asarray(pair_gt, np.int64)
        pair_pred = np.asarray(pair_pred, np.int64)
        pair_count = np.asarray(pair_count, np.int64)
        gt_ids, gt_area = self._gt_segments(gt_segments, pair_gt, where)
        pred_ids, pred_area = self._pred_segments(pred_segments, pair_pred,
                                                  pair_count, where)
        self._buffer.append(
            VPQFrame(pair_gt, pair_pred, pair_count, gt_ids, gt_area,
                     pred_ids, pred_area))
        self.num_frames += 1
        frames = list(self._buffer)
        for k in self.windows:
            if len(frames) >= k:
                self._sums[k] += self._eval_window(frames[-k:], where)

    def _listed(self, seg: Mapping, where: str,
                side: str) -> Tuple[int, int]:
        """The id and category index of a ``segments_info`` entry."""
        for key in ('id', 'category_id'):
            if not isinstance(seg, Mapping) or key not in seg:
                raise ValueError(f'{where}: a {side} segments_info entry has '
                                 f'no "{key}" ({seg!r})')
        try:
            sid = int(seg['id'])
        except (TypeError, ValueError):
            raise ValueError(f'{where}: {side} segment id {seg["id"]!r} is '
                             f'not an integer') from None
        if sid == VOID:
            raise ValueError(f'{where}: {side} segment id 0 is reserved for '
                             f'VOID')
        return sid, self._cat(seg['category_id'], where, side, sid)

    def _gt_segments(self, gt_segments: Sequence[Mapping],
                     pair_gt: np.ndarray,
                     where: str) -> Tuple[np.ndarray, np.ndarray]:
        """The ground-truth segments of a frame from its JSON.

        Args:
            gt_segments (Sequence[Mapping]): See :meth:`add_frame`.
            pair_gt (np.ndarray): (P,) ground-truth ids of the pixel table.
            where (str): Name of the frame, for error messages.

        Returns:
            tuple: ``(ids, areas)``, (G,) int64 each, in listing order;
            the areas of a duplicated id add up.
        """
        gt_ids, gt_area = [], []
        pos: Dict[int, int] = {}
        for seg in gt_segments:
            sid, cat = self._listed(seg, where, 'ground-truth')
            if 'area' not in seg:
                raise ValueError(f'{where}: ground-truth segment {sid} has '
                                 f'no "area" in its segments_info')
            crowd = 1 if seg.get('iscrowd', 0) == 1 else 0
            if sid in pos:
                gt_area[pos[sid]] += int(seg['area'])
                continue
            self._register(self._gt_attr, sid, (cat, crowd), where,
                           'ground-truth')
            pos[sid] = len(gt_ids)
            gt_ids.append(sid)
            gt_area.append(int(seg['area']))
        gt_ids = np.asarray(gt_ids, np.int64)
        gt_area = np.asarray(gt_area, np.int64)
        png_gt = np.unique(pair_gt)
        missing = png_gt[(png_gt != VOID) & ~np.isin(png_gt, gt_ids)]
        if missing.size:
            raise ValueError(f'{where}: ground-truth segment id '
                             f'{int(missing[0])} is in the PNG but not in '
                             f'its JSON segments_info')
        return gt_ids, gt_area

    def _pred_segments(self, pred_segments: Sequence[Mapping],
                       pair_pred: np.ndarray, pair_count: np.ndarray,
                       where: str) -> Tuple[np.ndarray, np.ndarray]:
        """The predicted segments of a frame, areas recounted from the PNG.

        Args:
            pred_segments (Sequence[Mapping]): See :meth:`add_frame`.
            pair_pred (np.ndarray): (P,) predicted ids of the pixel table.
            pair_count (np.ndarray): (P,) its pixel counts.
            where (str): Name of the frame, for error messages.

        Returns:
            tuple: ``(ids, areas)``, (Q,) int64 each, ids sorted.
        """
        pred_listed = set()
        for seg in pred_segments:
            sid, cat = self._listed(seg, where, 'predicted')
            if sid not in pred_listed:
                self._register(self._pred_cat, sid, cat, where, 'predicted')
                pred_listed.add(sid)
        order = np.argsort(pair_pred, kind='stable')
        sp, sc = pair_pred[order], pair_count[order]
        pred_ids, start = np.unique(sp, return_index=True)
        pred_area = np.add.reduceat(sc, start) if sp.size else sc
        keep = pred_ids != VOID
        pred_ids, pred_area = pred_ids[keep], pred_area[keep]
        for sid in pred_ids.tolist():
            if sid not in pred_listed:
                raise ValueError(f'{where}: predicted segment id {sid} is in '
                                 f'the PNG but not in its JSON segments_info')
        if len(pred_listed) != pred_ids.size:
            absent = sorted(pred_listed - set(pred_ids.tolist()))
            raise ValueError(f'{where}: predicted segment ids {absent} are '
                             f'in the JSON segments_info but not in the PNG')
        return pred_ids, pred_area

    def _eval_window(self, frames: List[VPQFrame], where: str) -> np.ndarray:
        """Per-class ``(sum IoU, TP, FP, FN)`` of one window, (4, K)."""
        K = self.num_cats
        out = np.zeros((4, K), np.float64)
        # merged pixel-count table of the window, sorted by (gt, pred)
        g = np.concatenate([f.pair_gt for f in frames])
        p = np.concatenate([f.pair_pred for f in frames])
        c = np.concatenate([f.pair_count for f in frames])
        code = (g << 32) | p
        codes, inv = np.unique(code, return_inverse=True)
        inter = np.bincount(inv, weights=c).astype(np.int64)
        g, p = codes >> 32, codes & 0xFFFFFFFF

        # ground-truth segments in order of first appearance
        all_gt = np.concatenate([f.gt_ids for f in frames])
        all_area = np.concatenate([f.gt_area for f in frames])
        gt_ids, first, ginv = np.unique(
            all_gt, return_index=True, return_inverse=True)
        gt_area = np.bincount(ginv, weights=all_area,
                              minlength=gt_ids.size).astype(np.int64)
        rank = np.empty(gt_ids.size, np.int64)
        rank[np.argsort(first, kind='stable')] = np.arange(gt_ids.size)
        gt_cat = np.array([self._gt_attr[i][0] for i in gt_ids.tolist()],
                          np.int64)
        gt_crowd = np.array([self._gt_attr[i][1] for i in gt_ids.tolist()],
                            bool)

        all_pred = np.concatenate([f.pred_ids for f in frames])
        all_parea = np.concatenate([f.pred_area for f in frames])
        pred_ids, pinv = np.unique(all_pred, return_inverse=True)
        pred_area = np.bincount(pinv, weights=all_parea,
                                minlength=pred_ids.size).astype(np.int64)
        pred_cat = np.array([self._pred_cat[i] for i in pred_ids.tolist()],
                            np.int64)
        void_pred = _lookup(codes, inter, (VOID << 32) | pred_ids)

        # candidate matches: listed gt (non crowd) x listed pred, same class
        gi = np.searchsorted(gt_ids, g)
        gi_ok = gi < gt_ids.size
        gi_ok[gi_ok] = gt_ids[gi[gi_ok]] == g[gi_ok]
        pi = np.searchsorted(pred_ids, p)
        pi_ok = pi < pred_ids.size
        pi_ok[pi_ok] = pred_ids[pi[pi_ok]] == p[pi_ok]
        cand = gi_ok & pi_ok
        gi, pi, it = gi[cand], pi[cand], inter[cand]
        same = (~gt_crowd[gi]) & (gt_cat[gi] == pred_cat[pi])
        gi, pi, it = gi[same], pi[same], it[same]
        union = pred_area[pi] + gt_area[gi] - it - void_pred[pi]
        with np.errstate(divide='ignore', invalid='ignore'):
            iou = it / union
        if np.any(iou > 1.0):
            bad = int(gt_ids[gi[np.argmax(iou)]])
            raise ValueError(f'{where}: IoU above 1 for ground-truth segment '
                             f'{bad}; its JSON area is smaller than its '
                             f'pixel count')
        tp = iou > 0.5
        gt_matched = np.zeros(gt_ids.size, bool)
        gt_matched[gi[tp]] = True
        pred_matched = np.zeros(pred_ids.size, bool)
        pred_matched[pi[tp]] = True
        out[0] = np.bincount(gt_cat[gi[tp]], weights=iou[tp], minlength=K)
        out[1] = np.bincount(gt_cat[gi[tp]], minlength=K)

        fn = ~gt_matched & ~gt_crowd
        out[3] = np.bincount(gt_cat[fn], minlength=K)

        # the crowd segment of each category: the last one inserted
        crowd_of_cat = np.full(K, -1, np.int64)
        crowd = np.flatnonzero(gt_crowd)
        for j in crowd[np.argsort(rank[crowd], kind='stable')].tolist():
            crowd_of_cat[gt_cat[j]] = gt_ids[j]
        unmatched = np.flatnonzero(~pred_matched)
        ignored = void_pred[unmatched].astype(np.int64)
        cid = crowd_of_cat[pred_cat[unmatched]]
        has = cid >= 0
        ignored[has] += _lookup(codes, inter,
                                (cid[has] << 32) | pred_ids[unmatched][has])
        fp = ignored / pred_area[unmatched] <= 0.5
        out[2] = np.bincount(pred_cat[unmatched][fp], minlength=K)
        return out

    def finish(self) -> VPQVideoStats:
        """Close the video and return its statistics."""
        return closed_window_sums(VPQVideoStats, 'video', self.name,
                                  self.num_frames, self._sums)


def pq_average(sums: np.ndarray,
               isthing: np.ndarray,
               subset: Optional[bool] = None) -> Dict[str, float]:
    """Average PQ/SQ/RQ over the classes of a subset, as ``pq_average``.

    Args:
        sums (np.ndarray): (4, K) per-class ``(sum IoU, TP, FP, FN)``.
        isthing (np.ndarray): (K,) bool.
        subset (bool, optional): None for all classes, True for things,
            False for stuff.

    Returns:
        dict: ``pq``, ``sq``, ``rq`` (fractions, NaN when no class counts)
        and ``n`` (number of classes averaged).
    """
    iou, tp, fp, fn = sums
    sel = np.ones(isthing.shape, bool) if subset is None else \
        (isthing == subset)
    sel &= (tp + fp + fn) > 0
    n = int(sel.sum())
    if n == 0:
        return dict(pq=float('nan'), sq=float('nan'), rq=float('nan'), n=0)
    den = tp[sel] + 0.5 * fp[sel] + 0.5 * fn[sel]
    pq = iou[sel] / den
    sq = np.where(tp[sel] != 0, iou[sel] / np.maximum(tp[sel], 1), 0.0)
    rq = tp[sel] / den
    return dict(pq=float(pq.sum() / n), sq=float(sq.sum() / n),
                rq=float(rq.sum() / n), n=n)


def vpq_summarize(stats: Iterable[VPQVideoStats],
                  categories,
                  windows: Sequence[int] = VIPSEG_WINDOWS) -> Dict:
    """Combine per-video statistics into the dataset's VPQ.

    Args:
        stats (Iterable[VPQVideoStats]): One entry per video.
        categories: The category list (see :class:`VPQVideo`).
        windows (Sequence[int]): Window sizes to report.

    Returns:
        dict: ``VPQ``, ``VPQ_th``, ``VPQ_st`` (means over the windows, in
        percent), ``VPQ@k``, ``VPQ_th@k``, ``VPQ_st@k`` per window size k,
        and ``per_window``: k -> (4, K) per-class sums.
    """
    _, isthing = _category_index(categories)
    windows = tuple(int(k) for k in windows)
    total = {k: np.zeros((4, isthing.size)) for k in windows}
    for s in stats:
        for k in windows:
            if k not in s.sums:
                raise ValueError(f'video {s.name!r} has no statistics for '
                                 f'window size {k}')
            total[k] += s.sums[k]
    out: Dict = {}
    names = (('', None), ('_th', True), ('_st', False))
    for suffix, subset in names:
        vals = []
        for k in windows:
            v = 100 * pq_average(total[k], isthing, subset)['pq']
            out[f'VPQ{suffix}@{k}'] = v
            vals.append(v)
        out[f'VPQ{suffix}'] = float(np.mean(vals))
    out['per_window'] = total
    return out


def mean_null_reason(nulls: List[Tuple[str, str]], what: str) -> str:
    """Why a mean over scores is NaN: the null ones, and the first one's
    reason."""
    return (f'the mean over the {what} includes null scores: '
            f'{", ".join(k for k, _ in nulls)} ({nulls[0][1]})')


def vpq_null_reasons(stats: Iterable[VPQVideoStats], categories,
                     windows: Sequence[int] = VIPSEG_WINDOWS
                     ) -> Dict[str, str]:
    """Why each NaN score of :func:`vpq_summarize` on ``stats`` is NaN.

    Args:
        stats (Iterable[VPQVideoStats]): One entry per video.
        categories: The category list (see :class:`VPQVideo`).
        windows (Sequence[int]): The window sizes.

    Returns:
        dict: ``VPQ{,_th,_st}`` and ``VPQ{,_th,_st}@k`` -> a sentence, for
        the NaN ones only.
    """
    _, isthing = _category_index(categories)
    stats = list(stats)
    longest = max((s.num_frames for s in stats), default=0)
    reasons: Dict[str, str] = {}
    for suffix, subset, noun in (('', None, 'class'), ('_th', True,
                                                       'thing class'),
                                 ('_st', False, 'stuff class')):
        nulls = []
        for k in windows:
            total = sum((s.sums[int(k)] for s in stats),
                        np.zeros((4, isthing.size)))
            if pq_average(total, isthing, subset)['n'] > 0:
                continue
            if longest < k:
                reason = (f'no window of {k} frames: every video is shorter '
                          f'(the longest has {longest} frames)')
            elif subset is not None and not np.any(isthing == subset):
                reason = f'the category list has no {noun}'
            else:
                reason = (f'no {noun} has a ground-truth or predicted '
                          f'segment in any window of {k} frames (TP + FP + '
                          f'FN = 0 for every {noun})')
            nulls.append((f'VPQ{suffix}@{k}', reason))
        reasons.update(nulls)
        if nulls:
            reasons[f'VPQ{suffix}'] = mean_null_reason(nulls, 'window sizes')
    return reasons


class VPQAccumulator:
    """Accumulate videos one at a time and report VPQ.

    Args:
        categories: ``[{'id', 'isthing'}, ...]`` (a panoptic JSON's
            ``categories``) or a mapping ``id -> {'isthing'}``.
        windows (Sequence[int]): Window sizes. Defaults to VIPSeg's
            (1, 2, 4, 6, 8).

    Example:
        >>> import numpy as np
        >>> cats = [dict(id=1, isthing=1)]
        >>> acc = VPQAccumulator(cats, windows=(1, 2))
        >>> gt = np.array([[0, 5], [5, 5]])
        >>> segs = [dict(id=5, category_id=1, iscrowd=0, area=3)]
        >>> _ = acc.add_video([(gt, gt, segs, segs)] * 2, name='v')
        >>> acc.compute()['VPQ']
        100.0
    """

    def __init__(self, categories, windows: Sequence[int] = VIPSEG_WINDOWS):
        self.categories = categories
        self.windows = tuple(int(k) for k in windows)
        _category_index(categories)
        self.stats: List[VPQVideoStats] = []

    def add_video(self, frames: Iterable[Tuple], name: str = '',
                  where: Optional[Sequence[str]] = None) -> VPQVideoStats:
        """Add a video as ``(gt, pred, gt_segments, pred_segments)`` tuples
        in temporal order (see :meth:`VPQVideo.add_frame`)."""
        video = VPQVideo(self.categories, self.windows, name)
        for t, (gt, pred, gsegs, psegs) in enumerate(frames):
            video.add_frame(gt, pred, gsegs, psegs,
                            where[t] if where is not None else '')
        s = video.finish()
        self.stats.append(s)
        return s

    def compute(self) -> Dict:
        """Scores over every video added so far (:func:`vpq_summarize`)."""
        return vpq_summarize(self.stats, self.categories, self.windows)
