# Copyright (c) OpenMMLab. All rights reserved.
"""Time the metrics on generated data of realistic size.

Usage::

    python tools/analysis_tools/benchmark_metrics.py [--small]
        [--metrics vpq stq dvpq davis ytvis vid] [--no-reference]

For each metric, videos are generated one at a time (so the data never
has to fit in memory), then scored by the vectorised implementation in
:mod:`mmvidseg.evaluation.functional` and by an "official-style" reference
defined below: a straightforward per-frame, per-segment loop version of the
official evaluator's algorithm (Python dicts, one ``np.unique`` per frame
and per window, loops over segments), written from the published
algorithms, not copied. Both see the same in-memory arrays (PNG decoding
is not timed for either). Printed per metric: frames/s of each, their
ratio, the peak memory of each on one video (``tracemalloc``: numpy and
Python allocations beyond the input arrays) and the largest difference
between their scores on the first video.

YouTube-VIS AP is dataset-wide, so it is timed (and its memory and
difference measured) on the whole generated dataset at once (default 50
videos x 20 frames x 360x640, 1-3 objects and 10 predictions per video, 40
categories). Its reference is ``YTVOS.loadRes`` + ``YTVOSeval``: per-mask
``area``/``toBbox``/``annToRLE``, per-pair per-frame ``merge``/``area``
IoUs, and pycocotools' ``COCOeval`` ``evaluateImg``/``accumulate``/
``summarize`` (the code ``ytvoseval`` shares); ours makes one ``area`` call
per 255 masks and one canvas ``iou`` call per video, then numpy
evaluate/accumulate. DAVIS (default 5 sequences x 30 frames x 480x854, 3
objects) compares the official per-object full-frame ``seg2bmap`` +
``cv2.dilate`` with our one-pass boundary extraction and exact sparse disk
matching.

Default sizes are those of the real benchmarks (e.g. 20 videos x 30
frames x 720x1280 for VPQ/STQ); ``--small`` shrinks them for a quick run
(the machine may be shared: ratios are measured in the same run, on the
same data). The tests import the references from this file to
cross-check the implementations on random input.
"""
import argparse
import copy
import time
import tracemalloc
from typing import Callable, Dict, List, Sequence

import numpy as np


# --------------------------------------------------------------------- VPQ
def vpq_reference(videos: List[List[tuple]], categories: Dict[int, dict],
                  windows: Sequence[int]) -> Dict[str, float]:
    """VIPSeg's ``eval_vpq_vspw.py`` algorithm.

    Args:
        videos: Per video, a list of ``(gt_json, pred_json, gt_ids,
            pred_ids)`` per frame; the jsons are ``{'segments_info': [...]}``
            and the id maps (H, W) integer arrays, 0 = VOID.
        categories: ``{id: {'isthing': 0|1}}``.
        windows: Window sizes.

    Returns:
        dict: ``VPQ``, ``VPQ_th``, ``VPQ_st`` and ``VPQ@k``.
    """
    offset = 256 * 256 * 256
    out, alls, ths, sts = {}, [], [], []
    for nframes in windows:
        stat = {c: [0.0, 0, 0, 0] for c in categories}  # iou, tp, fp, fn
        for video in videos:
            for idx in range(0, len(video) - nframes + 1):
                gts, preds, gsegs_l, psegs_l = [], [], [], []
                for gt_json, pred_json, gt_ids, pred_ids in \
                        video[idx:idx + nframes]:
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
                    gts.append(gt_ids)
                    preds.append(pred_ids)
                    gsegs_l.append(gsegs)
                    psegs_l.append(psegs)
                vg, vp = {}, {}
                for gsegs, psegs in zip(gsegs_l, psegs_l):
                    for k, v in gsegs.items():
                        if k in vg:
                            vg[k]['area'] += v['area']
                        else:
                            vg[k] = v
                    for k, v in psegs.items():
                        if k in vp:
                            vp[k]['area'] += v['area']
                        else:
                            vp[k] = v
                code = np.stack(gts).astype(np.uint64) * offset + \
                    np.stack(preds).astype(np.uint64)
                pmap = {}
                labels, cnts = np.unique(code, return_counts=True)
                for lab, cnt in zip(labels, cnts):
                    pmap[(int(lab // offset), int(lab % offset))] = int(cnt)
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
        out[f'VPQ@{nframes}'] = res['all']
        alls.append(res['all'])
        ths.append(res['th'])
        sts.append(res['st'])
    out['VPQ'] = sum(alls) / len(alls)
    out['VPQ_th'] = sum(ths) / len(ths)
    out['VPQ_st'] = sum(sts) / len(sts)
    return out


# --------------------------------------------------------------------- STQ
class STQReference:
    """deeplab2's numpy ``STQuality`` algorithm (weights = None)."""

    def __init__(self, num_classes, things_list, ignore_label,
                 label_bit_shift, offset):
        self.nc = num_classes
        self.ignore = ignore_label
        self.things = list(things_list)
        self.shift = label_bit_shift
        self.mask = 2**label_bit_shift - 1
        if ignore_label >= num_classes:
            self.size = num_classes + 1
            self.include = np.arange(num_classes)
        else:
            self.size = num_classes
            self.include = np.array(
                [i for i in range(num_classes) if i != ignore_label])
        self.offset = offset
        self.conf, self.preds, self.gts, self.inters = {}, {}, {}, {}

    @staticmethod
    def _update(stat, ids):
        uniq, counts = np.unique(ids, return_counts=True)
        for i, c in zip(uniq, counts.astype(np.float32)):
            if i in stat:
                stat[i] += c * 1.0
            else:
                stat[i] = c * 1.0

    def update_state(self, y_true, y_pred, seq=0):
        y_true = y_true.astype(np.int64)
        y_pred = y_pred.astype(np.int64)
        st, sp = y_true >> self.shift, y_pred >> self.shift
        if self.ignore > self.nc:
            st = np.where(st != self.ignore, st, self.nc)
            sp = np.where(sp != self.ignore, sp, self.nc)
        if seq not in self.conf:
            self.conf[seq] = np.zeros((self.size, self.size), np.float64)
            self.preds[seq], self.gts[seq], self.inters[seq] = {}, {}, {}
        idx = (st.ravel() << self.shift) + sp.ravel()
        uniq, counts = np.unique(idx, return_counts=True)
        self.conf[seq][uniq >> self.shift, uniq & self.mask] += counts
        inst = y_true & self.mask
        lm = np.zeros(st.shape, bool)
        pm = np.zeros(sp.shape, bool)
        for t in self.things:
            lm |= st == t
            pm |= sp == t
        crowd = (inst == 0) & lm
        lm &= ~crowd
        pm &= ~crowd
        self._update(self.preds[seq], y_pred[pm])
        self._update(self.gts[seq], y_true[lm])
        both = lm & pm
        self._update(self.inters[seq],
                     y_true[both] * self.offset + y_pred[both])

    def result(self):
        aq, tubes = [], []
        for seq in self.gts:
            outer = 0.0
            preds, gts, inters = self.preds[seq], self.gts[seq], \
                self.inters[seq]
            for gid, gsize in gts.items():
                inner = 0.0
                for pid, psize in preds.items():
                    key = self.offset * gid + pid
                    if key in inters:
                        tpa = inters[key]
                        fpa = psize - tpa
                        fna = gsize - tpa
                        inner += tpa * (tpa / (tpa + fpa + fna))
                outer += 1.0 / gsize * inner
            aq.append(outer)
            tubes.append(len(gts))
        aq_mean = np.sum(aq) / np.maximum(np.sum(tubes), 1e-15)
        total = np.zeros((self.size, self.size))
        for conf in self.conf.values():
            keep = np.zeros_like(conf)
            keep[self.include, :] = 1.0
            total += conf * keep
        inter = total.diagonal()
        unions = inter + (total.sum(0) - inter) + (total.sum(1) - inter)
        n = np.count_nonzero(unions)
        iou = np.sum(inter / np.maximum(unions, 1e-15)) / n
        return {'STQ': float(np.sqrt(aq_mean * iou)), 'AQ': float(aq_mean),
                'SQ': float(iou)}


# ------------------------------------------------------------------- DAVIS
def _bmap_reference(seg):
    seg = seg.astype(bool)
    e = np.zeros_like(seg)
    s = np.zeros_like(seg)
    se = np.zeros_like(seg)
    e[:, :-1] = seg[:, 1:]
    s[:-1, :] = seg[1:, :]
    se[:-1, :-1] = seg[1:, 1:]
    b = seg ^ e | seg ^ s | seg ^ se
    b[-1, :] = seg[-1, :] ^ e[-1, :]
    b[:, -1] = seg[:, -1] ^ s[:, -1]
    b[-1, -1] = 0
    return b


def _f_reference(fg, gt, bound_th=0.008):
    import cv2
    r = np.ceil(bound_th * np.linalg.norm(fg.shape))
    lin = np.arange(-r, r + 1)
    x, y = np.meshgrid(lin, lin)
    kernel = ((x**2 + y**2) <= r**2).astype(np.uint8)
    fb, gb = _bmap_reference(fg), _bmap_reference(gt)
    fd = cv2.dilate(fb.astype(np.uint8), kernel)
    gd = cv2.dilate(gb.astype(np.uint8), kernel)
    gm, fm = gb * fd, fb * gd
    nf, ng = np.sum(fb), np.sum(gb)
    if nf == 0 and ng > 0:
        p, rc = 1, 0
    elif nf > 0 and ng == 0:
        p, rc = 0, 1
    elif nf == 0 and ng == 0:
        p, rc = 1, 1
    else:
        p, rc = np.sum(fm) / float(nf), np.sum(gm) / float(ng)
    return 0 if p + rc == 0 else 2 * p * rc / (p + rc)


def _stats_reference(v):
    m = np.nanmean(v)
    o = np.nanmean(v > 0.5)
    ids = np.round(np.linspace(1, len(v), 5) + 1e-10) - 1
    ids = ids.astype(np.uint8)
    bins = [v[ids[i]:ids[i + 1] + 1] for i in range(4)]
    return m, o, np.nanmean(bins[0]) - np.nanmean(bins[3])


def davis_reference(sequences):
    """davis2017-evaluation's semi-supervised algorithm.

    Args:
        sequences: list of ``(gt, pred)`` with (T, H, W) index arrays.

    Returns:
        dict: ``J&F`` and the six J/F statistics.
    """
    jm, jr, jd, fm, fr, fd = [], [], [], [], [], []
    for gt, pred in sequences:
        gt = np.where(gt == 255, 0, gt).astype(np.float64)
        n = int(gt[0].max())
        gmasks = np.arange(1, n + 1)[:, None, None, None] == gt[None]
        gmasks = gmasks[:, 1:-1]
        pred = pred[1:-1].astype(np.float64)
        pmasks = np.arange(1, int(pred.max()) + 1)[:, None, None,
                                                   None] == pred[None]
        assert pmasks.shape[0] == n
        for k in range(n):
            g, p = gmasks[k], pmasks[k]
            inter = np.sum(g & p, axis=(-2, -1))
            union = np.sum(g | p, axis=(-2, -1))
            with np.errstate(divide='ignore', invalid='ignore'):
                j = inter / union
            j[np.isclose(union, 0)] = 1
            f = np.array([_f_reference(p[t], g[t]) for t in range(len(g))])
            a, b, c = _stats_reference(j)
            jm.append(a), jr.append(b), jd.append(c)
            a, b, c = _stats_reference(f)
            fm.append(a), fr.append(b), fd.append(c)
    return {
        'J&F': (np.mean(jm) + np.mean(fm)) / 2.,
        'J-Mean': np.mean(jm), 'J-Recall': np.mean(jr),
        'J-Decay': np.mean(jd), 'F-Mean': np.mean(fm),
        'F-Recall': np.mean(fr), 'F-Decay': np.mean(fd)
    }


# -------------------------------------------------------------------- DVPQ
def _dvpq_window_reference(preds, gts, max_ins=1000, ign_id=32, num_cat=20):
    offset = 256 * 256
    iou_c, tp_c, fn_c, fp_c = (np.zeros(num_cat) for _ in range(4))
    pred_ids = np.concatenate(preds, axis=1)
    gt_ids = np.concatenate(gts, axis=1)

    def counts(a):
        u, c = np.unique(a, return_counts=True)
        return dict(zip(u.tolist(), c.tolist()))

    pred_areas, gt_areas = counts(pred_ids), counts(gt_ids)
    void_id = ign_id * max_ins
    ign_ids = {g for g in gt_areas if g // max_ins == ign_id}
    int_areas = counts(
        gt_ids.astype(np.uint64) * offset + pred_ids.astype(np.uint64))
    gm, pm = set(), set()
    for key, inter in int_areas.items():
        g, p = key // offset, key % offset
        if g // max_ins != p // max_ins:
            continue
        union = gt_areas[g] + pred_areas[p] - inter - int_areas.get(
            void_id * offset + p, 0)
        iou = inter / union
        if iou > 0.5:
            tp_c[g // max_ins] += 1
            iou_c[g // max_ins] += iou
            gm.add(g)
            pm.add(p)
    for g in gt_areas:
        if g in gm or g // max_ins == ign_id:
            continue
        fn_c[g // max_ins] += 1
    for p in pred_areas:
        if p in pm:
            continue
        ign = sum(int_areas.get(i * offset + p, 0) for i in ign_ids)
        if ign / pred_areas[p] > 0.5:
            continue
        fp_c[p // max_ins] += 1
    return iou_c, tp_c, fn_c, fp_c


def dvpq_reference(sequences, windows, thresholds, num_classes=19,
                   things=tuple(range(11, 19))):
    """ViP-DeepLab's Cityscapes-DVPS algorithm (intended depth arithmetic).

    Args:
        sequences: list of lists of ``(gt, pred, depth_gt, depth_pred)``.

    Returns:
        dict: ``DVPQ@k@lambda`` and ``DVPQ``.
    """
    out, vals = {}, []
    thing_mask = np.zeros(num_classes, bool)
    thing_mask[list(things)] = True
    for k in windows:
        for lam in thresholds:
            tot = np.zeros((4, num_classes + 1))
            for seq in sequences:
                preds, gts = [], []
                for gt, pred, dg, dp in seq:
                    pred = pred.astype(np.uint32).copy()
                    if lam > 0:
                        dg = dg.astype(np.int64)
                        dp = dp.astype(np.int64)
                        m = dg > 0
                        bad = np.abs(dp[m] - dg[m]) / dg[m] > lam
                        sub = pred[m]
                        sub[bad] = num_classes * 1000
                        pred[m] = sub
                    preds.append(pred)
                    gts.append(gt.astype(np.uint32))
                for i in range(len(seq) - k + 1):
                    r = _dvpq_window_reference(preds[i:i + k], gts[i:i + k],
                                               num_cat=num_classes + 1)
                    tot += np.stack(r)
            iou, tp, fn, fp = tot[:, :num_classes]
            with np.errstate(divide='ignore', invalid='ignore'):
                pq = (iou / tp) * (tp / (tp + 0.5 * fn + 0.5 * fp))
            out[f'DVPQ@{k}@{lam}'] = 100 * pq.mean()
            out[f'DVPQ_th@{k}@{lam}'] = 100 * pq[thing_mask].mean()
            vals.append(out[f'DVPQ@{k}@{lam}'])
    out['DVPQ'] = float(np.mean(vals))
    return out


# --------------------------------------------------------------------- VID
def vid_reference(frames, iou_thresh=0.5):
    """MEGA's ``eval_detection_vid`` (no motion ranges) on numpy inputs.

    Args:
        frames: list of ``(pred_boxes, pred_labels, pred_scores, gt_boxes,
            gt_labels)`` per frame (boxes xyxy).

    Returns:
        dict: ``mAP50`` and ``AP``.
    """
    import torch
    from collections import defaultdict
    n_pos, score, match = defaultdict(int), defaultdict(list), \
        defaultdict(list)

    def iou_fn(a, b):
        a, b = torch.as_tensor(a), torch.as_tensor(b)
        area1 = (a[:, 2] - a[:, 0] + 1) * (a[:, 3] - a[:, 1] + 1)
        area2 = (b[:, 2] - b[:, 0] + 1) * (b[:, 3] - b[:, 1] + 1)
        lt = torch.max(a[:, None, :2], b[:, :2])
        rb = torch.min(a[:, None, 2:], b[:, 2:])
        wh = (rb - lt + 1).clamp(min=0)
        inter = wh[:, :, 0] * wh[:, :, 1]
        return (inter / (area1[:, None] + area2 - inter)).numpy()

    for pb, pl, ps, gb, gl in frames:
        pb = np.asarray(pb, np.float32).reshape(-1, 4)
        gb = np.asarray(gb, np.float32).reshape(-1, 4)
        pl, gl = np.asarray(pl), np.asarray(gl)
        ps = np.asarray(ps, np.float32)
        for lab in np.unique(np.concatenate((pl, gl)).astype(int)):
            pbl, psl = pb[pl == lab], ps[pl == lab]
            order = psl.argsort()[::-1]
            pbl, psl = pbl[order], psl[order]
            gbl = gb[gl == lab]
            n_pos[lab] += gbl.shape[0]
            score[lab].extend(psl)
            if len(pbl) == 0:
                continue
            if len(gbl) == 0:
                match[lab].extend((0, ) * pbl.shape[0])
                continue
            pbl = pbl.copy()
            pbl[:, 2:] += 1
            gbl = gbl.copy()
            gbl[:, 2:] += 1
            iou = iou_fn(pbl, gbl)
            selec = np.zeros(gbl.shape[0], dtype=bool)
            for j in range(iou.shape[0]):
                iou_match, arg = iou_thresh, -1
                for k in range(iou.shape[1]):
                    if selec[k] or iou[j, k] < iou_match:
                        continue
                    if iou[j, k] == iou_match:
                        if arg < 0:
                            arg = k
                    else:
                        arg = k
                    iou_match = iou[j, k]
                if arg >= 0:
                    match[lab].append(1)
                    selec[arg] = True
                else:
                    match[lab].append(0)
    ap = np.full(max(n_pos.keys()) + 1, np.nan)
    for lab in n_pos:
        s = np.array(score[lab])
        m = np.array(match[lab], dtype=np.int8)
        m = m[s.argsort()[::-1]]
        tp = np.cumsum(m == 1)
        fp = np.cumsum((m == 0) * np.ones(len(m)))
        prec = tp / (fp + tp + np.spacing(1))
        if n_pos[lab] == 0:
            continue
        rec = tp / n_pos[lab]
        mpre = np.concatenate(([0], np.nan_to_num(prec), [0]))
        mrec = np.concatenate(([0], rec, [1]))
        mpre = np.maximum.accumulate(mpre[::-1])[::-1]
        i = np.where(mrec[1:] != mrec[:-1])[0]
        ap[lab] = np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1])
    return {'mAP50': float(np.nanmean(ap)), 'AP': ap}


# ------------------------------------------------------------------- YTVIS
def ytvis_reference(gt, results):
    """``YTVOS.loadRes`` + ``YTVOSeval('segm')``: per-pair ``merge``/``area``
    loops for the video IoU, pycocotools' COCOeval for matching (the same
    code as ytvoseval's, with YouTube-VIS area ranges).

    Returns:
        dict: ``AP``, ``AP50``, ``AP75``, ``APs``, ``APm``, ``APl``, ``AR1``,
        ``AR10``.
    """
    import contextlib
    import io
    from collections import defaultdict

    from pycocotools import mask as mu
    from pycocotools.cocoeval import COCOeval
    videos = {v['id']: v for v in gt['videos']}

    def avg(areas):
        nz = [a for a in areas if a]
        return np.array(nz).mean() if nz else 0

    def to_rle(s, h, w):
        if isinstance(s, list):
            return mu.merge(mu.frPyObjects(s, h, w))
        if isinstance(s['counts'], list):
            return mu.frPyObjects(s, h, w)
        return s

    # shallow copies (fields are replaced, not mutated): the official code
    # works on its own freshly loaded JSON, copying is not part of its cost
    gts, dts = defaultdict(list), defaultdict(list)
    for g in (dict(a) for a in gt['annotations']):
        v = videos[g['video_id']]
        g['segmentations'] = [
            to_rle(s, v['height'], v['width']) if s else None
            for s in g['segmentations']
        ]
        g['area'] = avg(g['areas'])
        g['ignore'] = int(g.get('iscrowd', 0))
        gts[g['video_id'], g['category_id']].append(g)
    for i, d in enumerate(dict(r) for r in results):
        # loadRes: per-frame area and box of every result mask
        d['areas'] = [mu.area(s) if s else None for s in d['segmentations']]
        d['bboxes'] = [
            mu.toBbox(s) if s else None for s in d['segmentations']
        ]
        d['id'], d['iscrowd'], d['area'] = i + 1, 0, avg(d['areas'])
        # _prepare's _toMask: annToRLE of every result mask too
        v = videos[d['video_id']]
        d['segmentations'] = [
            to_rle(s, v['height'], v['width']) if s else None
            for s in d['segmentations']
        ]
        dts[d['video_id'], d['category_id']].append(d)

    def iou_seq(ds, gs):
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

    E = COCOeval(iouType='segm')
    p = E.params
    p.imgIds = sorted(videos)
    p.catIds = sorted(c['id'] for c in gt['categories'])
    p.areaRng = [[0**2, 1e5**2], [0**2, 128**2], [128**2, 256**2],
                 [256**2, 1e5**2]]
    E._gts, E._dts = gts, dts
    for vid in p.imgIds:
        for cat in p.catIds:
            g, d = gts[vid, cat], dts[vid, cat]
            if not g and not d:
                continue
            inds = np.argsort([-x['score'] for x in d], kind='mergesort')
            d = [d[i] for i in inds][:p.maxDets[-1]]
            ious = np.zeros((len(d), len(g)))
            for a, b in np.ndindex(ious.shape):
                ious[a, b] = iou_seq(d[a]['segmentations'],
                                     g[b]['segmentations'])
            E.ious[vid, cat] = ious
    with contextlib.redirect_stdout(io.StringIO()):
        E.evalImgs = [
            E.evaluateImg(v, c, a, p.maxDets[-1]) for c in p.catIds
            for a in p.areaRng for v in p.imgIds
        ]
        E._paramsEval = copy.deepcopy(p)
        E.accumulate()
        E.summarize()
    names = ['AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'AR1', 'AR10']
    return {n: float(v) for n, v in zip(names, E.stats)}


# ================================================================ harness
#: Sizes per metric: (videos, frames, height, width) and --small.
SIZES = {
    'vpq': ((20, 30, 720, 1280), (2, 8, 180, 320)),
    'stq': ((20, 30, 720, 1280), (2, 8, 180, 320)),
    'dvpq': ((10, 6, 1024, 2048), (2, 6, 128, 256)),
    'davis': ((5, 30, 480, 854), (2, 10, 120, 214)),
    'ytvis': ((50, 20, 720, 1280), (10, 8, 180, 320)),  # YouTube-VIS: 720p
    'vid': ((20, 100, 720, 1280), (4, 20, 720, 1280)),
}
#: Cityscapes-like classes (DVPQ, VID): 19 classes, things 11..18.
NUM_CLASSES, THINGS = 19, tuple(range(11, 19))
#: VIPSeg-like classes (VPQ, STQ, YTVIS): 124 classes, 58 of them things.
VIPSEG_CLASSES = 124
VIPSEG_THINGS = tuple(range(66, 124))


def panoptic_video(rng, T, H, W, void_class=255, things=THINGS):
    """Ground-truth and predicted ``class * 1000 + track`` maps (T, H, W),
    int32, with a panning stuff layout, ~15 moving things, void, and a
    prediction that is shifted, relabelled in places and switches tracks.
    """
    gh, gw = max(H // 48, 2), max(W // 48, 2)
    stuff = rng.integers(0, things[0], (gh, gw * 2))
    stuff = np.kron(stuff, np.ones((48, 48), np.int64))
    gt = np.zeros((T, H, W), np.int32)
    pred = np.zeros((T, H, W), np.int32)
    n = 15
    cls = rng.choice(things, n)
    pos = rng.uniform(0, 1, (n, 2)) * (H, W)
    vel = rng.normal(0, 0.01, (n, 2)) * (H, W)
    size = rng.uniform(0.03, 0.15, (n, 2)) * (H, W)
    yy, xx = np.arange(H)[:, None], np.arange(W)[None, :]
    for t in range(T):
        shift = int(t * W * 0.005)
        g = stuff[:H, shift:shift + W][:, :W] * 1000
        if g.shape != (H, W):
            g = np.resize(g, (H, W))
        g = g.copy()
        for k in range(n):
            cy, cx = pos[k] + t * vel[k]
            m = ((yy - cy) / size[k, 0])**2 + ((xx - cx) / size[k, 1])**2 < 1
            g[m] = cls[k] * 1000 + k + 1
        g[:H // 20, :W // 10] = void_class * 1000
        gt[t] = g
        p = np.roll(g, 3, axis=1)
        p[p == void_class * 1000] = 0
        switch = (p % 1000 == 1) & (t >= T // 2)
        p[switch] += 50
        p[H // 2:H // 2 + H // 16] = 2000
        pred[t] = p
    return gt, pred


def _segments(ids, crowd_things=False):
    uniq, counts = np.unique(ids, return_counts=True)
    return [dict(id=int(i), category_id=int(i - 1) // 1000,
                 iscrowd=0, area=int(c)) for i, c in zip(uniq, counts)
            if i != 0]


def _vpq_data(rng, T, H, W):
    gt, pred = panoptic_video(rng, T, H, W, things=VIPSEG_THINGS)
    frames = []
    for g, p in zip(gt, pred):
        g = np.where(g == 255000, 0, g + 1).astype(np.int64)
        p = np.where(p == 255000, 0, p + 1).astype(np.int64)
        frames.append((g, p, _segments(g), [
            dict(id=s['id'], category_id=s['category_id'])
            for s in _segments(p)
        ]))
    return frames


def _categories():
    return [
        dict(id=c, isthing=int(c in VIPSEG_THINGS))
        for c in range(VIPSEG_CLASSES)
    ]


def bench_vpq(rng, size):
    from mmvidseg.evaluation.functional.vpq import VPQVideo, vpq_summarize
    windows = (1, 2, 4, 6, 8)
    cats = {c['id']: c for c in _categories()}

    def gen():
        return _vpq_data(rng, *size[1:])

    def ours(video):
        v = VPQVideo(_categories(), windows)
        for f in video:
            v.add_frame(*f)
        return vpq_summarize([v.finish()], _categories(), windows)

    def ref(video):
        return vpq_reference([[({'segments_info': f[2]}, {
            'segments_info': f[3]
        }, f[0], f[1]) for f in video]], cats, windows)

    return gen, ours, ref, ['VPQ', 'VPQ_th', 'VPQ_st']


def _stq_frames(rng, T, H, W):
    gt, pred = panoptic_video(rng, T, H, W, things=VIPSEG_THINGS)
    out = []
    for g, p in zip(gt, pred):
        out.append((((g // 1000) << 16) + g % 1000,
                    ((p // 1000) << 16) + p % 1000))
    return out


def bench_stq(rng, size):
    from mmvidseg.evaluation.functional.stq import STQAccumulator

    def gen():
        return _stq_frames(rng, *size[1:])

    def ours(video):
        acc = STQAccumulator(VIPSEG_CLASSES, VIPSEG_THINGS, 255, 16, 2**24)
        acc.add_video(video)
        return acc.compute()

    def ref(video):
        r = STQReference(VIPSEG_CLASSES, VIPSEG_THINGS, 255, 16, 2**24)
        for yt, yp in video:
            r.update_state(yt, yp)
        return r.result()

    return gen, ours, ref, ['STQ', 'AQ', 'SQ']


def bench_dvpq(rng, size):
    from mmvidseg.evaluation.functional.dvpq import DVPQAccumulator
    windows, lams = (1, 2, 3, 4), (0.5, 0.25, 0.1)

    def gen():
        T, H, W = size[1:]
        gt, pred = panoptic_video(rng, T, H, W, void_class=32)
        depth = (rng.uniform(5, 80, (T, H, W)) * 256).astype(np.uint16)
        noise = rng.uniform(0.8, 1.2, (T, H, W))
        dpred = np.clip(depth * noise, 0, 65535).astype(np.uint16)
        return list(zip(gt, pred, depth, dpred))

    def ours(video):
        acc = DVPQAccumulator(NUM_CLASSES, THINGS, windows, lams)
        acc.add_video(video)
        return acc.compute()

    def ref(video):
        return dvpq_reference([video], windows, lams)

    return gen, ours, ref, ['DVPQ@1@0.5', 'DVPQ@4@0.1']


def _ellipse(H, W, cy, cx, ry, rx):
    """Binary ellipse mask (H, W), computed on its bounding box only."""
    m = np.zeros((H, W), bool)
    y0, y1 = max(int(cy - ry), 0), min(int(cy + ry) + 2, H)
    x0, x1 = max(int(cx - rx), 0), min(int(cx + rx) + 2, W)
    if y0 < y1 and x0 < x1:
        yy = np.arange(y0, y1)[:, None]
        xx = np.arange(x0, x1)[None, :]
        m[y0:y1, x0:x1] = ((yy - cy) / ry)**2 + ((xx - cx) / rx)**2 < 1
    return m


def bench_davis(rng, size):
    from mmvidseg.evaluation.functional.davis import DAVISAccumulator

    def gen():
        # 3 moving, deforming objects (occluding each other in id order);
        # the prediction follows each with a lag, a size error and a
        # jitter of a few pixels, drifts away from object 3 in the second
        # half and misses object 2 in a few frames
        T, H, W = size[1:]
        gt = np.zeros((T, H, W), np.uint8)
        pred = np.zeros((T, H, W), np.uint8)
        for k in range(1, 4):
            c = rng.uniform(0.2, 0.8, 2) * (H, W)
            v = rng.normal(0, 0.005, 2) * (H, W)
            r = rng.uniform(0.05, 0.2, 2) * (H, W)
            scale = rng.uniform(0.9, 1.1, 2)
            for t in range(T):
                wobble = 1 + 0.1 * np.sin(t / 3 + k)
                cy, cx = c + t * v
                gt[t][_ellipse(H, W, cy, cx, r[0] * wobble, r[1])] = k
                if k == 2 and t % 7 == 3:
                    continue
                drift = 0.3 * max(t - T // 2, 0) if k == 3 else 0
                py, px = c + (t - 1) * v + rng.normal(0, 2, 2) + drift
                pred[t][_ellipse(H, W, py, px, r[0] * wobble * scale[0],
                                 r[1] * scale[1])] = k
        return gt, pred

    def ours(video):
        acc = DAVISAccumulator()
        acc.add_video(zip(*video))
        return acc.compute()

    def ref(video):
        return davis_reference([video])

    return gen, ours, ref, ['J&F', 'J-Mean', 'F-Mean']


#: YouTube-VIS 2019 has 40 categories.
YTVIS_CLASSES = 40
#: Predictions per video (what VIS methods submit).
YTVIS_PREDS = 10


def bench_ytvis(rng, size):
    """A YouTube-VIS-like *dataset* (AP is dataset-wide, so both sides
    score all videos at once): per video 1-3 ground-truth tracks of 40
    categories, visible in a sub-range of frames, and 10 scored predicted
    tracks (perturbed copies of the objects, some with a wrong category,
    and false positives)."""
    from pycocotools import mask as mu

    from mmvidseg.evaluation.functional.ytvis import ytvis_evaluate
    counter = [0]

    def rle(m):
        r = mu.encode(np.asfortranarray(m[..., None].astype(np.uint8)))[0]
        r['counts'] = r['counts'].decode()
        return r

    def track(T, H, W, c, v, r, first, last, jitter=0.0):
        segs, areas = [], []
        for t in range(T):
            if t < first or t > last:
                segs.append(None)
                areas.append(None)
                continue
            cy, cx = c + t * v + rng.normal(0, jitter, 2)
            m = _ellipse(H, W, cy, cx, r[0], r[1])
            if not m.any():
                segs.append(None)
                areas.append(None)
                continue
            segs.append(rle(m))
            areas.append(int(m.sum()))
        return segs, areas

    def gen():
        T, H, W = size[1:]
        counter[0] += 1
        vid = counter[0]
        video = dict(id=vid, height=H, width=W, length=T)
        anns, res, objects = [], [], []
        for _ in range(int(rng.integers(1, 4))):
            cat = int(rng.integers(1, YTVIS_CLASSES + 1))
            c = rng.uniform(0.25, 0.75, 2) * (H, W)
            v = rng.normal(0, 0.01, 2) * (H, W)
            r = rng.uniform(0.05, 0.3, 2) * (H, W)
            first = int(rng.integers(0, max(T // 3, 1)))
            last = int(rng.integers(max(2 * T // 3, first), T))
            segs, areas = track(T, H, W, c, v, r, first, last)
            anns.append(dict(id=vid * 100 + len(anns) + 1, video_id=vid,
                             category_id=cat, iscrowd=0, segmentations=segs,
                             areas=areas))
            objects.append((cat, c, v, r, first, last))
        for n in range(YTVIS_PREDS):
            if n < 2 * len(objects):
                cat, c, v, r, first, last = objects[n % len(objects)]
                if rng.random() < 0.3:
                    cat = int(rng.integers(1, YTVIS_CLASSES + 1))
                r = r * rng.uniform(0.8, 1.2, 2)
                c = c + rng.normal(0, 0.03, 2) * (H, W)
                score = rng.uniform(0.3, 1.0)
                segs, _ = track(T, H, W, c, v, r, max(first - 1, 0),
                                min(last + 1, T - 1), jitter=2.0)
            else:
                cat = int(rng.integers(1, YTVIS_CLASSES + 1))
                c = rng.uniform(0.2, 0.8, 2) * (H, W)
                v = rng.normal(0, 0.01, 2) * (H, W)
                r = rng.uniform(0.03, 0.2, 2) * (H, W)
                score = rng.uniform(0.0, 0.6)
                segs, _ = track(T, H, W, c, v, r, 0, T - 1)
            res.append(dict(video_id=vid, category_id=cat, score=score,
                            segmentations=segs))
        return video, anns, res

    def collect(videos):
        gt_json = dict(
            videos=[v for v, _, _ in videos],
            annotations=[a for _, anns, _ in videos for a in anns],
            categories=[dict(id=c, name=str(c))
                        for c in range(1, YTVIS_CLASSES + 1)])
        return gt_json, [r for _, _, res in videos for r in res]

    def ours(data):
        return ytvis_evaluate(*data)

    def ref(data):
        return ytvis_reference(*data)

    return gen, ours, ref, ['AP', 'AP50', 'AP75', 'AR1', 'AR10'], collect


def bench_vid(rng, size):
    from mmvidseg.evaluation.functional.vid import VIDAccumulator

    def gen():
        T, H, W = size[1:]
        frames = []
        for _ in range(T):
            xy = rng.uniform(0, 1, (5, 2)) * (W, H)
            wh = rng.uniform(20, 300, (5, 2))
            gt = np.concatenate([xy, xy + wh], 1).astype(np.float32)
            gl = rng.integers(1, 31, 5)
            jitter = rng.normal(0, 10, (5, 4))
            extra = np.concatenate([xy[::-1], xy[::-1] + wh], 1)
            pb = np.concatenate(
                [gt + jitter, extra] +
                [np.concatenate([rng.uniform(0, 1, (20, 2)) * (W, H)] * 2, 1)
                 + [0, 0, 50, 50]]).astype(np.float32)
            pl = np.concatenate([gl, gl[::-1], rng.integers(1, 31, 20)])
            ps = rng.random(len(pb)).astype(np.float32)
            frames.append((pb, pl, ps, gt, gl))
        return frames

    def ours(video):
        acc = VIDAccumulator()
        for f in video:
            acc.add_frame(*f)
        return acc.compute()

    def ref(video):
        return vid_reference(video)

    return gen, ours, ref, ['mAP50']


BENCHES: Dict[str, Callable] = {
    'vpq': bench_vpq,
    'stq': bench_stq,
    'dvpq': bench_dvpq,
    'davis': bench_davis,
    'ytvis': bench_ytvis,
    'vid': bench_vid,
}


def _best_time(fn, arg, repeats: int) -> tuple:
    """The shortest time of ``repeats`` calls of ``fn(arg)``, and the
    result."""
    best = float('inf')
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn(arg)
        best = min(best, time.perf_counter() - t0)
    return best, out


def _peak(fn, arg):
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    out = fn(arg)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return out, peak / 2**20


def run(name: str, small: bool, reference: bool, seed: int = 0,
        size=None) -> dict:
    """Benchmark one metric; returns the printed numbers.

    Per-video metrics are timed video by video. A bench that also returns
    a ``collect`` function is dataset-level (YouTube-VIS AP): its videos
    are generated first, gathered by ``collect`` (untimed), then each side
    scores the whole dataset, best of 3 calls.
    """
    size = tuple(size) if size else SIZES[name][1 if small else 0]
    rng = np.random.default_rng(seed)
    gen, ours, ref, keys, *collect = BENCHES[name](rng, size)
    t_ours = t_ref = 0.0
    frames = 0
    diff = None
    mem_ours = mem_ref = None
    if collect:
        units = [collect[0]([gen() for _ in range(size[0])])]
    else:
        units = (gen() for _ in range(size[0]))
    # a dataset-level score is one short call: best of 3 on both sides
    repeats = 3 if collect else 1
    for v, video in enumerate(units):
        frames += size[1] * (size[0] if collect else 1)
        t, res = _best_time(ours, video, repeats)
        t_ours += t
        if reference:
            t, res_ref = _best_time(ref, video, repeats)
            t_ref += t
        if v == 0:
            _, mem_ours = _peak(ours, video)
            if reference:
                _, mem_ref = _peak(ref, video)
                diffs = [
                    abs(float(res[k]) - float(res_ref[k])) for k in keys
                    if not (np.isnan(res[k]) and np.isnan(res_ref[k]))
                ]
                diff = max(diffs) if diffs else 0.0
    out = dict(metric=name, size='x'.join(map(str, size)), frames=frames,
               fps_ours=frames / t_ours, peak_mb_ours=mem_ours)
    if reference:
        out.update(fps_ref=frames / t_ref, ratio=t_ref / t_ours,
                   peak_mb_ref=mem_ref, max_abs_diff=diff)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--small', action='store_true',
                        help='small sizes, for a quick run')
    parser.add_argument('--metrics', nargs='+', default=list(BENCHES),
                        choices=list(BENCHES))
    parser.add_argument('--no-reference', action='store_true',
                        help='time only the vectorised implementation')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--size', type=int, nargs=4,
                        metavar=('VIDEOS', 'FRAMES', 'H', 'W'),
                        help='override the sizes of every metric')
    args = parser.parse_args(argv)
    print(f'{"metric":7s} {"videos x frames x H x W":>24s} {"ours fps":>10s} '
          f'{"ref fps":>9s} {"ratio":>7s} {"ours MB":>8s} {"ref MB":>8s} '
          f'{"max |diff|":>10s}')
    rows = []
    for name in args.metrics:
        r = run(name, args.small, not args.no_reference, args.seed,
                args.size)
        rows.append(r)
        print(f'{name:7s} {r["size"]:>24s} {r["fps_ours"]:10.2f} '
              f'{r.get("fps_ref", float("nan")):9.2f} '
              f'{r.get("ratio", float("nan")):6.1f}x '
              f'{r["peak_mb_ours"]:8.1f} '
              f'{r.get("peak_mb_ref") or float("nan"):8.1f} '
              f'{r.get("max_abs_diff") if r.get("max_abs_diff") is not None else float("nan"):10.2e}',  # noqa: E501
              flush=True)
    return rows


if __name__ == '__main__':
    main()
