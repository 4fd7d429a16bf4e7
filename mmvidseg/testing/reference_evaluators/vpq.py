# Copyright (c) OpenMMLab. All rights reserved.
"""VIPSeg's ``eval_vpq_vspw.py`` algorithm, as plain loops (test oracle)."""
import copy
from typing import Dict, List, Sequence, Tuple

import numpy as np

#: Pair-id offset of the official code (``gt * OFFSET + pred``).
OFFSET = 256 * 256 * 256


def _frame_segments(gt_json: dict, pred_json: dict,
                    pred_ids: np.ndarray) -> Tuple[dict, dict]:
    """The segments of one frame, keyed by id.

    Args:
        gt_json (dict): ``{'segments_info': [...]}`` of the ground truth;
            a duplicated id adds its ``area``.
        pred_json (dict): ``{'segments_info': [...]}`` of the prediction.
        pred_ids (np.ndarray): (H, W) predicted ids; the predicted areas
            are recounted from it.

    Returns:
        tuple: ``(gt segments, predicted segments)``, deep copies.
    """
    gsegs, psegs = {}, {}
    for el in gt_json['segments_info']:
        if el['id'] in gsegs:
            gsegs[el['id']]['area'] += el['area']
        else:
            gsegs[el['id']] = copy.deepcopy(el)
    for el in pred_json['segments_info']:
        if el['id'] not in psegs:
            psegs[el['id']] = copy.deepcopy(el)
    labels, cnts = np.unique(pred_ids, return_counts=True)
    for lab, cnt in zip(labels, cnts):
        if lab == 0:
            continue
        psegs[lab]['area'] = cnt
    return gsegs, psegs


def _merge_segments(per_frame: List[dict]) -> dict:
    """The segments of a window: areas of equal ids summed over frames (the
    first frame's dict of an id is updated in place, as the official
    code does)."""
    merged = {}
    for segs in per_frame:
        for k, v in segs.items():
            if k in merged:
                merged[k]['area'] += v['area']
            else:
                merged[k] = v
    return merged


def _pair_areas(gts: List[np.ndarray],
                preds: List[np.ndarray]) -> Dict[tuple, int]:
    """``{(gt id, pred id): pixels}`` over the (H, W) maps of a window."""
    code = np.stack(gts).astype(np.uint64) * OFFSET + \
        np.stack(preds).astype(np.uint64)
    pmap = {}
    labels, cnts = np.unique(code, return_counts=True)
    for lab, cnt in zip(labels, cnts):
        pmap[(int(lab // OFFSET), int(lab % OFFSET))] = int(cnt)
    return pmap


def _match_window(stat: Dict[int, list], vg: dict, vp: dict,
                  pmap: Dict[tuple, int]) -> None:
    """Add a window's TPs (IoU sums), FNs and FPs to ``stat``.

    Args:
        stat (Dict[int, list]): ``{category: [iou, tp, fp, fn]}``, updated.
        vg (dict): The window's ground-truth segments.
        vp (dict): The window's predicted segments.
        pmap (Dict[tuple, int]): See :func:`_pair_areas`.
    """
    gm, pm = set(), set()
    for (g, p), inter in pmap.items():
        if g not in vg or p not in vp:
            continue
        if vg[g].get('iscrowd', 0) == 1:
            continue
        if vg[g]['category_id'] != vp[p]['category_id']:
            continue
        union = vp[p]['area'] + vg[g]['area'] - inter - \
            pmap.get((0, p), 0)
        iou = inter / union
        if iou > 0.5:
            stat[vg[g]['category_id']][1] += 1
            stat[vg[g]['category_id']][0] += iou
            gm.add(g)
            pm.add(p)
    crowd = {}
    for g, info in vg.items():
        if g in gm:
            continue
        if info.get('iscrowd', 0) == 1:
            crowd[info['category_id']] = g
            continue
        stat[info['category_id']][3] += 1
    for p, info in vp.items():
        if p in pm:
            continue
        inter = pmap.get((0, p), 0)
        if info['category_id'] in crowd:
            inter += pmap.get((crowd[info['category_id']], p), 0)
        if inter / info['area'] > 0.5:
            continue
        stat[info['category_id']][2] += 1


def _eval_window(stat: Dict[int, list], frames: List[tuple]) -> None:
    """Score one window of ``(gt_json, pred_json, gt_ids, pred_ids)``
    frames into ``stat`` (see :func:`_match_window`)."""
    gsegs_l, psegs_l = [], []
    for gt_json, pred_json, _, pred_ids in frames:
        gsegs, psegs = _frame_segments(gt_json, pred_json, pred_ids)
        gsegs_l.append(gsegs)
        psegs_l.append(psegs)
    vg, vp = _merge_segments(gsegs_l), _merge_segments(psegs_l)
    pmap = _pair_areas([f[2] for f in frames], [f[3] for f in frames])
    _match_window(stat, vg, vp, pmap)


def _pq_means(stat: Dict[int, list],
              categories: Dict[int, dict]) -> Dict[str, float]:
    """100 x the mean PQ of all classes, things and stuff (``all``, ``th``,
    ``st``; NaN for a subset without a counted class)."""
    res = {}
    for name, isthing in (('all', None), ('th', True), ('st', False)):
        pq, n = 0.0, 0
        for c, info in categories.items():
            if isthing is not None and (info['isthing'] == 1) != isthing:
                continue
            iou, tp, fp, fn = stat[c]
            if tp + fp + fn == 0:
                continue
            n += 1
            pq += iou / (tp + 0.5 * fp + 0.5 * fn)
        res[name] = 100 * pq / n if n else float('nan')
    return res


def vpq_reference(videos: List[List[tuple]], categories: Dict[int, dict],
                  windows: Sequence[int]) -> Dict[str, float]:
    """VIPSeg's ``eval_vpq_vspw.py`` algorithm.

    Args:
        videos (List[List[tuple]]): Per video, a list of ``(gt_json,
            pred_json, gt_ids, pred_ids)`` per frame; the jsons are
            ``{'segments_info': [...]}`` and the id maps (H, W) integer
            arrays, 0 = VOID.
        categories (Dict[int, dict]): ``{id: {'isthing': 0|1}}``.
        windows (Sequence[int]): Window sizes.

    Returns:
        dict: ``VPQ``, ``VPQ_th``, ``VPQ_st`` and ``VPQ@k``.
    """
    out, alls, ths, sts = {}, [], [], []
    for nframes in windows:
        stat = {c: [0.0, 0, 0, 0] for c in categories}  # iou, tp, fp, fn
        for video in videos:
            for idx in range(0, len(video) - nframes + 1):
                _eval_window(stat, video[idx:idx + nframes])
        res = _pq_means(stat, categories)
        out[f'VPQ@{nframes}'] = res['all']
        alls.append(res['all'])
        ths.append(res['th'])
        sts.append(res['st'])
    out['VPQ'] = sum(alls) / len(alls)
    out['VPQ_th'] = sum(ths) / len(ths)
    out['VPQ_st'] = sum(sts) / len(sts)
    return out
