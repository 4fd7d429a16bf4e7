# Copyright (c) OpenMMLab. All rights reserved.
"""YouTube-VIS AP: hand-computed cases pinning ytvoseval's conventions."""
import numpy as np
import pytest
from pycocotools import mask as mask_utils

from mmvidseg.evaluation.functional.ytvis import (YTVISVideo, ytvis_evaluate,
                                                  ytvis_summarize)
from mmvidseg.testing import ytvis_reference

H = W = 10


def rle(rows=None, cols=slice(None)):
    """Compressed RLE (counts as str, as in a results JSON) of a box."""
    if rows is None:
        return None
    m = np.zeros((H, W, 1), np.uint8, order='F')
    m[rows, cols] = 1
    r = mask_utils.encode(m)[0]
    r['counts'] = r['counts'].decode()
    return r


def gt_json(annotations, length=3, categories=(1, 2)):
    return dict(
        videos=[dict(id=1, width=W, height=H, length=length)],
        categories=[dict(id=c, name=str(c)) for c in categories],
        annotations=annotations)


def ann(aid, segs, areas, cat=1, crowd=0, vid=1):
    return dict(id=aid, video_id=vid, category_id=cat, iscrowd=crowd,
                segmentations=segs, areas=areas)


@pytest.fixture(params=['kernel', 'pycocotools'])
def rle_path(request, monkeypatch):
    """Run a JSON-path test with the ``rle`` kernel and with the
    pycocotools fallback (what a machine without the kernel uses)."""
    from mmvidseg.evaluation.functional import ytvis
    if request.param == 'kernel':
        if ytvis.load_ext('rle') is None:
            pytest.skip('the rle kernel is not built')
    else:
        monkeypatch.setattr(ytvis, 'load_ext', lambda op: None)
    return request.param


@pytest.mark.usefixtures('rle_path')
def test_missing_frame_adds_to_union_only():
    # gt: 10 px in frames 0, 1 and absent in frame 2; the prediction also
    # has 10 px in frame 2 -> IoU = 20 / 30
    gt = gt_json([ann(5, [rle(slice(0, 1)), rle(slice(0, 1)), None],
                      [10, 10, None])])
    res = [dict(video_id=1, category_id=1, score=0.9,
                segmentations=[rle(slice(0, 1))] * 3)]
    out = ytvis_evaluate(gt, res)
    # TP for IoU thresholds .50 .55 .60 .65 (4 of 10); COCO's precision is
    # tp / (tp + fp + eps), hence approx
    assert out['AP'] == pytest.approx(0.4, abs=1e-12)
    assert out['AP50'] == pytest.approx(1.0, abs=1e-12)
    assert out['AP75'] == pytest.approx(0.0, abs=1e-12)
    assert out['APs'] == pytest.approx(0.4, abs=1e-12)
    assert out['APm'] == -1 and out['APl'] == -1
    assert out['AR1'] == pytest.approx(0.4, abs=1e-12)
    assert out['AR10'] == pytest.approx(0.4, abs=1e-12)


@pytest.mark.usefixtures('rle_path')
def test_area_bins_use_the_average_over_nonempty_frames():
    # the JSON areas, not the masks, decide the ground-truth bin:
    # mean of [20000, 14000] (0 and None skipped) = 17000 -> medium
    segs = [rle(slice(0, 2))] * 3
    gt = gt_json([ann(5, segs, [20000, 0, 14000])])
    res = [dict(video_id=1, category_id=1, score=0.5, segmentations=segs)]
    out = ytvis_evaluate(gt, res)
    assert out['AP'] == pytest.approx(1.0, abs=1e-12)
    assert out['APm'] == pytest.approx(1.0, abs=1e-12)
    assert out['APs'] == -1 and out['APl'] == -1
    # had the 0 counted, the mean would be 11333 (small)
    gt = gt_json([ann(5, segs, [20000, None, 12000])])  # 16000: small
    out = ytvis_evaluate(gt, res)
    assert out['APs'] == pytest.approx(1.0, abs=1e-12)
    assert out['APm'] == -1


@pytest.mark.usefixtures('rle_path')
def test_crowd_is_ignored_and_max_dets():
    segs = [rle(slice(0, 2))] * 3
    gt = gt_json([ann(5, segs, [20] * 3, crowd=1)])
    res = [dict(video_id=1, category_id=1, score=0.5, segmentations=segs)]
    out = ytvis_evaluate(gt, res)
    assert out['AP'] == -1  # no non-ignored ground truth at all
    # two tracks, two predictions: only the best scored one counts at AR1
    a = [rle(slice(0, 2))] * 3
    b = [rle(slice(5, 8))] * 3
    gt = gt_json([ann(5, a, [20] * 3), ann(6, b, [30] * 3)])
    res = [
        dict(video_id=1, category_id=1, score=0.9, segmentations=a),
        dict(video_id=1, category_id=1, score=0.8, segmentations=b),
    ]
    out = ytvis_evaluate(gt, res)
    assert out['AR1'] == pytest.approx(0.5, abs=1e-12)
    assert out['AR10'] == pytest.approx(1.0, abs=1e-12)
    assert out['AP'] == pytest.approx(1.0, abs=1e-12)
    # a wrong-category prediction is a false positive of its own class and
    # leaves the ground-truth category unmatched
    res[1]['category_id'] = 2
    out = ytvis_evaluate(gt, res)
    assert out['AR10'] == pytest.approx(0.5, abs=1e-12)


@pytest.mark.usefixtures('rle_path')
def test_bad_input():
    segs = [rle(slice(0, 2))] * 3
    gt = gt_json([ann(5, segs, [20] * 3)])
    good = dict(video_id=1, category_id=1, score=0.5, segmentations=segs)
    with pytest.raises(ValueError, match='r.json: a result for video 1 has 2 '
                       'frames, the video has 3'):
        ytvis_evaluate(gt, [dict(good, segmentations=segs[:2])], 'r.json')
    with pytest.raises(ValueError, match='category 9, beyond'):
        ytvis_evaluate(gt, [dict(good, category_id=9)], 'r.json')
    with pytest.raises(ValueError, match='video 7, which is not'):
        ytvis_evaluate(gt, [dict(good, video_id=7)], 'r.json')
    with pytest.raises(ValueError, match='video 1 of the ground truth is '
                       'empty'):
        ytvis_evaluate(gt_json([], length=0), [good], 'r.json')
    with pytest.raises(ValueError, match='different sizes'):
        m = mask_utils.encode(np.ones((H + 1, W, 1), np.uint8, order='F'))
        ytvis_evaluate(gt, [dict(good, segmentations=[m[0]] * 3)], 'r.json')


def test_video_split_and_merge_is_identical():
    rng = np.random.default_rng(0)
    stats = []
    for vid in range(4):
        video = YTVISVideo(vid)
        for k in range(3):
            video.add_gt_track(('g', k), vid * 10 + k + 1, 1 + k % 2)
            video.add_dt_track(('d', k), 1 + k % 2, float(rng.random()))
        for t in range(3):
            g, d = {}, {}
            for k in range(3):
                y = int(rng.integers(0, 8))
                g[('g', k)] = rle(slice(y, y + 2))
                y = int(rng.integers(0, 8))
                d[('d', k)] = rle(slice(y, y + 2))
            video.add_frame(g, d)
        stats.append(video.finish())
    full = ytvis_summarize(stats, [1, 2])
    merged = ytvis_summarize(stats[1::2] + stats[0::2], [1, 2])
    assert merged == full


# ----------------------------------------------------------------------
# The vectorised evaluate/accumulate/summarize against pycocotools' own
# ``COCOeval.evaluateImg``/``accumulate``/``summarize`` fed with the same
# IoUs (what ``ytvoseval`` runs), on many random cases.
def cocoeval_reference(stats, cat_ids, video_ids=None):
    import contextlib
    import io
    from collections import defaultdict

    from pycocotools.cocoeval import COCOeval

    from mmvidseg.evaluation.functional.ytvis import YTVIS_AREA_RANGES
    by_video = {s.video_id: s for s in stats}
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
        for c in p.catIds:
            g_idx = np.flatnonzero(s.gt_cats == c)
            d_idx = np.flatnonzero(s.dt_cats == c)
            if g_idx.size == 0 and d_idx.size == 0:
                continue
            order = np.argsort(-s.dt_scores[d_idx], kind='mergesort')
            d_idx = d_idx[order][:max_det]
            E._gts[vid, c] = [
                dict(id=int(s.gt_ids[j]), area=s.gt_area[j],
                     iscrowd=int(s.gt_crowd[j]), ignore=int(s.gt_crowd[j]))
                for j in g_idx
            ]
            E._dts[vid, c] = [
                dict(id=n + 1, score=float(s.dt_scores[i]),
                     area=s.dt_area[i]) for n, i in enumerate(d_idx)
            ]
            E.ious[vid, c] = s.iou[np.ix_(d_idx, g_idx)]
    with contextlib.redirect_stdout(io.StringIO()):
        E.evalImgs = [
            E.evaluateImg(vid, c, a, max_det) for c in p.catIds
            for a in p.areaRng for vid in p.imgIds
        ]
        E._paramsEval = E.params
        E.accumulate()
        E.summarize()
    names = ['AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'AR1', 'AR10',
             'AR100', 'ARs', 'ARm', 'ARl']
    return {n: float(v) for n, v in zip(names, E.stats)}


def random_stats(rng, vid, cats, max_gt=6, max_dt=12):
    """Random per-video statistics with the corner cases COCO cares about:
    tied scores and IoUs, IoUs on the thresholds, areas on the bin bounds,
    crowds, ground-truth id 0, categories outside the list."""
    from mmvidseg.evaluation.functional.ytvis import YTVISVideoStats
    G = int(rng.integers(0, max_gt + 1))
    D = int(rng.integers(0, max_dt + 1))
    special_areas = np.array([0, 1, 128.0**2, 128.0**2 + 0.5, 256.0**2,
                              256.0**2 - 0.5, 1e5**2, 300.0**2])

    def areas(n):
        a = rng.uniform(0, 400, n)**2
        pick = rng.random(n) < 0.4
        a[pick] = rng.choice(special_areas, int(pick.sum()))
        return a

    special_ious = np.array([0, 0.5, 0.55, 0.75, 0.95, 1 - 1e-10, 1.0,
                             0.5 - 1e-12, 0.7, 0.7])
    iou = rng.uniform(0, 1, (D, G))
    pick = rng.random((D, G)) < 0.5
    iou[pick] = rng.choice(special_ious, int(pick.sum()))
    iou[rng.random((D, G)) < 0.3] = 0
    scores = rng.choice([0.1, 0.5, 0.5, 0.9], D) if rng.random() < 0.5 \
        else rng.random(D)
    ext = list(cats) + [max(cats) + 1]  # one category outside the list
    return YTVISVideoStats(
        video_id=vid,
        gt_ids=rng.integers(0, 4, G) if rng.random() < 0.2 else
        np.arange(1, G + 1) + 100 * int(rng.integers(0, 1000)),
        gt_cats=rng.choice(ext, G),
        gt_crowd=(rng.random(G) < 0.2).astype(np.int64),
        gt_area=areas(G),
        dt_cats=rng.choice(ext, D),
        dt_scores=scores.astype(np.float64),
        dt_area=areas(D),
        iou=iou)


@pytest.mark.parametrize('seed', range(4))
def test_vectorised_matches_cocoeval_on_random_cases(seed):
    rng = np.random.default_rng(seed)
    for case in range(60):
        cats = sorted(rng.choice(np.arange(1, 9), int(rng.integers(1, 5)),
                                 replace=False).tolist())
        n_vid = int(rng.integers(1, 7))
        vids = rng.choice(np.arange(100), n_vid, replace=False).tolist()
        stats = [random_stats(rng, v, cats) for v in vids]
        video_ids = None
        if case % 4 == 1:
            # evaluate a subset plus a video without statistics
            video_ids = vids[:max(1, n_vid - 1)] + [1000]
        ref = cocoeval_reference(stats, cats, video_ids)
        ours = ytvis_summarize(stats, cats, video_ids)
        assert ours.keys() == ref.keys()
        for k in ref:
            assert ours[k] == pytest.approx(ref[k], abs=1e-12, rel=0), \
                (seed, case, k)


def test_vectorised_matches_cocoeval_beyond_max_dets():
    # more than 100 detections of one category in a video (cut at 100),
    # many ground truths, crowds among them
    rng = np.random.default_rng(7)
    for _ in range(3):
        stats = [random_stats(rng, v, [1, 2], max_gt=30, max_dt=150)
                 for v in range(3)]
        for s in stats:
            s.dt_cats[:] = 1
        ref = cocoeval_reference(stats, [1, 2])
        ours = ytvis_summarize(stats, [1, 2])
        for k in ref:
            assert ours[k] == pytest.approx(ref[k], abs=1e-12, rel=0), k


def test_summarize_edge_cases_match_cocoeval():
    from mmvidseg.evaluation.functional.ytvis import YTVISVideoStats

    def stats(vid, g_cats, d_cats, iou, crowd=None, gt_ids=None):
        G, D = len(g_cats), len(d_cats)
        return YTVISVideoStats(
            vid, np.arange(1, G + 1) if gt_ids is None else
            np.array(gt_ids), np.array(g_cats, np.int64),
            np.zeros(G, np.int64) if crowd is None else np.array(crowd),
            np.full(G, 100.0), np.array(d_cats, np.int64),
            np.linspace(0.9, 0.1, D), np.full(D, 100.0),
            np.array(iou, np.float64).reshape(D, G))

    cases = [
        # no detections at all: recall 0, precision 0
        [stats(1, [1], [], [])],
        # detections only, no ground truth: -1 everywhere
        [stats(1, [], [1, 1], [])],
        # only crowds: -1
        [stats(1, [1], [1], [[0.9]], crowd=[1])],
        # a match to a ground truth with id 0 counts as unmatched
        [stats(1, [1, 1], [1, 1], [[0.9, 0.2], [0.1, 0.8]],
               gt_ids=[0, 5])],
        # tie between two ground truths: the last one wins
        [stats(1, [1, 1], [1, 1], [[0.8, 0.8], [0.8, 0.6]])],
        # empty video list entries
        [stats(1, [], [], []), stats(2, [1], [1], [[1.0]])],
    ]
    for case in cases:
        ref = cocoeval_reference(case, [1, 2])
        assert ytvis_summarize(case, [1, 2]) == ref


def test_accumulate_arrays_equal_cocoeval():
    # the full precision (all maxDets) and recall arrays, bit for bit
    import contextlib
    import io
    from collections import defaultdict

    from pycocotools.cocoeval import COCOeval

    from mmvidseg.evaluation.functional.ytvis import (YTVIS_AREA_RANGES,
                                                      _accumulate, _match)
    rng = np.random.default_rng(5)
    for _ in range(10):
        cats = [1, 2, 3]
        stats = [random_stats(rng, v, cats, max_dt=20) for v in range(5)]
        E = COCOeval(iouType='segm')
        p = E.params
        p.imgIds, p.catIds = list(range(5)), cats
        p.areaRng = [list(r) for r in YTVIS_AREA_RANGES]
        E._gts, E._dts = defaultdict(list), defaultdict(list)
        for s in stats:
            for c in cats:
                g_idx = np.flatnonzero(s.gt_cats == c)
                d_idx = np.flatnonzero(s.dt_cats == c)
                order = np.argsort(-s.dt_scores[d_idx], kind='mergesort')
                d_idx = d_idx[order]
                E._gts[s.video_id, c] = [
                    dict(id=int(s.gt_ids[j]), area=s.gt_area[j],
                         iscrowd=int(s.gt_crowd[j]),
                         ignore=int(s.gt_crowd[j])) for j in g_idx
                ]
                E._dts[s.video_id, c] = [
                    dict(id=n + 1, score=float(s.dt_scores[i]),
                         area=s.dt_area[i]) for n, i in enumerate(d_idx)
                ]
                E.ious[s.video_id, c] = s.iou[np.ix_(d_idx, g_idx)]
        with contextlib.redirect_stdout(io.StringIO()):
            E.evalImgs = [
                E.evaluateImg(v, c, a, 100) for c in cats
                for a in p.areaRng for v in p.imgIds
            ]
            E._paramsEval = E.params
            E.accumulate()
        precision, recall = _accumulate(_match(stats, np.array(cats)), 3,
                                        full=True)
        assert np.array_equal(precision, E.eval['precision'])
        assert np.array_equal(recall, E.eval['recall'])


def test_shift_counts_moves_a_mask_along_a_wide_canvas():
    from mmvidseg.evaluation.functional.ytvis import _shift_counts
    rng = np.random.default_rng(0)
    h, w = 7, 5
    for _ in range(200):
        m = (rng.random((h, w)) < rng.random()).astype(np.uint8)
        r = mask_utils.encode(np.asfortranarray(m[..., None]))[0]
        slot = int(rng.integers(0, 9))
        counts = _shift_counts(r['counts'], slot * h * w)
        wide = mask_utils.decode(dict(size=[h, w * 10], counts=counts))
        # the counts stop at the mask's last column (pycocotools leaves
        # the rest of a decoded buffer unset; area and iou never read it)
        want = np.zeros((h, (slot + 1) * w), np.uint8)
        want[:, slot * w:] = m
        assert (wide[:, :(slot + 1) * w] == want).all()
        assert mask_utils.area(dict(size=[h, w * 10], counts=counts)) == \
            m.sum()
    # varint edge values of the first count
    for first in (0, 1, 15, 16, 31, 32, 511, 512, 2**20):
        m = np.zeros((1, first + 3), np.uint8)
        m[0, first:first + 2] = 1
        r = mask_utils.encode(np.asfortranarray(m.T[..., None]))[0]
        for off in (0, 1, 16, 2**25):
            c = _shift_counts(r['counts'].decode(), off)
            assert mask_utils.area(
                [dict(size=[first + 3 + off, 1], counts=c)])[0] == 2


def random_json(rng, n_videos=4, n_cats=3, T=4, H=12, W=10, p_areas=0.7):
    """A random ground truth/results pair in the official formats, with
    polygons, uncompressed RLE, missing frames, crowds, with and without
    ``areas`` (probability ``p_areas``)."""
    videos, anns, res = [], [], []

    def segm(m, kind):
        if not m.any():
            return None
        if kind == 'poly' and m.sum() > 2:
            ys, xs = np.nonzero(m)
            y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
            return [[float(x0), float(y0), float(x1), float(y0),
                     float(x1), float(y1), float(x0), float(y1)]]
        r = mask_utils.encode(np.asfortranarray(m[..., None]))[0]
        if kind == 'uncompressed':
            flat = m.flatten(order='F')
            edges = np.flatnonzero(np.diff(np.r_[0, flat, 0]))
            runs = np.diff(np.r_[0, edges, flat.size]).tolist()
            return dict(size=[H, W], counts=runs)
        r['counts'] = r['counts'].decode()
        return r

    def track(kind):
        segs = []
        y, x = rng.integers(0, H - 2), rng.integers(0, W - 2)
        for t in range(T):
            if rng.random() < 0.2:
                segs.append(None)
                continue
            m = np.zeros((H, W), np.uint8)
            y = int(np.clip(y + rng.integers(-1, 2), 0, H - 2))
            x = int(np.clip(x + rng.integers(-1, 2), 0, W - 2))
            m[y:y + int(rng.integers(1, 6)), x:x + int(rng.integers(1, 6))] = 1
            segs.append(segm(m, kind))
        return segs

    for v in range(1, n_videos + 1):
        videos.append(dict(id=v, height=H, width=W, length=T))
        for _ in range(int(rng.integers(0, 4))):
            kind = str(rng.choice(['rle', 'poly', 'uncompressed']))
            segs = track(kind)
            a = dict(id=len(anns) + 1, video_id=v,
                     category_id=int(rng.integers(1, n_cats + 1)),
                     iscrowd=int(rng.random() < 0.15), segmentations=segs)
            if rng.random() < p_areas:
                a['areas'] = [
                    None if s is None else
                    float(mask_utils.area(
                        s if isinstance(s, dict) and
                        isinstance(s['counts'], str) else
                        mask_utils.merge(mask_utils.frPyObjects(s, H, W))
                        if isinstance(s, list) else
                        mask_utils.frPyObjects(s, H, W))) for s in segs
                ]
            anns.append(a)
        for _ in range(int(rng.integers(0, 6))):
            res.append(dict(video_id=v,
                            category_id=int(rng.integers(1, n_cats + 1)),
                            score=float(rng.choice([0.3, 0.6, rng.random()])),
                            segmentations=track('rle')))
    if not res:
        res.append(dict(video_id=1, category_id=1, score=0.5,
                        segmentations=track('rle')))
    gt = dict(videos=videos, annotations=anns,
              categories=[dict(id=c) for c in range(1, n_cats + 1)])
    return gt, res


def streaming_evaluate(gt, results):
    """The same evaluation through :class:`YTVISVideo` (one ``iou`` call
    per frame), as the runner metric does."""
    from mmvidseg.evaluation.functional.ytvis import to_rle
    stats = []
    for video in gt['videos']:
        vid, h, w = video['id'], video['height'], video['width']
        state = YTVISVideo(vid)
        g = [a for a in gt['annotations'] if a['video_id'] == vid]
        d = [r for r in results if r['video_id'] == vid]
        for a in g:
            state.add_gt_track(a['id'], a['id'], a['category_id'],
                               a.get('iscrowd', 0), a.get('areas'))
        for n, r in enumerate(d):
            state.add_dt_track(n, r['category_id'], r['score'])
        for t in range(video['length']):
            state.add_frame(
                {a['id']: to_rle(a['segmentations'][t], h, w)
                 for a in g if a['segmentations'][t]},
                {n: to_rle(r['segmentations'][t], h, w)
                 for n, r in enumerate(d) if r['segmentations'][t]})
        stats.append(state.finish())
    return ytvis_summarize(stats, [c['id'] for c in gt['categories']])


def test_json_path_equals_streaming_and_official_style(rle_path):
    rng = np.random.default_rng(1)
    for _ in range(25):
        # ground truth without ``areas`` (the official code needs them):
        # the mask areas are averaged, as the streaming path does
        gt, res = random_json(rng)
        assert ytvis_evaluate(gt, res) == streaming_evaluate(gt, res)
    for _ in range(25):
        gt, res = random_json(rng, p_areas=1)
        ours = ytvis_evaluate(gt, res)
        assert ours == streaming_evaluate(gt, res)
        ref = ytvis_reference(gt, res)
        for k, v in ref.items():
            assert ours[k] == pytest.approx(v, abs=1e-12), k


@pytest.mark.usefixtures('rle_path')
def test_json_path_many_masks_per_video():
    # more than 255 masks in a video (pycocotools' ``area`` fails beyond
    # 255 at once on numpy 2) and more than 100 results of one category
    rng = np.random.default_rng(2)
    gt, res = random_json(rng, n_videos=1, n_cats=1, T=3, H=H, W=W)
    base = dict(video_id=1, category_id=1,
                segmentations=[rle(slice(0, 2)), rle(slice(1, 3)), None])
    gt['annotations'].append(dict(
        id=99, video_id=1, category_id=1, iscrowd=0,
        segmentations=[rle(slice(0, 2)), rle(slice(0, 2)), None]))
    res = [dict(base, score=float(s)) for s in rng.random(130)]
    assert ytvis_evaluate(gt, res) == streaming_evaluate(gt, res)


@pytest.mark.usefixtures('rle_path')
def test_ground_truth_masks_of_different_sizes():
    segs = [rle(slice(0, 2))] * 2
    m = mask_utils.encode(np.ones((H + 1, W, 1), np.uint8, order='F'))[0]
    m['counts'] = m['counts'].decode()
    gt = gt_json([ann(5, segs + [m], [20, 20, 11])])
    res = [dict(video_id=1, category_id=1, score=0.5,
                segmentations=segs + [None])]
    with pytest.raises(ValueError, match='video 1 of the ground truth has '
                       'masks of different sizes'):
        ytvis_evaluate(gt, res, 'r.json')


def test_invalid_rle_names_the_video_and_frame(rle_path):
    if rle_path != 'kernel':
        pytest.skip('only the kernel validates the strings (pycocotools '
                    'reads a malformed RLE without complaint)')
    segs = [rle(slice(0, 2))] * 3
    gt = gt_json([ann(5, segs, [20] * 3)])
    short = mask_utils.encode(np.ones((H - 1, W, 1), np.uint8,
                                      order='F'))[0]['counts'].decode()
    bad = [segs[0], dict(size=[H, W], counts=short), segs[2]]
    with pytest.raises(ValueError, match='r.json: video 1 frame 1: the mask '
                       'is not a valid compressed RLE'):
        ytvis_evaluate(gt, [dict(video_id=1, category_id=1, score=0.5,
                                 segmentations=bad)], 'r.json')
    bad = [segs[0], segs[1], dict(size=[H, W], counts='\x7f')]
    with pytest.raises(ValueError, match='the ground truth: video 1 frame 2'):
        ytvis_evaluate(gt_json([ann(5, bad, [20] * 3)]),
                       [dict(video_id=1, category_id=1, score=0.5,
                             segmentations=segs)], 'r.json')
