# Copyright (c) OpenMMLab. All rights reserved.
"""YouTube-VIS AP: hand-computed cases pinning ytvoseval's conventions."""
import numpy as np
import pytest
from pycocotools import mask as mask_utils

from mmvidseg.evaluation.functional.ytvis import (YTVISVideo,
                                                  ytvis_evaluate,
                                                  ytvis_summarize)

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
