# Copyright (c) OpenMMLab. All rights reserved.
"""ImageNet VID mAP: hand-computed cases pinning MEGA's VID devkit."""
import math

import numpy as np
import pytest

from mmvidseg.evaluation.functional.vid import (VIDAccumulator, VIDStats,
                                                coco_bbox_ap, vid_box_iou,
                                                vid_frame, vid_summarize)
from mmvidseg.testing import vid_reference

GT = np.array([[0, 0, 9, 9]], np.float32)


def test_double_plus_one_box_convention():
    pred = np.array([[0, 0, 3.6, 9]], np.float32)
    # x2 + 1 in vid_eval, + 1 again in boxlist_iou: widths 5.6 and 11
    iou = vid_box_iou(pred, GT)[0, 0]
    assert iou == pytest.approx(5.6 * 11 / (11 * 11), rel=1e-6)
    assert iou.dtype == np.float32
    # IoU >= 0.5 is a TP here (0.46 with a single +1, 0.4 with none)
    acc = VIDAccumulator()
    acc.add_frame(pred, [1], [0.9], GT, [1])
    # precision is tp / (tp + fp + eps), as in the devkit
    assert acc.compute()['mAP50'] == pytest.approx(1.0, abs=1e-12)


def test_all_point_ap_and_nan_classes():
    acc = VIDAccumulator()
    far = np.array([[50, 50, 60, 60]], np.float32)
    # class 1: frame 0 has a TP (0.9) and a FP (0.8), frame 1 a TP (0.7)
    acc.add_frame(np.concatenate([GT, far]), [1, 1], [0.9, 0.8], GT, [1])
    acc.add_frame(GT, [1], [0.7], GT, [1])
    # class 2 is only predicted: AP NaN, left out of the mean
    acc.add_frame(far, [2], [0.95], np.zeros((0, 4)), [])
    res = acc.compute()
    # precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1 -> 0.5 * 1 + 0.5 * 2/3
    assert res['AP'][1] == pytest.approx(0.5 + 0.5 * 2 / 3, abs=1e-12)
    assert math.isnan(res['AP'][2]) and math.isnan(res['AP'][0])
    assert res['mAP50'] == pytest.approx(0.5 + 0.5 * 2 / 3, abs=1e-12)


def test_greedy_matching_by_score():
    # two detections on one box: the higher score takes it, the other is
    # a FP; a ground truth without detection is a FN
    acc = VIDAccumulator()
    acc.add_frame(np.concatenate([GT, GT]), [1, 1], [0.3, 0.6], GT, [1])
    acc.add_frame(np.zeros((0, 4)), [], [], GT, [1])
    res = acc.compute()
    # ranked: TP (0.6) then FP (0.3); recall 1/2 -> AP = 0.5
    assert res['mAP50'] == pytest.approx(0.5, abs=1e-12)


def test_video_split_merge_identical():
    rng = np.random.default_rng(0)
    frames = []
    for _ in range(12):
        gt = rng.integers(0, 40, (3, 2)).astype(np.float32)
        gt = np.concatenate([gt, gt + 10], 1)
        pred = gt + rng.normal(0, 2, gt.shape).astype(np.float32)
        frames.append((pred, rng.integers(1, 3, 3),
                       rng.random(3).astype(np.float32), gt,
                       rng.integers(1, 3, 3)))
    full = VIDAccumulator()
    for f in frames:
        full.add_frame(*f)
    parts = [VIDStats(), VIDStats()]
    for i, f in enumerate(frames):
        vid_frame(parts[i // 6], *f)
    merged = VIDStats()
    for p in parts:
        merged.extend(p)
    assert vid_summarize(merged)['mAP50'] == full.compute()['mAP50']


def test_bad_input_and_coco_ap():
    with pytest.raises(ValueError, match='f1: 1 predicted boxes, 2 labels'):
        vid_frame(VIDStats(), GT, [1, 1], [0.5], GT, [1], where='f1')
    gt = dict(
        images=[dict(id=1, width=20, height=20)],
        categories=[dict(id=1, name='car')],
        annotations=[dict(id=1, image_id=1, category_id=1,
                          bbox=[0, 0, 10, 10], iscrowd=False)])
    res = coco_bbox_ap(gt, [dict(image_id=1, category_id=1,
                                 bbox=[0, 0, 10, 10], score=0.9)])
    assert res['cocoAP'] == pytest.approx(1.0, abs=1e-12)
    assert res['cocoAP50'] == pytest.approx(1.0, abs=1e-12)


def test_matches_official_style_reference():
    rng = np.random.default_rng(1)
    for _ in range(10):
        frames = []
        for _ in range(int(rng.integers(1, 15))):
            m = int(rng.integers(0, 5))
            xy = rng.integers(0, 50, (m, 2)).astype(np.float32)
            gt = np.concatenate([xy, xy + rng.integers(1, 30, (m, 2))], 1)
            pred = np.concatenate(
                [gt + rng.normal(0, 3, gt.shape), gt[::-1] + 5]).astype(
                    np.float32)
            scores = np.round(rng.random(len(pred)), 1).astype(np.float32)
            frames.append((pred, rng.integers(1, 4, len(pred)), scores, gt,
                           rng.integers(1, 4, m)))
        ref = vid_reference(frames)
        acc = VIDAccumulator()
        for f in frames:
            acc.add_frame(*f)
        ours = acc.compute()
        if math.isnan(ref['mAP50']):
            assert math.isnan(ours['mAP50'])
        else:
            assert ours['mAP50'] == ref['mAP50']


def test_tied_scores_in_large_frames_follow_the_devkit_order():
    # more than 16 detections of a class in a frame (numpy's argsort is not
    # stable there) with many tied scores and overlapping boxes: which tied
    # detection is matched, and the final ranking, follow the devkit's sorts
    rng = np.random.default_rng(3)
    for _ in range(5):
        frames = []
        for _ in range(6):
            m = int(rng.integers(1, 8))
            xy = rng.integers(0, 60, (m, 2)).astype(np.float32)
            gt = np.concatenate([xy, xy + rng.integers(5, 30, (m, 2))], 1)
            n = int(rng.integers(20, 60))
            pred = gt[rng.integers(0, m, n)] + rng.normal(
                0, 4, (n, 4)).astype(np.float32)
            scores = np.round(rng.random(n) * 4) / 4
            frames.append((pred.astype(np.float32), rng.integers(1, 3, n),
                           scores.astype(np.float32), gt,
                           rng.integers(1, 3, m)))
        ref = vid_reference(frames)
        acc = VIDAccumulator()
        for f in frames:
            acc.add_frame(*f)
        ours = acc.compute()
        np.testing.assert_array_equal(ours['AP'], ref['AP'])
        assert ours['mAP50'] == ref['mAP50']
