# Copyright (c) OpenMMLab. All rights reserved.
"""``YTVOS.loadRes`` + ``YTVOSeval('segm')`` of YouTube-VIS, as plain loops
(test oracle): per-mask ``area``/``toBbox``/``annToRLE``, per-pair
per-frame ``merge``/``area`` IoUs, pycocotools' ``COCOeval`` for matching,
accumulation and summary (the code ``ytvoseval`` shares)."""
import contextlib
import copy
import io
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

#: YouTube-VIS area ranges (average area over the frames).
AREA_RANGES = [[0**2, 1e5**2], [0**2, 128**2], [128**2, 256**2],
               [256**2, 1e5**2]]
#: Names of ``COCOeval.stats[:8]``.
STAT_NAMES = ['AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'AR1', 'AR10']


def _avg(areas: Sequence) -> float:
    nz = [a for a in areas if a]
    return np.array(nz).mean() if nz else 0


def _to_rle(s, h: int, w: int) -> dict:
    """``annToRLE`` of a segmentation (polygons, RLE or compressed)."""
    from pycocotools import mask as mu
    if isinstance(s, list):
        return mu.merge(mu.frPyObjects(s, h, w))
    if isinstance(s['counts'], list):
        return mu.frPyObjects(s, h, w)
    return s


def _load(gt: dict, results: List[dict]) -> Tuple[dict, dict]:
    """Ground truths and detections per ``(video, category)``, prepared as
    ``loadRes`` and ``_prepare`` do.

    Shallow copies (fields are replaced, not mutated): the official code
    works on its own freshly loaded JSON, copying is not part of its cost.
    """
    from pycocotools import mask as mu
    videos = {v['id']: v for v in gt['videos']}
    gts, dts = defaultdict(list), defaultdict(list)
    for g in (dict(a) for a in gt['annotations']):
        v = videos[g['video_id']]
        g['segmentations'] = [
            _to_rle(s, v['height'], v['width']) if s else None
            for s in g['segmentations']
        ]
        g['area'] = _avg(g['areas'])
        g['ignore'] = int(g.get('iscrowd', 0))
        gts[g['video_id'], g['category_id']].append(g)
    for i, d in enumerate(dict(r) for r in results):
        # loadRes: per-frame area and box of every result mask
        d['areas'] = [mu.area(s) if s else None for s in d['segmentations']]
        d['bboxes'] = [
            mu.toBbox(s) if s else None for s in d['segmentations']
        ]
        d['id'], d['iscrowd'], d['area'] = i + 1, 0, _avg(d['areas'])
        # _prepare's _toMask: annToRLE of every result mask too
        v = videos[d['video_id']]
        d['segmentations'] = [
            _to_rle(s, v['height'], v['width']) if s else None
            for s in d['segmentations']
        ]
        dts[d['video_id'], d['category_id']].append(d)
    return gts, dts


def _iou_seq(ds: List[Optional[dict]], gs: List[Optional[dict]]) -> float:
    """Video IoU of two tracks (per-frame RLEs, None where absent)."""
    from pycocotools import mask as mu
    i = u = .0
    for d, g in zip(ds, gs):
        if d and g:
            i += mu.area(mu.merge([d, g], True))
            u += mu.area(mu.merge([d, g], False))
        elif not d and g:
            u += mu.area(g)
        elif d and not g:
            u += mu.area(d)
    return i / u if u > .0 else .0


def _compute_ious(E, gts: dict, dts: dict) -> None:
    """``YTVOSeval.computeIoU`` for every (video, category) into
    ``E.ious``."""
    p = E.params
    for vid in p.imgIds:
        for cat in p.catIds:
            g, d = gts[vid, cat], dts[vid, cat]
            if not g and not d:
                continue
            inds = np.argsort([-x['score'] for x in d], kind='mergesort')
            d = [d[i] for i in inds][:p.maxDets[-1]]
            ious = np.zeros((len(d), len(g)))
            for a, b in np.ndindex(ious.shape):
                ious[a, b] = _iou_seq(d[a]['segmentations'],
                                      g[b]['segmentations'])
            E.ious[vid, cat] = ious


def ytvis_reference(gt: dict, results: List[dict]) -> Dict[str, float]:
    """``YTVOS.loadRes`` + ``YTVOSeval('segm')``: per-pair ``merge``/``area``
    loops for the video IoU, pycocotools' COCOeval for matching (the same
    code as ytvoseval's, with YouTube-VIS area ranges).

    Args:
        gt (dict): The ground-truth JSON (``videos``, ``annotations`` with
            ``areas``, ``categories``).
        results (List[dict]): ``[{video_id, category_id, score,
            segmentations}]``.

    Returns:
        dict: ``AP``, ``AP50``, ``AP75``, ``APs``, ``APm``, ``APl``, ``AR1``,
        ``AR10``.
    """
    from pycocotools.cocoeval import COCOeval
    gts, dts = _load(gt, results)
    E = COCOeval(iouType='segm')
    p = E.params
    p.imgIds = sorted({v['id'] for v in gt['videos']})
    p.catIds = sorted(c['id'] for c in gt['categories'])
    p.areaRng = copy.deepcopy(AREA_RANGES)
    E._gts, E._dts = gts, dts
    _compute_ious(E, gts, dts)
    with contextlib.redirect_stdout(io.StringIO()):
        E.evalImgs = [
            E.evaluateImg(v, c, a, p.maxDets[-1]) for c in p.catIds
            for a in p.areaRng for v in p.imgIds
        ]
        E._paramsEval = copy.deepcopy(p)
        E.accumulate()
        E.summarize()
    return {n: float(v) for n, v in zip(STAT_NAMES, E.stats)}
