# Copyright (c) OpenMMLab. All rights reserved.
"""Time the metrics on generated data of realistic size.

Usage::

    python tools/analysis_tools/benchmark_metrics.py [--small]
        [--metrics vpq stq dvpq davis ytvis vid] [--no-reference]

For each metric, videos are generated one at a time (so the data never
has to fit in memory), then scored by the vectorised implementation in
:mod:`mmvidseg.evaluation.functional` and by an "official-style" reference
from :mod:`mmvidseg.testing.reference_evaluators`: a straightforward
per-frame, per-segment loop version of the official evaluator's algorithm
(Python dicts, one ``np.unique`` per frame and per window, loops over
segments), written from the published algorithms, not copied. Both see
the same in-memory arrays (PNG decoding is not timed for either). Printed
per metric: frames/s of each, their ratio, the peak memory of each on one
video (``tracemalloc``: numpy and Python allocations beyond the input
arrays) and the largest difference between their scores on the first
video.

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
same data). The tests cross-check the implementations against the same
references on random input.
"""
import argparse
import time
import tracemalloc
from typing import Callable, Dict

import numpy as np

from mmvidseg.testing.reference_evaluators import (STQReference,
                                                   davis_reference,
                                                   dvpq_reference,
                                                   vid_reference,
                                                   vpq_reference,
                                                   ytvis_reference)

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
