# Copyright (c) OpenMMLab. All rights reserved.
"""DVPQ without a depth threshold (lambda = inf) is the VPQ of the panoptic
output (PolyphonicFormer issue's consistency check), and the depth errors of
:class:`DepthMetric` against hand-computed values."""
import math

import numpy as np
import pytest
import torch

from mmvidseg.evaluation.metrics import DepthMetric, DVPSMetric, VPSMetric

C, THINGS = 4, (2, 3)


def _block(rng, values):
    return np.kron(rng.choice(values, (3, 4)), np.ones((4, 3), np.int64))


def _frames(rng, n):
    """gt / pred panoptic ids (class * 1000 + track, void 255000), depths:
    every class appears in the ground truth, things have tracks >= 1."""
    frames = []
    for _ in range(n):
        cls = _block(rng, [0, 1, 2, 3])
        cls[0, :3] = 255
        gt = cls * 1000 + np.where((cls >= 2) & (cls < 255),
                                   _block(rng, [1, 2]), 0)
        noise = _block(rng, [0, 1, 2, 3]) * 1000 + _block(rng, [1, 2, 3])
        noise = np.where(noise // 1000 < 2, noise // 1000 * 1000, noise)
        pred = np.where(rng.random(gt.shape) < 0.85, gt, noise)
        pred[0, :3] = np.where(cls[0, :3] == 255, 0, pred[0, :3])
        dg = rng.uniform(1, 50, gt.shape).astype(np.float32)
        scale = np.where(rng.random(gt.shape) < 0.1, 2.0, 1.0)
        dp = (dg * scale * rng.uniform(0.9, 1.1, gt.shape)).astype(np.float32)
        frames.append((gt, pred, dg, dp))
    return frames


def _samples(videos, track_samples):
    return track_samples([[{
        'gt_panoptic_seg': dict(sem_seg=torch.from_numpy(g)[None]),
        'pred_panoptic_seg': dict(sem_seg=torch.from_numpy(p)[None]),
        'gt_depth': dict(data=torch.from_numpy(d)[None]),
        'pred_depth': dict(data=torch.from_numpy(e)[None]),
    } for g, p, d, e in video] for video in videos])


@pytest.mark.parametrize('seed', range(3))
def test_dvpq_without_depth_threshold_is_vpq(seed, track_samples):
    rng = np.random.default_rng(seed)
    videos = [_frames(rng, 5), _frames(rng, 4)]
    windows = (1, 2, 3, 4)
    dvps = DVPSMetric(
        num_classes=C,
        thing_classes=THINGS,
        windows=windows,
        depth_thresholds=(math.inf, 0.25))
    vps = VPSMetric(
        num_classes=C, thing_classes=THINGS, metrics=('VPQ', ),
        windows=windows)
    for metric in (dvps, vps):
        metric.dataset_meta = dict(classes=tuple('abcd'))
        metric.process({}, _samples(videos, track_samples))
    d = dvps.evaluate(len(videos))
    v = vps.evaluate(len(videos))
    for k in windows:
        assert d[f'DVPQ@{k}@inf'] == pytest.approx(v[f'VPQ@{k}'], abs=1e-9)
    vpq = np.mean([v[f'VPQ@{k}'] for k in windows])
    assert np.mean([d[f'DVPQ@{k}@inf'] for k in windows]) == pytest.approx(
        vpq, abs=1e-9)
    # a depth threshold can only lose matches (10% of the pixels are off)
    for k in windows:
        assert d[f'DVPQ@{k}@0.25'] < d[f'DVPQ@{k}@inf']


def test_depth_metric_hand_computed(track_samples):
    gt = np.array([[1., 2.], [4., 0.]], np.float32)  # 0: no depth
    pred = np.array([[2., 2.], [3., 7.]], np.float32)
    metric = DepthMetric()
    metric.process({}, _samples([[(np.zeros((2, 2), np.int64),
                                   np.zeros((2, 2), np.int64), gt, pred)]],
                                track_samples))
    res = metric.evaluate(1)
    # valid pixels: (2 vs 1), (2 vs 2), (3 vs 4)
    assert res['abs_rel'] == pytest.approx((1 + 0 + 0.25) / 3)
    assert res['sq_rel'] == pytest.approx((1 + 0 + 0.25) / 3)
    assert res['rmse'] == pytest.approx(math.sqrt(2 / 3))
    logs = np.log([2., 1., 0.75])
    assert res['rmse_log'] == pytest.approx(math.sqrt(np.mean(logs**2)))
    assert res['silog'] == pytest.approx(
        100 * math.sqrt(np.mean(logs**2) - np.mean(logs)**2))
    # ratios max(p / g, g / p): 2, 1, 4 / 3
    assert res['d1'] == pytest.approx(1 / 3)
    assert res['d2'] == pytest.approx(2 / 3)  # 2 > 1.25**2 = 1.5625
    assert res['d3'] == pytest.approx(2 / 3)  # 2 > 1.25**3 = 1.953125
    with pytest.raises(ValueError, match='needs gt_depth and pred_depth'):
        DepthMetric().process({}, track_samples([[{
            'gt_depth': dict(data=torch.ones(1, 2, 2))
        }]]))


def test_depth_metric_scores_every_frame_of_every_video(track_samples):
    """``evaluate(size)`` keeps ``size`` results (the dataset's samples,
    here 2 videos); with one result per frame it would score only the
    first two frames of the first video. Frames without valid depth are
    left out of the mean."""
    zeros = np.zeros((2, 2), np.int64)
    gt = np.full((2, 2), 4., np.float32)
    none = np.zeros((2, 2), np.float32)  # a frame without depth

    def frame(err):  # every pixel off by ``err`` (relative)
        return (zeros, zeros, gt, gt * (1 + err))

    videos = [[frame(0.), frame(0.), frame(0.5)],
              [frame(1.), (zeros, zeros, none, gt)]]
    metric = DepthMetric()
    metric.process({}, _samples(videos, track_samples))
    res = metric.evaluate(len(videos))
    assert res['abs_rel'] == pytest.approx((0 + 0 + 0.5 + 1) / 4)
    empty = DepthMetric()
    empty.process({}, _samples([[(zeros, zeros, none, gt)]], track_samples))
    assert math.isnan(empty.evaluate(1)['abs_rel'])
