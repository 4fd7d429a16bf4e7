# Copyright (c) OpenMMLab. All rights reserved.
"""VPQ: hand-computed cases pinning the official evaluator's quirks."""
import math

import numpy as np
import pytest

from mmvidseg.evaluation.functional.vpq import (VPQAccumulator, VPQVideo,
                                                pair_table, rgb2id,
                                                vpq_summarize)
from mmvidseg.testing import vpq_reference

CAR, ROAD = 1, 2
CATS = [dict(id=CAR, isthing=1), dict(id=ROAD, isthing=0)]


def gseg(sid, cat, area, crowd=0):
    return dict(id=sid, category_id=cat, iscrowd=crowd, area=area)


def pseg(sid, cat):
    return dict(id=sid, category_id=cat)


def frame(gt, gsegs, pred, psegs):
    return np.array([gt]), np.array([pred]), gsegs, psegs


def score(videos, windows, cats=CATS):
    acc = VPQAccumulator(cats, windows)
    for frames in videos:
        acc.add_video(frames)
    return acc.compute()


def two_frame_video():
    # frame 0: the car prediction covers 2 void pixels; they leave the union
    f0 = frame([0, 0, 5, 5, 5, 9, 9, 9],
               [gseg(5, CAR, 3), gseg(9, ROAD, 3)],
               [7, 7, 7, 7, 7, 8, 8, 8], [pseg(7, CAR), pseg(8, ROAD)])
    # frame 1: the car is split in two halves, IoU 0.5 each: no match
    f1 = frame([5, 5, 5, 5, 9, 9, 9, 9],
               [gseg(5, CAR, 4), gseg(9, ROAD, 4)],
               [7, 7, 11, 11, 8, 8, 8, 8],
               [pseg(7, CAR), pseg(11, CAR), pseg(8, ROAD)])
    return [f0, f1]


def test_void_union_and_window_averaging():
    res = score([two_frame_video()], (1, 2))
    # k = 1: car TP (IoU 3/(5+3-3-2) = 1) in frame 0; frame 1: IoU 2/4 is
    # not > 0.5, so FN 1 + FP 2 -> PQ = 1 / (1 + 1 + 0.5) = 0.4; road 1.
    assert res['VPQ_th@1'] == pytest.approx(40.0, abs=1e-9)
    assert res['VPQ@1'] == pytest.approx(70.0, abs=1e-9)
    # k = 2: car tube 5 vs 7: inter 5, union 7 + 7 - 5 - 2 = 7 -> 5/7;
    # track 11 is a FP -> PQ = (5/7) / 1.5 = 10/21; road 1.
    assert res['VPQ_th@2'] == pytest.approx(100 * 10 / 21, abs=1e-9)
    assert res['VPQ@2'] == pytest.approx(50 * (10 / 21 + 1), abs=1e-9)
    assert res['VPQ_st'] == pytest.approx(100.0, abs=1e-9)
    assert res['VPQ'] == pytest.approx((70 + 50 * (10 / 21 + 1)) / 2,
                                       abs=1e-9)
    assert res['VPQ_th'] == pytest.approx((40 + 100 * 10 / 21) / 2,
                                          abs=1e-9)


def test_crowd_last_segment_of_category_counts():
    gt = [3, 3, 3, 3, 4, 4, 9, 9, 9, 9]
    pred = [7, 7, 7, 7, 8, 8, 8, 8, 8, 8]
    psegs = [pseg(7, CAR), pseg(8, ROAD)]
    # two crowd car segments; the dict overwrite keeps the last listed (4),
    # so car 7 (entirely on crowd 3) is a false positive, and crowd 3 is
    # neither matched (although IoU = 1) nor a false negative.
    gsegs = [gseg(3, CAR, 4, 1), gseg(4, CAR, 2, 1), gseg(9, ROAD, 4)]
    res = score([[frame(gt, gsegs, pred, psegs)]], (1, ))
    road_pq = 4 / 6  # inter 4, union 6 + 4 - 4
    assert res['VPQ@1'] == pytest.approx(100 * road_pq / 2, abs=1e-9)
    assert res['VPQ_th@1'] == pytest.approx(0.0, abs=1e-12)
    # listed the other way round, crowd 3 counts and 7 is ignored: the car
    # class has no TP/FP/FN and drops out of the mean
    gsegs = [gseg(4, CAR, 2, 1), gseg(3, CAR, 4, 1), gseg(9, ROAD, 4)]
    res = score([[frame(gt, gsegs, pred, psegs)]], (1, ))
    assert res['VPQ@1'] == pytest.approx(100 * road_pq, abs=1e-9)
    assert math.isnan(res['VPQ_th@1'])


def test_prediction_mostly_on_void_is_not_a_false_positive():
    gt = [0, 0, 0, 9, 9, 9]
    segs = [gseg(9, ROAD, 3)]
    # 7 lies 3/4 on void -> ignored; 6 lies 1/2 on void -> FP (not > 0.5)
    res = score([[
        frame(gt, segs, [7, 7, 7, 8, 8, 7], [pseg(7, CAR), pseg(8, ROAD)])
    ]], (1, ))
    assert math.isnan(res['VPQ_th'])
    gt = [0, 9, 9, 9, 9, 9]
    segs = [gseg(9, ROAD, 5)]
    res = score([[
        frame(gt, segs, [6, 6, 8, 8, 8, 8], [pseg(6, CAR), pseg(8, ROAD)])
    ]], (1, ))
    assert res['VPQ_th'] == pytest.approx(0.0, abs=1e-12)


def test_gt_area_comes_from_json():
    # PNG has 4 pixels but the JSON says 6: union 4 + 6 - 4 = 6
    res = score([[frame([5, 5, 5, 5], [gseg(5, CAR, 6)], [7, 7, 7, 7],
                        [pseg(7, CAR)])]], (1, ))
    assert res['VPQ'] == pytest.approx(100 * 4 / 6, abs=1e-9)
    # duplicated ids within one frame add up their areas (3 + 3)
    res = score([[frame([5, 5, 5, 5], [gseg(5, CAR, 3), gseg(5, CAR, 3)],
                        [7, 7, 7, 7], [pseg(7, CAR)])]], (1, ))
    assert res['VPQ'] == pytest.approx(100 * 4 / 6, abs=1e-9)


def test_windows_longer_than_video_and_empty_subsets():
    one = [frame([5, 5], [gseg(5, CAR, 2)], [7, 7], [pseg(7, CAR)])]
    two = [
        frame([5, 5], [gseg(5, CAR, 2)], [7, 7], [pseg(7, CAR)]),
        frame([5, 5], [gseg(5, CAR, 2)], [8, 8], [pseg(8, CAR)]),
    ]
    res = score([one, two], (1, 2))
    assert res['VPQ@1'] == pytest.approx(100.0)
    # only the 2-frame video has a 2-frame window: the track switch halves
    # the tube IoU (2/4 not > 0.5): FN 1, FP 2 -> PQ 0
    assert res['VPQ@2'] == pytest.approx(0.0)
    assert res['VPQ'] == pytest.approx(50.0)
    assert math.isnan(res['VPQ_st']) and math.isnan(res['VPQ_st@2'])
    # a window longer than every video: no class counts -> NaN
    res = score([one], (3, ))
    assert math.isnan(res['VPQ'])


def test_streaming_matches_accumulator_and_split():
    rng = np.random.default_rng(0)
    videos = []
    for _ in range(3):
        frames = []
        for _ in range(4):
            gt = rng.integers(0, 4, (6, 7))
            pred = rng.integers(0, 4, (6, 7))
            gsegs = [gseg(i, CAR if i % 2 else ROAD, int((gt == i).sum()))
                     for i in range(1, 4) if (gt == i).any()]
            psegs = [pseg(i, CAR if i % 2 else ROAD) for i in range(1, 4)
                     if (pred == i).any()]
            frames.append((gt, pred, gsegs, psegs))
        videos.append(frames)
    full = score(videos, (1, 2, 4))
    stats = []
    for frames in videos[::-1]:  # any order of videos, any split
        video = VPQVideo(CATS, (1, 2, 4))
        for f in frames:
            video.add_frame(*f)
        stats.append(video.finish())
    split = vpq_summarize(stats, CATS, (1, 2, 4))
    for k in ('VPQ', 'VPQ_th', 'VPQ_st', 'VPQ@1', 'VPQ@2', 'VPQ@4'):
        assert split[k] == pytest.approx(full[k], abs=1e-12)


def test_bad_input_errors():
    video = VPQVideo(CATS, (1, ), name='v')
    with pytest.raises(ValueError, match='in the PNG but not in its JSON'):
        video.add_frame(np.array([[5, 6]]), np.array([[7, 7]]),
                        [gseg(5, CAR, 1)], [pseg(7, CAR)], where='f.png')
    with pytest.raises(ValueError, match='f.png.*predicted segment id 8'):
        video.add_frame(np.array([[5, 5]]), np.array([[7, 8]]),
                        [gseg(5, CAR, 2)], [pseg(7, CAR)], where='f.png')
    with pytest.raises(ValueError, match='in the JSON segments_info but '
                       'not in the PNG'):
        video.add_frame(np.array([[5, 5]]), np.array([[7, 7]]),
                        [gseg(5, CAR, 2)],
                        [pseg(7, CAR), pseg(8, CAR)])
    with pytest.raises(ValueError, match='category 42'):
        video.add_frame(np.array([[5, 5]]), np.array([[7, 7]]),
                        [gseg(5, CAR, 2)], [pseg(7, 42)])
    with pytest.raises(ValueError, match='shape'):
        video.add_frame(np.array([[5, 5]]), np.array([[7, 7, 7]]),
                        [gseg(5, CAR, 2)], [pseg(7, CAR)])
    with pytest.raises(ValueError, match='IoU above 1'):
        VPQVideo(CATS, (1, )).add_frame(np.array([[5, 5]]),
                                        np.array([[7, 7]]),
                                        [gseg(5, CAR, 1)], [pseg(7, CAR)])
    with pytest.raises(ValueError, match='changes'):
        v = VPQVideo(CATS, (1, ))
        v.add_frame(np.array([[5]]), np.array([[7]]), [gseg(5, CAR, 1)],
                    [pseg(7, CAR)])
        v.add_frame(np.array([[5]]), np.array([[7]]), [gseg(5, ROAD, 1)],
                    [pseg(7, CAR)])
    with pytest.raises(ValueError, match='no frames'):
        VPQVideo(CATS, (1, ), name='empty').finish()


def test_helpers():
    rgb = np.array([[[1, 2, 3], [0, 0, 0]]], np.uint8)
    assert rgb2id(rgb).tolist() == [[1 + 2 * 256 + 3 * 65536, 0]]
    g, p, c = pair_table(np.array([[1, 1, 2]]), np.array([[3, 3, 3]]))
    assert g.tolist() == [1, 2] and p.tolist() == [3, 3]
    assert c.tolist() == [2, 1]


def test_matches_official_style_reference():
    rng = np.random.default_rng(1)
    cats = {c: {'isthing': int(c < 2)} for c in range(4)}
    for _ in range(10):
        videos = []
        for _ in range(3):
            frames = []
            for _ in range(int(rng.integers(1, 6))):
                blocks = [rng.integers(0, 7, (3, 4)) for _ in range(2)]
                gt, pred = [np.kron(b, np.ones((3, 3), int)) for b in blocks]
                gt = np.where(gt == 0, 0, gt * 11 + 3)
                pred = np.where(pred == 0, 0, pred * 13 + 5)
                gsegs = [gseg(int(i), int(i) % 4, int((gt == i).sum()),
                              int(i % 4 < 2 and i % 3 == 0))
                         for i in np.unique(gt) if i]
                psegs = [pseg(int(i), int(i) % 4) for i in np.unique(pred)
                         if i]
                frames.append(({'segments_info': gsegs},
                               {'segments_info': psegs}, gt, pred))
            videos.append(frames)
        ref = vpq_reference(videos, cats, (1, 2, 3))
        ours = score([[(f[2], f[3], f[0]['segments_info'],
                        f[1]['segments_info']) for f in v] for v in videos],
                     (1, 2, 3),
                     [dict(id=c, isthing=i['isthing'])
                      for c, i in cats.items()])
        for k, v in ref.items():
            if math.isnan(v):
                assert math.isnan(ours[k])
            else:
                assert ours[k] == pytest.approx(v, abs=1e-9)
