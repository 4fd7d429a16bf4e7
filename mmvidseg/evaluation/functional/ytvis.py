# Copyright (c) OpenMMLab. All rights reserved.
"""YouTube-VIS video AP, as ``youtubevos/cocoapi`` (``ytvos``/``ytvoseval``).

Reproduces ``YTVOS.loadRes`` + ``YTVOSeval('segm')`` with its conventions:

* The IoU of a predicted and a ground-truth track is ``sum_t |d_t & g_t| /
  sum_t |d_t | g_t|`` over the frames; a frame where only one of them has a
  mask (the other is ``None``) adds that mask's area to the union only.
  A zero union gives IoU 0.
* Area ranges use the *average* area over the frames with a non-empty area
  (``None`` and 0 are skipped): small < 128^2, medium 128^2..256^2, large
  > 256^2 (bounds inclusive as in COCO). Ground-truth areas come from the
  annotation's ``areas`` field, predicted ones from the RLEs.
* ``ignore`` is overwritten by ``iscrowd``; predictions are sorted by score
  (stable) and cut at 100 per video and category; matching, accumulation
  and the summary are COCO's (``evaluateImg``/``accumulate``/``summarize``
  with 10 IoU thresholds, 101 recall thresholds, maxDets 1/10/100, -1 for
  an absent category or area range).

On numpy >= 1.24 the original ``ytvoseval`` does not run (``Params`` builds
``np.linspace`` with a float count, uses ``np.float``, imports matplotlib,
and ``loadRes`` names ``unicode``); the numbers here are the ones it gives
where it runs. Differences: a result for a video or category missing from
the ground truth, or with a number of frames different from the video's,
raises ``ValueError`` (the official code asserts, ignores or truncates).

How it is computed (same numbers, not the same steps):

* Each video is reduced to per-track areas and a matrix of summed
  intersections. :class:`YTVISVideo` (the runner metric) streams frames,
  one ``maskUtils.iou`` call per frame. :func:`ytvis_evaluate` (JSON files)
  gives all masks of the dataset to the ``mmvidseg.ops.rle`` kernel, which
  decodes each string once and intersects the masks of each (video,
  category, frame) slot, and also rejects strings that are not valid RLEs
  of the video's size. Without the kernel it makes one pycocotools ``area``
  call per 255 masks and one ``iou`` call per video, with the masks of
  each slot moved to their own columns of a wide canvas so that
  pycocotools' box pre-check skips every other pair
  (:func:`_slot_intersections`).
* COCO's matching, accumulation and summary are numpy over all videos,
  categories, area ranges and thresholds at once (:func:`_match`,
  :func:`_accumulate`, :func:`_summarize`): greedy matching loops over
  detection ranks only, the precision envelope is a reversed
  ``np.maximum.accumulate`` and the recall-threshold lookup a histogram.
  The tests compare them with pycocotools' ``COCOeval`` fed with the same
  IoUs on many random cases (to 1e-12; bit-identical in practice).
"""
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Dict, Hashable, List, Optional, Sequence, Tuple

import numpy as np
from pycocotools import mask as mask_utils

from mmvidseg.ops.rle import InvalidRLEError, area_and_intersections
from mmvidseg.ops.utils import load_ext

#: YouTube-VIS area ranges (average area over the frames).
YTVIS_AREA_RANGES = [[0**2, 1e5**2], [0**2, 128**2], [128**2, 256**2],
                     [256**2, 1e5**2]]


def to_rle(segm, height: int, width: int) -> Optional[dict]:
    """A segmentation (RLE, uncompressed RLE or polygons) as a compressed RLE.

    Returns None for a missing segmentation (``None`` or empty).
    """
    if not segm:
        return None
    if isinstance(segm, list):
        return mask_utils.merge(mask_utils.frPyObjects(segm, height, width))
    if isinstance(segm.get('counts'), list):
        return mask_utils.frPyObjects(segm, height, width)
    return segm


@dataclass
class YTVISVideoStats:
    """Per-video sufficient statistics.

    Attributes:
        video_id: The video id.
        gt_ids (np.ndarray): (G,) ground-truth annotation ids.
        gt_cats (np.ndarray): (G,) category ids.
        gt_crowd (np.ndarray): (G,) iscrowd flags.
        gt_area (np.ndarray): (G,) average areas.
        dt_cats (np.ndarray): (D,) category ids of the predicted tracks, in
            result order.
        dt_scores (np.ndarray): (D,) scores.
        dt_area (np.ndarray): (D,) average areas.
        iou (np.ndarray): (D, G) video IoUs.
    """
    video_id: Hashable
    gt_ids: np.ndarray
    gt_cats: np.ndarray
    gt_crowd: np.ndarray
    gt_area: np.ndarray
    dt_cats: np.ndarray
    dt_scores: np.ndarray
    dt_area: np.ndarray
    iou: np.ndarray


def _avg_area(areas: Sequence) -> float:
    nonzero = [a for a in areas if a]
    return np.array(nonzero).mean() if nonzero else 0


class YTVISVideo:
    """Streaming video-IoU statistics of one video.

    Tracks are registered with :meth:`add_gt_track` / :meth:`add_dt_track`
    (any hashable key), then frames are added with their per-track RLEs.

    Args:
        video_id: The video id.
        name (str): Name for error messages.
    """

    def __init__(self, video_id: Hashable, name: str = ''):
        self.video_id = video_id
        self.name = name or str(video_id)
        self.gt: Dict[Hashable, dict] = {}
        self.dt: Dict[Hashable, dict] = {}
        self._inter: Dict[tuple, int] = defaultdict(int)
        self.num_frames = 0

    def add_gt_track(self, key: Hashable, ann_id: int, category_id: int,
                     iscrowd: int = 0,
                     areas: Optional[Sequence] = None) -> None:
        """Register a ground-truth track; ``areas`` (per frame, None where
        absent) gives its average area, else the RLE areas are used."""
        self.gt[key] = dict(
            id=ann_id, cat=category_id, crowd=int(iscrowd), total=0,
            areas=[] if areas is None else list(areas),
            json_areas=areas is not None, index=len(self.gt))

    def add_dt_track(self, key: Hashable, category_id: int,
                     score: float) -> None:
        """Register a predicted track."""
        self.dt[key] = dict(
            cat=category_id, score=score, total=0, areas=[],
            index=len(self.dt))

    def add_frame(self, gt: Dict[Hashable, dict], dt: Dict[Hashable, dict],
                  where: str = '') -> None:
        """Add one frame: ``{track key: compressed RLE}`` per side (tracks
        without a mask in this frame are simply absent)."""
        where = where or f'video {self.name} frame {self.num_frames}'
        sides = []
        for tracks, segs, side in ((self.gt, gt, 'ground-truth'),
                                   (self.dt, dt, 'predicted')):
            keys = list(segs)
            for k in keys:
                if k not in tracks:
                    raise ValueError(f'{where}: unregistered {side} track '
                                     f'{k!r}')
            rles = [segs[k] for k in keys]
            area = _areas(rles).astype(np.int64)
            for k, a in zip(keys, area.tolist()):
                tracks[k]['total'] += a
                if not tracks[k].get('json_areas', False):
                    tracks[k]['areas'].append(a)
            sides.append((keys, rles, area))
        (gk, grle, _), (dk, drle, darea) = sides
        if grle and drle:
            o = mask_utils.iou(drle, grle, [1] * len(grle))
            if np.any(o < 0):
                raise ValueError(f'{where}: predicted and ground-truth masks '
                                 f'have different sizes')
            inter = np.rint(o * darea[:, None]).astype(np.int64)
            for i, j in zip(*np.nonzero(inter)):
                self._inter[(self.dt[dk[i]]['index'],
                             self.gt[gk[j]]['index'])] += int(inter[i, j])
        self.num_frames += 1

    def finish(self) -> YTVISVideoStats:
        """Close the video and return its statistics."""
        if self.num_frames == 0:
            raise ValueError(f'video {self.name} has no frames')
        gts = sorted(self.gt.values(), key=lambda t: t['index'])
        dts = sorted(self.dt.values(), key=lambda t: t['index'])
        inter = np.zeros((len(dts), len(gts)), np.float64)
        for (i, j), v in self._inter.items():
            inter[i, j] = v
        a_d = np.array([t['total'] for t in dts], np.float64)
        a_g = np.array([t['total'] for t in gts], np.float64)
        union = a_d[:, None] + a_g[None, :] - inter
        iou = np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)
        return YTVISVideoStats(
            video_id=self.video_id,
            gt_ids=np.array([t['id'] for t in gts], np.int64),
            gt_cats=np.array([t['cat'] for t in gts], np.int64),
            gt_crowd=np.array([t['crowd'] for t in gts], np.int64),
            gt_area=np.array([_avg_area(t['areas']) for t in gts],
                             np.float64),
            dt_cats=np.array([t['cat'] for t in dts], np.int64),
            dt_scores=np.array([t['score'] for t in dts], np.float64),
            dt_area=np.array([_avg_area(t['areas']) for t in dts],
                             np.float64),
            iou=iou)


#: COCO's IoU thresholds (``pycocotools.cocoeval.Params``), (T,).
IOU_THRS = np.linspace(.5, 0.95, int(np.round((0.95 - .5) / .05)) + 1,
                       endpoint=True)
#: COCO's 101 recall thresholds, (R,).
REC_THRS = np.linspace(.0, 1.00, int(np.round((1.00 - .0) / .01)) + 1,
                       endpoint=True)
#: COCO's maximum numbers of detections (per video and category).
MAX_DETS = (1, 10, 100)
YTVIS_AREA_LABELS = ('all', 'small', 'medium', 'large')


@dataclass
class _Matches:
    """COCO's per-(video, category) matching, flattened over all videos.

    Detections are those kept by ``evaluateImg`` (per video and category,
    sorted by score, stable, at most ``maxDets[-1]``).

    Attributes:
        det_cat (np.ndarray): (D,) category index of each detection.
        det_video (np.ndarray): (D,) position of its video.
        det_rank (np.ndarray): (D,) rank in its (video, category) list.
        det_score (np.ndarray): (D,) scores.
        matched (np.ndarray): (T, A, D) bool, ``dtMatches != 0``.
        ignored (np.ndarray): (T, A, D) bool, ``dtIgnore``.
        npig (np.ndarray): (K, A) non-ignored ground truths per category.
        present (np.ndarray): (K,) bool, the category has a ground truth
            or a detection in some evaluated video.
    """
    det_cat: np.ndarray
    det_video: np.ndarray
    det_rank: np.ndarray
    det_score: np.ndarray
    matched: np.ndarray
    ignored: np.ndarray
    npig: np.ndarray
    present: np.ndarray


def _in_range(area: np.ndarray) -> np.ndarray:
    """(A, N) bool: COCO's ``not (area < lo or area > hi)`` per range."""
    rng = np.array(YTVIS_AREA_RANGES, np.float64)
    return ~((area[None] < rng[:, :1]) | (area[None] > rng[:, 1:]))


def _cat_positions(cats: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """(N,) index of each of ``ids`` in the sorted (K,) ``cats``, -1 where
    absent (tracks of other categories are never evaluated)."""
    K = len(cats)
    if not K:
        return np.full(len(ids), -1)
    k = np.searchsorted(cats, ids)
    return np.where(cats[np.minimum(k, K - 1)] == ids, k, -1)


def _evaluated_tracks(s: YTVISVideoStats, cats: np.ndarray) -> tuple:
    """The tracks of a video that ``evaluateImg`` sees, by category.

    Args:
        s (YTVISVideoStats): The video.
        cats (np.ndarray): (K,) sorted category ids.

    Returns:
        tuple: ``(g_idx, g_cat, d_idx, d_cat, d_rank)``: the (G,)
        ground-truth tracks sorted by category index (stable) and their
        category indices; the (D,) detections per category by score
        (stable in result order) cut at ``maxDets[-1]``, their category
        indices and their ranks within their category.
    """
    gk = _cat_positions(cats, s.gt_cats)
    dk = _cat_positions(cats, s.dt_cats)
    g_idx = np.flatnonzero(gk >= 0)
    g_idx = g_idx[np.argsort(gk[g_idx], kind='stable')]
    d_idx = np.flatnonzero(dk >= 0)
    d_idx = d_idx[np.lexsort((-s.dt_scores[d_idx], dk[d_idx]))]
    gk_v, dk_v = gk[g_idx], dk[d_idx]
    starts = np.searchsorted(dk_v, dk_v, side='left')
    rank = np.arange(len(d_idx)) - starts
    keep = rank < MAX_DETS[-1]
    return g_idx, gk_v, d_idx[keep], dk_v[keep], rank[keep]


#: The flattened per-track arrays of :func:`_match` and their dtypes.
_FLAT_DTYPES = dict(
    g_cat=np.int64, g_group=np.int64, g_slot=np.int64, g_crowd=bool,
    g_idnz=bool, g_area=np.float64, d_cat=np.int64, d_video=np.int64,
    d_rank=np.int64, d_score=np.float64, d_area=np.float64,
    d_group=np.int64, pair_det=np.int64, pair_slot=np.int64,
    pair_iou=np.float64)


def _flatten_videos(stats: Sequence[Optional[YTVISVideoStats]],
                    cats: np.ndarray) -> Tuple[Dict, int, np.ndarray]:
    """The evaluated tracks of all videos as flat arrays.

    A group is one (video, category) with a ground truth or a detection;
    a ground truth's slot is its position in its group.

    Args:
        stats (Sequence[YTVISVideoStats | None]): See :func:`_match`.
        cats (np.ndarray): (K,) sorted category ids.

    Returns:
        tuple: ``(flat, n_groups, present)``: the arrays named in
        ``_FLAT_DTYPES`` (``g_*`` (G,) per ground truth, ``d_*`` (D,) per
        detection, ``pair_*`` per same-category pair: detection, slot,
        IoU), the number of groups and the (K,) categories present.
    """
    K = len(cats)
    parts: Dict[str, list] = defaultdict(list)
    n_groups = n_dets = 0
    present = np.zeros(K, bool)
    for vi, s in enumerate(stats):
        if s is None:
            continue
        g_idx, gk_v, d_idx, dk_v, rank = _evaluated_tracks(s, cats)
        gcats = np.union1d(gk_v, dk_v)
        present[gcats] = True
        group_of = np.full(K, -1, np.int64)
        group_of[gcats] = n_groups + np.arange(len(gcats))
        n_groups += len(gcats)
        slot = np.arange(len(g_idx)) - np.searchsorted(gk_v, gk_v, 'left')
        # IoUs of the (detection, ground truth) pairs of one category
        i, j = np.nonzero(dk_v[:, None] == gk_v[None, :])
        for name, value in (
                ('g_cat', gk_v), ('g_group', group_of[gk_v]),
                ('g_slot', slot), ('g_crowd', s.gt_crowd[g_idx] != 0),
                ('g_idnz', s.gt_ids[g_idx] != 0),
                ('g_area', s.gt_area[g_idx]), ('d_cat', dk_v),
                ('d_video', np.full(len(d_idx), vi, np.int64)),
                ('d_rank', rank), ('d_score', s.dt_scores[d_idx]),
                ('d_area', s.dt_area[d_idx]), ('d_group', group_of[dk_v]),
                ('pair_det', n_dets + i), ('pair_slot', slot[j]),
                ('pair_iou', s.iou[d_idx[i], g_idx[j]])):
            parts[name].append(value)
        n_dets += len(d_idx)
    flat = {
        name: np.concatenate(parts[name]).astype(dtype)
        if parts[name] else np.zeros(0, dtype)
        for name, dtype in _FLAT_DTYPES.items()
    }
    return flat, n_groups, present


def _greedy_match(flat: Dict, g_ignore: np.ndarray,
                  n_groups: int) -> Tuple[np.ndarray, np.ndarray]:
    """COCO's greedy matching of every group at once, rank by rank.

    Args:
        flat (Dict): See :func:`_flatten_videos`.
        g_ignore (np.ndarray): (A, G) ignore flags of the ground truths.
        n_groups (int): Number of groups.

    Returns:
        tuple: ``(matched, ignored)``, (T, A, D) bool each: the detection
        matches a ground truth with a non-zero id, the one it matches is
        ignored.
    """
    T, A = len(IOU_THRS), len(YTVIS_AREA_RANGES)
    D = len(flat['d_rank'])
    matched = np.zeros((T, A, D), bool)
    ignored = np.zeros((T, A, D), bool)
    g_group, g_slot = flat['g_group'], flat['g_slot']
    g_max = int(g_slot.max()) + 1 if g_slot.size else 0
    if not (D and g_max):
        return matched, ignored
    ious = np.full((D, g_max), -np.inf)
    ious[flat['pair_det'], flat['pair_slot']] = flat['pair_iou']
    crowd = np.zeros((n_groups, g_max), bool)
    crowd[g_group, g_slot] = flat['g_crowd']
    idnz = np.zeros((n_groups, g_max), bool)
    idnz[g_group, g_slot] = flat['g_idnz']
    ign = np.zeros((A, n_groups, g_max), bool)
    ign[:, g_group, g_slot] = g_ignore
    taken = np.zeros((T, A, n_groups, g_max), bool)
    thr = np.minimum(IOU_THRS, 1 - 1e-10)[:, None, None, None]
    d_rank, d_group = flat['d_rank'], flat['d_group']
    order = np.argsort(d_rank, kind='stable')
    bounds = np.searchsorted(d_rank[order], np.arange(d_rank.max() + 2))
    for r in range(len(bounds) - 1):
        d = order[bounds[r]:bounds[r + 1]]
        grp = d_group[d]
        iou = ious[d][None, None]  # (1, 1, n, G)
        ig = ign[:, grp][None]  # (1, A, n, G)
        ok = (iou >= thr) & (~taken[:, :, grp] | crowd[grp])
        best = []
        for cand in (ok & ~ig, ok & ig):
            val = np.where(cand, iou, -np.inf)
            last = g_max - 1 - np.argmax(val[..., ::-1], axis=-1)
            best.append(np.where(cand.any(-1), last, -1))
        m = np.where(best[0] >= 0, best[0], best[1])  # (T, A, n)
        t_i, a_i, n_i = np.nonzero(m >= 0)
        g_i = m[t_i, a_i, n_i]
        taken[t_i, a_i, grp[n_i], g_i] = True
        matched[t_i, a_i, d[n_i]] = idnz[grp[n_i], g_i]
        ignored[t_i, a_i, d[n_i]] = ign[a_i, grp[n_i], g_i]
    return matched, ignored


def _match(stats: Sequence[Optional[YTVISVideoStats]],
           cats: np.ndarray) -> _Matches:
    """``COCOeval.evaluateImg`` for every (video, category, area range),
    vectorised over videos, categories, area ranges and IoU thresholds.

    Greedy matching in score order is sequential in the detections of one
    (video, category), so the loop runs over ranks (at most ``maxDets[-1]``
    iterations) and handles every group at once. For one detection and
    threshold ``t``, COCO scans the ground truths sorted not-ignored first
    (stable) and keeps the *last* one with the largest IoU ``>=
    min(t, 1 - 1e-10)`` among those still free (crowds are always free),
    stopping at the ignored ones as soon as it holds a regular match; that
    is: the last best free regular ground truth if any, else the last best
    free ignored one.

    Args:
        stats (Sequence[YTVISVideoStats | None]): Per evaluated video, in
            ``imgIds`` order; None for a video without statistics.
        cats (np.ndarray): (K,) sorted category ids.

    Returns:
        _Matches: The flattened ``evalImgs``.
    """
    K, A = len(cats), len(YTVIS_AREA_RANGES)
    flat, n_groups, present = _flatten_videos(stats, cats)
    # ignore flags per area range: ``ignore`` (= iscrowd) or out of range
    g_ignore = flat['g_crowd'][None] | ~_in_range(flat['g_area'])  # (A, G)
    npig = np.zeros((K, A), np.int64)
    for a in range(A):
        npig[:, a] = np.bincount(flat['g_cat'][~g_ignore[a]], minlength=K)
    matched, ignored = _greedy_match(flat, g_ignore, n_groups)
    # unmatched detections outside the area range are ignored
    ignored |= ~matched & ~_in_range(flat['d_area'])[None]
    return _Matches(flat['d_cat'], flat['d_video'], flat['d_rank'],
                    flat['d_score'], matched, ignored, npig, present)


def _pr_curves(dtm: np.ndarray, keep: np.ndarray, start: np.ndarray,
               length: np.ndarray,
               npig: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Recall curves and interpolated precision of category segments.

    TP/FP counts are cumulated per category segment, the precision made
    non-increasing from the right with ``np.maximum.accumulate`` (one call
    per category), and the precision at each recall threshold read at
    ``searchsorted(rc, recThrs, 'left')`` (0 past the last detection), that
    index being the number of detections of the segment whose recall is
    below the threshold, counted with one ``np.bincount``.

    Args:
        dtm (np.ndarray): (T, A, N) bool, the detections matched; sorted by
            category, then score.
        keep (np.ndarray): (T, A, N) bool, not ignored.
        start (np.ndarray): (S,) first detection of each category segment.
        length (np.ndarray): (S,) its number of detections.
        npig (np.ndarray): (S, A) float64 non-ignored ground truths.

    Returns:
        tuple: ``(rc, q)``: (T, A, N) recall after each detection and
        (T, A, S, R) precision at the recall thresholds.
    """
    T, A, _ = dtm.shape
    R, S = len(REC_THRS), len(start)
    seg = np.repeat(np.arange(S), length)
    tp = np.cumsum(dtm & keep, axis=2)
    fp = np.cumsum(~dtm & keep, axis=2)
    # restart the sums at each category
    before = start[seg] - 1
    tp = (tp - np.where(before >= 0, tp[:, :, np.maximum(before, 0)],
                        0)).astype(np.float64)
    fp = (fp - np.where(before >= 0, fp[:, :, np.maximum(before, 0)],
                        0)).astype(np.float64)
    with np.errstate(divide='ignore', invalid='ignore'):
        rc = tp / npig[seg].T
    pr = tp / (fp + tp + np.spacing(1))
    for s0, n in zip(start.tolist(), length.tolist()):
        pr[:, :, s0:s0 + n] = np.maximum.accumulate(
            pr[:, :, s0:s0 + n][..., ::-1], axis=2)[..., ::-1]
    # inds[t, a, s, r] = #{i in s: rc_i < REC_THRS[r]}
    below = np.searchsorted(REC_THRS, rc, side='right')
    rows = np.arange(T * A).reshape(T, A, 1) * S + seg
    inds = np.cumsum(
        np.bincount((rows * (R + 1) + below).ravel(),
                    minlength=T * A * S * (R + 1)).reshape(T, A, S, R + 1),
        axis=3)[..., :R]
    idx = start[:, None] + np.minimum(inds, length[:, None] - 1)
    q = np.take_along_axis(pr, idx.reshape(T, A, S * R),
                           axis=2).reshape(T, A, S, R)
    q[inds >= length[:, None]] = 0
    return rc, q


def _accumulate(ev: _Matches, num_cats: int,
                full: bool = False) -> Tuple[np.ndarray, np.ndarray]:
    """``COCOeval.accumulate``: precision (T, R, K, A, M) and recall
    (T, K, A, M), -1 where a category has no ground truth (or nothing at
    all) in an area range.

    Per ``maxDet``, all categories, area ranges and thresholds at once:
    detections sorted by category, then score (stable in video, then rank
    order, as ``mergesort`` on the concatenated per-video lists), then
    :func:`_pr_curves`.

    Args:
        ev (_Matches): The matching.
        num_cats (int): K.
        full (bool): Also compute the precision of the smaller
            ``maxDets``, which the summary never reads (it reads their
            recall only). Defaults to False: precision is then (T, R, K, A,
            1), for ``maxDets[-1]`` only.
    """
    T, R, A = len(IOU_THRS), len(REC_THRS), len(YTVIS_AREA_RANGES)
    M = len(MAX_DETS)
    precision = np.full((T, R, num_cats, A, M if full else 1), -1.0)
    recall = np.full((T, num_cats, A, M), -1.0)
    # (K, A): evaluated; with no detection, precision and recall are 0
    valid = ev.present[:, None] & (ev.npig > 0)
    order = np.lexsort((ev.det_rank, ev.det_video, -ev.det_score,
                        ev.det_cat))
    for mi, max_det in enumerate(MAX_DETS):
        with_precision = full or mi == M - 1
        pm, rm = precision[..., mi if full else 0], recall[..., mi]  # views
        if with_precision:
            pm[:, :, valid] = 0
        rm[:, valid] = 0
        sel = order[ev.det_rank[order] < max_det]
        if sel.size == 0:
            continue
        cats, start, length = np.unique(ev.det_cat[sel], return_index=True,
                                        return_counts=True)
        ok = valid[cats]  # (S, A)
        dtm = ev.matched[:, :, sel]
        keep = ~ev.ignored[:, :, sel]
        npig = ev.npig[cats].astype(np.float64)  # (S, A)
        if not with_precision:
            # recall only: the TP count of each category segment
            tp = np.add.reduceat(dtm & keep, start, axis=2,
                                 dtype=np.int64).astype(np.float64)
            with np.errstate(divide='ignore', invalid='ignore'):
                rc = tp / npig.T[None]  # (T, A, S)
            rm[:, cats] = np.where(ok, rc.transpose(0, 2, 1), -1)
            continue
        rc, q = _pr_curves(dtm, keep, start, length, npig)
        last = rc[:, :, start + length - 1].transpose(0, 2, 1)  # (T, S, A)
        rm[:, cats] = np.where(ok, last, -1)
        pm[:, :, cats] = np.where(ok, q.transpose(0, 3, 2, 1), -1)
    return precision, recall


def _summarize(precision: np.ndarray, recall: np.ndarray) -> List[float]:
    """``COCOeval.summarize`` (detection statistics) on the arrays (the
    precision may hold ``maxDets[-1]`` only, the only one it reads)."""

    def mean(ap, iou_thr=None, area='all', max_det=100):
        a = [i for i, lbl in enumerate(YTVIS_AREA_LABELS) if lbl == area]
        m = [i for i, d in enumerate(MAX_DETS) if d == max_det]
        if ap and precision.shape[-1] == 1:
            assert m == [len(MAX_DETS) - 1]
            m = [0]
        s = precision if ap else recall
        if iou_thr is not None:
            s = s[np.where(iou_thr == IOU_THRS)[0]]
        s = s[:, :, :, a, m] if ap else s[:, :, a, m]
        return -1.0 if len(s[s > -1]) == 0 else float(np.mean(s[s > -1]))

    return [
        mean(1), mean(1, .5), mean(1, .75), mean(1, area='small'),
        mean(1, area='medium'), mean(1, area='large'), mean(0, max_det=1),
        mean(0, max_det=10), mean(0), mean(0, area='small'),
        mean(0, area='medium'), mean(0, area='large')
    ]


def ytvis_summarize(stats: Sequence[YTVISVideoStats],
                    cat_ids: Sequence[int],
                    video_ids: Optional[Sequence] = None) -> Dict:
    """COCO-style AP/AR over videos from per-video statistics.

    The numbers are those of pycocotools' ``evaluateImg`` + ``accumulate``
    + ``summarize`` fed with these IoUs (as ``ytvoseval`` does), computed
    with numpy over all videos and categories at once (see :func:`_match`
    and :func:`_accumulate`).

    Args:
        stats (Sequence[YTVISVideoStats]): One entry per video.
        cat_ids (Sequence[int]): The dataset's category ids.
        video_ids (Sequence, optional): Videos to evaluate (default: those
            of ``stats``).

    Returns:
        dict: ``AP``, ``AP50``, ``AP75``, ``APs``, ``APm``, ``APl``,
        ``AR1``, ``AR10``, ``AR100``, ``ARs``, ``ARm``, ``ARl`` (fractions;
        -1 where undefined, as COCO).
    """
    by_video = {s.video_id: s for s in stats}
    if len(by_video) != len(stats):
        raise ValueError('a video appears twice in the statistics')
    cats = np.array(sorted(int(c) for c in cat_ids), np.int64)
    if len(np.unique(cats)) != len(cats):
        raise ValueError(f'duplicate category ids in {list(cat_ids)}')
    vids = sorted(by_video) if video_ids is None else sorted(video_ids)
    if len(set(vids)) != len(vids):
        raise ValueError('a video id appears twice in video_ids')
    ev = _match([by_video.get(v) for v in vids], cats)
    precision, recall = _accumulate(ev, len(cats))
    names = ['AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'AR1', 'AR10',
             'AR100', 'ARs', 'ARm', 'ARl']
    return dict(zip(names, _summarize(precision, recall)))


def _compressed_rle(segm, height: int, width: int) -> Optional[dict]:
    """:func:`to_rle`, returning a compressed RLE as it is (no call)."""
    if isinstance(segm, dict) and isinstance(segm.get('counts'),
                                             (str, bytes)):
        return segm
    return to_rle(segm, height, width)


def _areas(rles: List[dict]) -> np.ndarray:
    """``mask_utils.area`` of any number of RLEs, as float64 (pycocotools
    2.0.11 on numpy 2 fails on more than 255 at once)."""
    if not rles:
        return np.zeros(0)
    return np.concatenate([
        mask_utils.area(rles[i:i + 255]) for i in range(0, len(rles), 255)
    ]).astype(np.float64)


def _shift_counts(counts, offset: int) -> str:
    """Compressed RLE counts with ``offset`` zeros prepended.

    In pycocotools' string format every count is a little-endian base-32
    varint (chars ``48 + 5 bits``, bit 5 = more, bit 4 of the last char =
    sign) and counts from the fourth on are deltas from the count two
    before, so the first count (zeros) is the only one to re-encode.
    """
    if offset < 0:
        raise ValueError(f'cannot remove {-offset} zeros from an RLE')
    if isinstance(counts, bytes):
        counts = counts.decode('ascii')
    x = k = p = 0
    for p, ch in enumerate(counts):
        c = ord(ch) - 48
        x |= (c & 0x1f) << k
        k += 5
        if c < 0x20:  # last char of the first count
            if c & 0x10:
                x -= 1 << k
            break
    x += offset
    out = ''
    while True:
        c = x & 0x1f
        x >>= 5
        if (x != -1) if c & 0x10 else x:
            out += chr(c + 0x20 + 48)
        else:
            return out + chr(c + 48) + counts[p + 1:]


def _slot_intersections(d_rles: List[dict], g_rles: List[dict],
                        d_slot: np.ndarray, g_slot: np.ndarray,
                        d_area: np.ndarray, height: int,
                        width: int) -> np.ndarray:
    """Intersection areas of predicted and ground-truth masks of one video
    for the pairs in the same slot (category and frame), with one
    ``mask_utils.iou`` call per 2^31 canvas pixels.

    Slot ``s``'s masks are moved to columns ``s * W .. (s + 1) * W - 1``
    of an (H, W * S) canvas (column-major RLE: ``s * H * W`` zeros
    prepended, see :func:`_shift_counts`). Masks of different slots then
    have disjoint boxes, which pycocotools' ``rleIou`` skips before walking
    the runs, so only the pairs of a slot are computed (their runs end at
    the same pixel, as the walk requires). The crowd form gives ``inter /
    area(d)``, and ``area(d)`` is known, hence the exact intersection.

    Args:
        d_rles (List[dict]): (Nd) predicted masks of size (height, width).
        g_rles (List[dict]): (Ng) ground-truth masks of that size.
        d_slot (np.ndarray): (Nd,) their slots; ``g_slot`` (Ng,) too.
        d_area (np.ndarray): (Nd,) predicted areas.

    Returns:
        np.ndarray: (Nd, Ng) float64 intersections (0 across slots).
    """
    hw = height * width
    inter = np.zeros((len(d_rles), len(g_rles)))
    last = int(max(d_slot.max(), g_slot.max()))
    # the canvas must fit pycocotools' 32-bit counters
    per_call = max(1, (2**31 - 1) // max(hw, 1))
    for s0 in range(0, last + 1, per_call):
        n = min(per_call, last + 1 - s0)
        size = [height, width * n]
        sides = []
        for rles, slots in ((d_rles, d_slot), (g_rles, g_slot)):
            keep = np.flatnonzero((slots >= s0) & (slots < s0 + n)) \
                if last >= per_call else np.arange(len(rles))
            sides.append((keep, [
                dict(size=size, counts=_shift_counts(rles[i]['counts'], off)
                     if off else rles[i]['counts'])
                for i, off in zip(keep.tolist(), ((slots[keep] - s0) *
                                                  hw).tolist())
            ]))
        (dk, dl), (gk, gl) = sides
        if dl and gl:
            o = mask_utils.iou(dl, gl, [1] * len(gl))
            inter[np.ix_(dk, gk)] = np.rint(o * d_area[dk][:, None])
    return inter


def _check_sizes(sizes: List, m0: int, m1: int, is_gt: np.ndarray,
                 frame: np.ndarray, vid: Hashable, where: str) -> None:
    """Raise if the masks ``m0:m1`` of a video (``sizes`` of all masks)
    differ in size."""
    if sizes[m0:m1].count(sizes[m0]) == m1 - m0:
        return
    g_sizes = {tuple(sizes[i]) for i in range(m0, m1) if is_gt[i]}
    for i in range(m0, m1):
        if g_sizes and tuple(sizes[i]) not in g_sizes:
            raise ValueError(
                f'{where}: video {vid} frame {frame[i]}: predicted and '
                f'ground-truth masks have different sizes '
                f'({list(sizes[i])} and {list(g_sizes.pop())})')
    if len(g_sizes) > 1:
        raise ValueError(f'video {vid} of the ground truth has masks of '
                         f'different sizes: {sorted(g_sizes)}')


def _pycocotools_intersections(rles, sizes, key, both, sel, m_gt, m_first):
    """Areas and same-slot intersections with pycocotools (no kernel):
    one ``area`` call per 255 masks, one ``iou`` call per video."""
    area = _areas(rles)
    slot = np.searchsorted(both, key[sel])  # dense, grouped by video
    sel_first = np.searchsorted(sel, m_first)
    pairs = []
    for v in range(len(m_first) - 1):
        s = np.arange(sel_first[v], sel_first[v + 1])
        if s.size == 0:
            pairs.append(None)
            continue
        idx, is_gt = sel[s], m_gt[sel[s]]
        d_i, g_i = idx[~is_gt], idx[is_gt]
        v_slot = slot[s] - slot[s].min()
        pair = _slot_intersections(
            [rles[i] for i in d_i.tolist()], [rles[i] for i in g_i.tolist()],
            v_slot[~is_gt], v_slot[is_gt], area[d_i], *sizes[g_i[0]])
        # every (prediction, ground truth) pair of the video; the pairs of
        # different slots have intersection 0
        pairs.append((np.repeat(d_i, len(g_i)), np.tile(g_i, len(d_i)),
                      pair.ravel()))
    return area, pairs


def _kernel_intersections(rles, sizes, key, sel, m_gt, owner, frame,
                          t_video, t_gt, items, where):
    """Areas and same-slot intersections with the ``rle`` kernel: each
    string decoded once, slots in parallel."""
    op_key = np.full(len(rles), -1, np.int64)
    op_key[sel] = key[sel]
    hw = np.array(sizes, np.int64).reshape(-1, 2)
    try:
        area, pg, pd, inter = area_and_intersections(
            [r['counts'] for r in rles], hw[:, 0], hw[:, 1], op_key, m_gt)
    except InvalidRLEError as e:
        t = owner[e.index]
        v = int(t_video[t])
        side = ('the ground truth' if t_gt[t] else where or 'the results')
        raise ValueError(
            f'{side}: video {items[v][0]} frame {frame[e.index]}: the mask '
            f'is not a valid compressed RLE of size {list(sizes[e.index])}'
        ) from None
    pair_video = t_video[owner[pg]]
    bounds = np.searchsorted(pair_video, np.arange(len(items) + 1))
    pairs = [(pd[a:b], pg[a:b], inter[a:b].astype(np.float64))
             if b > a else None for a, b in zip(bounds[:-1], bounds[1:])]
    return area.astype(np.float64), pairs


@dataclass
class _JSONMasks:
    """Every mask of a ground-truth/results JSON pair, flattened.

    Tracks are numbered video by video, the ground truths of a video before
    its results.

    Attributes:
        rles (List[dict]): (M) compressed RLEs of the non-empty masks.
        sizes (List): (M) their ``[height, width]``.
        owner (np.ndarray): (M,) int64 track of each mask.
        frame (np.ndarray): (M,) int64 frame of each mask.
        m_gt (np.ndarray): (M,) bool, the mask is a ground truth.
        m_first (List[int]): (V + 1) first mask of each video, then M.
        t_cat (List[int]): (N) category id of each track.
        t_gt (np.ndarray): (N,) bool, the track is a ground truth.
        t_first (List[int]): (V + 1) first track of each video, then N.
        t_video (np.ndarray): (N,) int64 video of each track.
    """
    rles: List[dict]
    sizes: List
    owner: np.ndarray
    frame: np.ndarray
    m_gt: np.ndarray
    m_first: List[int]
    t_cat: List[int]
    t_gt: np.ndarray
    t_first: List[int]
    t_video: np.ndarray


def _flatten_masks(items: List[tuple]) -> _JSONMasks:
    """The masks of ``(video_id, height, width, gt_anns, dt_anns)``
    items (see :func:`_json_stats`)."""
    rles, m_track, m_frame = [], [], []
    t_cat, t_gt, t_first, m_first = [], [], [], []
    for vid, h, w, gt_anns, dt_anns in items:
        t_first.append(len(t_cat))
        m_first.append(len(rles))
        for track in gt_anns + dt_anns:
            j = len(t_cat)
            t_cat.append(track['category_id'])
            segs = track['segmentations']
            frames = [t for t, segm in enumerate(segs) if segm]
            rles += [_compressed_rle(segs[t], h, w) for t in frames]
            m_track += [j] * len(frames)
            m_frame += frames
        t_gt += [True] * len(gt_anns) + [False] * len(dt_anns)
    t_first.append(len(t_cat))
    m_first.append(len(rles))
    owner = np.array(m_track, np.int64)
    t_gt = np.array(t_gt, bool)
    t_video = np.repeat(np.arange(len(items)), np.diff(t_first))
    return _JSONMasks(rles, [r['size'] for r in rles], owner,
                      np.array(m_frame, np.int64), t_gt[owner], m_first,
                      t_cat, t_gt, t_first, t_video)


def _slot_keys(
        masks: _JSONMasks) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The (video, category, frame) slot of each mask.

    Returns:
        tuple: ``(key, both, sel)``: (M,) slot key of each mask, the sorted
        keys of the slots with masks on both sides, and the (M',) masks in
        them (only their pairs are intersected).
    """
    _, t_cat_idx = np.unique(np.array(masks.t_cat, np.int64),
                             return_inverse=True)
    cell = masks.t_video * (int(t_cat_idx.max(initial=0)) + 1) + t_cat_idx
    key = cell[masks.owner] * (int(masks.frame.max(initial=0)) + 1) + \
        masks.frame
    both = np.intersect1d(key[masks.m_gt], key[~masks.m_gt])
    sel = np.flatnonzero(np.isin(key, both))
    return key, both, sel


def _video_stats(items: List[tuple], masks: _JSONMasks, area: np.ndarray,
                 pairs: List[Optional[tuple]]) -> List[YTVISVideoStats]:
    """Per-video statistics from the mask areas and the same-slot pair
    intersections (``(det masks, gt masks, areas)`` per video, or None)."""
    n, owner = len(masks.t_cat), masks.owner
    total = np.bincount(owner, weights=area, minlength=n)
    nz = area > 0
    nz_sum = np.bincount(owner[nz], weights=area[nz], minlength=n)
    nz_cnt = np.bincount(owner[nz], minlength=n)
    # the mean of the non-zero areas (sums of integers: exact)
    avg = np.where(nz_cnt > 0, nz_sum / np.maximum(nz_cnt, 1), 0.0)
    out = []
    for v, (vid, h, w, gt_anns, dt_anns) in enumerate(items):
        G, D = len(gt_anns), len(dt_anns)
        t0 = masks.t_first[v]
        inter = np.zeros((D, G))
        if pairs[v] is not None:
            d_i, g_i, pair = pairs[v]
            rows, cols = owner[d_i] - t0 - G, owner[g_i] - t0
            inter = np.bincount(rows * G + cols, weights=pair,
                                minlength=D * G).reshape(D, G)
        a_g, a_d = total[t0:t0 + G], total[t0 + G:t0 + G + D]
        union = a_d[:, None] + a_g[None, :] - inter
        iou = np.where(union > 0, inter / np.where(union > 0, union, 1),
                       0.0)
        g_avg = avg[t0:t0 + G].copy()
        for j, a in enumerate(gt_anns):
            if a.get('areas') is not None:
                g_avg[j] = _avg_area(a['areas'])
        out.append(YTVISVideoStats(
            video_id=vid,
            gt_ids=np.array([a['id'] for a in gt_anns], np.int64),
            gt_cats=np.array(masks.t_cat[t0:t0 + G], np.int64),
            gt_crowd=np.array([int(a.get('iscrowd', 0)) for a in gt_anns],
                              np.int64),
            gt_area=g_avg,
            dt_cats=np.array(masks.t_cat[t0 + G:t0 + G + D], np.int64),
            dt_scores=np.array([r['score'] for r in dt_anns], np.float64),
            dt_area=avg[t0 + G:t0 + G + D].copy(),
            iou=iou))
    return out


def _json_stats(items: List[tuple], where: str) -> List[YTVISVideoStats]:
    """The statistics of the videos of a ground-truth/results JSON pair.

    The same numbers as feeding their frames to :class:`YTVISVideo`. Only
    the masks of the (category, frame) slots that have both a ground-truth
    and a predicted mask are intersected: by the ``rle`` kernel in one call
    for the dataset, or without it with one pycocotools ``area`` call per
    255 masks and one ``iou`` call per video (see
    :func:`_slot_intersections`). The IoU of two different categories is
    never used; it is left 0 in ``iou``.

    Args:
        items (List[tuple]): ``(video_id, height, width, gt_anns,
            dt_anns)`` per video.
        where (str): Name of the results file, for error messages.

    Returns:
        List[YTVISVideoStats]: One per video.
    """
    masks = _flatten_masks(items)
    key, both, sel = _slot_keys(masks)
    for v, (vid, h, w, gt_anns, dt_anns) in enumerate(items):
        m0, m1 = masks.m_first[v], masks.m_first[v + 1]
        if m1 > m0:
            _check_sizes(masks.sizes, m0, m1, masks.m_gt, masks.frame, vid,
                         where)
    if load_ext('rle') is not None:
        area, pairs = _kernel_intersections(
            masks.rles, masks.sizes, key, sel, masks.m_gt, masks.owner,
            masks.frame, masks.t_video, masks.t_gt, items, where)
    else:
        area, pairs = _pycocotools_intersections(masks.rles, masks.sizes,
                                                 key, both, sel, masks.m_gt,
                                                 masks.m_first)
    return _video_stats(items, masks, area, pairs)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_result(r, n: int, where: str) -> None:
    """Check the fields of result ``n`` of a results list; errors name the
    file (``where``) and the entry."""
    if not isinstance(r, dict):
        raise ValueError(f'{where}: result {n} is not a JSON object: {r!r}')
    for key in ('video_id', 'category_id', 'score', 'segmentations'):
        if key not in r:
            raise ValueError(f'{where}: result {n} has no "{key}"')
    for key in ('video_id', 'category_id'):
        if not isinstance(r[key], (int, str)) or isinstance(r[key], bool):
            raise ValueError(f'{where}: result {n} has {key} {r[key]!r}; '
                             f'expected an id')
    score = r['score']
    if not _is_number(score) or not math.isfinite(score) or score < 0:
        raise ValueError(f'{where}: result {n} has score {score!r}; a score '
                         f'must be a finite number >= 0')
    if not isinstance(r['segmentations'], list):
        raise ValueError(f'{where}: result {n} has segmentations of type '
                         f'{type(r["segmentations"]).__name__}; expected a '
                         f'list (one RLE or null per frame)')


def ytvis_evaluate(gt: dict, results: List[dict], where: str = '') -> Dict:
    """Score a YouTube-VIS results list against a ground-truth dict.

    Args:
        gt (dict): The ground-truth JSON (``videos``, ``annotations``,
            ``categories``).
        results (List[dict]): ``[{video_id, category_id, score,
            segmentations}]``.
        where (str): Name of the results file, for error messages.

    Returns:
        dict: See :func:`ytvis_summarize`.
    """
    videos = {v['id']: v for v in gt['videos']}
    cat_ids = [c['id'] for c in gt['categories']]
    cat_set = set(cat_ids)
    anns = defaultdict(list)
    for a in gt.get('annotations', []):
        anns[a['video_id']].append(a)
    res = defaultdict(list)
    if not isinstance(results, list) or not results:
        raise ValueError(f'{where}: the results must be a non-empty list')
    for n, r in enumerate(results):
        _check_result(r, n, where)
        if r['video_id'] not in videos:
            raise ValueError(f'{where}: result {n} is for video '
                             f'{r["video_id"]}, which is not in the ground '
                             f'truth')
        if r['category_id'] not in cat_set:
            raise ValueError(f'{where}: result {n} has category '
                             f'{r["category_id"]}, beyond the class list')
        res[r['video_id']].append(r)
    items = []
    for vid, video in videos.items():
        h, w = video['height'], video['width']
        length = video.get('length')
        gt_anns, dt_anns = anns.get(vid, []), res.get(vid, [])
        if length is None:
            length = len(gt_anns[0]['segmentations']) if gt_anns else 0
        if length == 0:
            raise ValueError(f'video {vid} of the ground truth is empty')
        for a in gt_anns:
            if len(a['segmentations']) != length:
                raise ValueError(
                    f'annotation {a["id"]} of video {vid} has '
                    f'{len(a["segmentations"])} frames, the video {length}')
        for r in dt_anns:
            if len(r['segmentations']) != length:
                raise ValueError(
                    f'{where}: a result for video {vid} has '
                    f'{len(r["segmentations"])} frames, the video has '
                    f'{length}')
        items.append((vid, h, w, gt_anns, dt_anns))
    return ytvis_summarize(_json_stats(items, where), cat_ids,
                           sorted(videos))
