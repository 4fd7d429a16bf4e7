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
  and the summary are COCO's (pycocotools' ``evaluateImg``/``accumulate``/
  ``summarize`` are used for those steps, fed with our IoUs).

On numpy >= 1.24 the original ``ytvoseval`` does not run (``Params`` builds
``np.linspace`` with a float count, uses ``np.float``, imports matplotlib,
and ``loadRes`` names ``unicode``); the numbers here are the ones it gives
where it runs. Differences: a result for a video or category missing from
the ground truth, or with a number of frames different from the video's,
raises ``ValueError`` (the official code asserts, ignores or truncates).

Each video is reduced to per-track areas and a matrix of summed
intersections (one ``maskUtils.iou`` call per frame, on RLEs), so memory
is bounded by one video.
"""
import contextlib
import io
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Dict, Hashable, List, Optional, Sequence

import numpy as np
from pycocotools import mask as mask_utils
from pycocotools.cocoeval import COCOeval

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
            area = mask_utils.area(rles).astype(np.int64) if rles else \
                np.zeros(0, np.int64)
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


def ytvis_summarize(stats: Sequence[YTVISVideoStats],
                    cat_ids: Sequence[int],
                    video_ids: Optional[Sequence] = None) -> Dict:
    """COCO-style AP/AR over videos from per-video statistics.

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
    E = COCOeval(iouType='segm')
    p = E.params
    p.imgIds = sorted(by_video) if video_ids is None else sorted(video_ids)
    p.catIds = sorted(int(c) for c in cat_ids)
    p.areaRng = [list(r) for r in YTVIS_AREA_RANGES]
    max_det = p.maxDets[-1]
    E._gts, E._dts = defaultdict(list), defaultdict(list)
    for vid in p.imgIds:
        s = by_video.get(vid)
        if s is None:
            continue
        for cat in p.catIds:
            g_idx = np.flatnonzero(s.gt_cats == cat)
            d_idx = np.flatnonzero(s.dt_cats == cat)
            if g_idx.size == 0 and d_idx.size == 0:
                continue
            order = np.argsort(-s.dt_scores[d_idx], kind='mergesort')
            d_idx = d_idx[order][:max_det]
            E._gts[vid, cat] = [
                dict(id=int(s.gt_ids[j]), area=s.gt_area[j],
                     iscrowd=int(s.gt_crowd[j]),
                     ignore=int(s.gt_crowd[j])) for j in g_idx
            ]
            E._dts[vid, cat] = [
                dict(id=n + 1, score=float(s.dt_scores[i]),
                     area=s.dt_area[i]) for n, i in enumerate(d_idx)
            ]
            E.ious[vid, cat] = s.iou[np.ix_(d_idx, g_idx)]
    with contextlib.redirect_stdout(io.StringIO()):
        E.evalImgs = [
            E.evaluateImg(vid, cat, a, max_det) for cat in p.catIds
            for a in p.areaRng for vid in p.imgIds
        ]
        E._paramsEval = E.params
        E.accumulate()
        E.summarize()
    names = ['AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'AR1', 'AR10',
             'AR100', 'ARs', 'ARm', 'ARl']
    return {n: float(v) for n, v in zip(names, E.stats)}


@dataclass
class YTVISAccumulator:
    """Accumulate per-video statistics and report YouTube-VIS AP.

    Args:
        cat_ids (Sequence[int]): The dataset's category ids.
    """
    cat_ids: Sequence[int]
    stats: List[YTVISVideoStats] = field(default_factory=list)

    def add(self, stats: YTVISVideoStats) -> None:
        self.stats.append(stats)

    def compute(self, video_ids: Optional[Sequence] = None) -> Dict:
        return ytvis_summarize(self.stats, self.cat_ids, video_ids)


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
    anns = defaultdict(list)
    for a in gt.get('annotations', []):
        anns[a['video_id']].append(a)
    res = defaultdict(list)
    if not isinstance(results, list) or not results:
        raise ValueError(f'{where}: the results must be a non-empty list')
    for n, r in enumerate(results):
        for key in ('video_id', 'category_id', 'score', 'segmentations'):
            if key not in r:
                raise ValueError(f'{where}: result {n} has no "{key}"')
        if r['video_id'] not in videos:
            raise ValueError(f'{where}: result {n} is for video '
                             f'{r["video_id"]}, which is not in the ground '
                             f'truth')
        if r['category_id'] not in cat_ids:
            raise ValueError(f'{where}: result {n} has category '
                             f'{r["category_id"]}, beyond the class list')
        res[r['video_id']].append(r)
    acc = YTVISAccumulator(cat_ids)
    for vid, video in videos.items():
        h, w = video['height'], video['width']
        length = video.get('length')
        gt_anns, dt_anns = anns.get(vid, []), res.get(vid, [])
        if length is None:
            length = len(gt_anns[0]['segmentations']) if gt_anns else 0
        if length == 0:
            raise ValueError(f'video {vid} of the ground truth is empty')
        state = YTVISVideo(vid)
        for a in gt_anns:
            if len(a['segmentations']) != length:
                raise ValueError(
                    f'annotation {a["id"]} of video {vid} has '
                    f'{len(a["segmentations"])} frames, the video {length}')
            state.add_gt_track(a['id'], a['id'], a['category_id'],
                               a.get('iscrowd', 0), a.get('areas'))
        for n, r in enumerate(dt_anns):
            if len(r['segmentations']) != length:
                raise ValueError(
                    f'{where}: a result for video {vid} has '
                    f'{len(r["segmentations"])} frames, the video has '
                    f'{length}')
            state.add_dt_track(n, r['category_id'], r['score'])
        for t in range(length):
            g = {}
            for a in gt_anns:
                rle = to_rle(a['segmentations'][t], h, w)
                if rle is not None:
                    g[a['id']] = rle
            d = {}
            for n, r in enumerate(dt_anns):
                if r['segmentations'][t]:
                    d[n] = to_rle(r['segmentations'][t], h, w)
            state.add_frame(g, d, where=f'{where}: video {vid} frame {t}')
        acc.add(state.finish())
    return acc.compute(sorted(videos))
