# Copyright (c) OpenMMLab. All rights reserved.
"""VPSMetric (VPQ + STQ) and DVPSMetric on the runner's data samples."""
import math

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator

from mmvidseg.evaluation.functional import (DVPQAccumulator, STQAccumulator,
                                            VPQAccumulator)
from mmvidseg.evaluation.metrics import DVPSMetric, VPSMetric
from mmvidseg.testing import generate_toy_videos

THINGS = (3, 4, 5)
NUM_CLASSES = 6


def toy_maps(seed=0, num_videos=3):
    """Ground-truth and predicted panoptic maps (T, H, W) per video."""
    rng = np.random.default_rng(seed)
    out = []
    for v in generate_toy_videos(num_videos, seed=seed, num_frames=5,
                                 height=24, width=32):
        sem = v.semantic.astype(np.int64)
        gt = sem * 1000 + v.instance
        gt[:, :2, :3] = 255000  # void
        crowd = np.isin(sem, THINGS)
        crowd[:, :-3] = False  # things in the 3 bottom rows: track 0
        gt[crowd] = sem[crowd] * 1000
        pred = sem * 1000 + v.instance
        pred = np.roll(pred, 1, axis=2)
        pred[2:][pred[2:] % 1000 == 1] += 7  # a track switch
        pred[:, 5, 5:9] = 255000  # predicted void
        pred[rng.random(pred.shape) < 0.02] = 2000
        depth = v.depth
        depth_pred = depth * rng.uniform(0.7, 1.3, depth.shape)
        out.append((gt, pred, depth.astype(np.float32),
                    depth_pred.astype(np.float32)))
    return out


def samples(maps, track_samples, per_frame=False, with_depth=False):
    videos = []
    for gt, pred, d, dp in maps:
        frames = []
        for t in range(len(gt)):
            f = {
                'gt_panoptic_seg': dict(sem_seg=torch.from_numpy(gt[t][None])),
                'pred_panoptic_seg':
                dict(sem_seg=torch.from_numpy(pred[t][None]))
            }
            if with_depth:
                f['gt_depth'] = dict(data=torch.from_numpy(d[t][None]))
                f['pred_depth'] = dict(data=torch.from_numpy(dp[t][None]))
            frames.append(f)
        videos.append(frames)
    out = track_samples(videos)
    if per_frame:  # one frame per sample, videos interleaved
        single = []
        for t in range(max(len(s.video_data_samples) for s in out)):
            for s in out:
                if t < len(s.video_data_samples):
                    one = type(s)()
                    one.video_data_samples = [s.video_data_samples[t]]
                    single.append(one)
        return single
    return out


def expected_vps(maps, windows):
    cats = [dict(id=c, isthing=int(c in THINGS)) for c in range(NUM_CLASSES)]
    vpq = VPQAccumulator(cats, windows)
    stq = STQAccumulator(NUM_CLASSES, THINGS, 255, 16)
    for gt, pred, _, _ in maps:
        frames, stq_frames = [], []
        for g, p in zip(gt, pred):
            gs = [dict(id=int(i) + 1, category_id=int(i // 1000),
                       iscrowd=int(i % 1000 == 0 and i // 1000 in THINGS),
                       area=int((g == i).sum())) for i in np.unique(g)
                  if i != 255000]
            ps = [dict(id=int(i) + 1, category_id=int(i // 1000))
                  for i in np.unique(p) if i != 255000]
            frames.append((np.where(g == 255000, 0, g + 1),
                           np.where(p == 255000, 0, p + 1), gs, ps))
            stq_frames.append(((g // 1000 << 16) + g % 1000,
                               (p // 1000 << 16) + p % 1000))
        vpq.add_video(frames)
        stq.add_video(stq_frames)
    return vpq.compute(), stq.compute()


def make_metric(cls=VPSMetric, **kw):
    m = cls(**kw)
    m.dataset_meta = dict(
        classes=('road', 'sky', 'building', 'car', 'person', 'ball'),
        thing_classes=('car', 'person', 'ball'))
    return m


def test_vps_metric_matches_functional(track_samples):
    maps = toy_maps()
    metric = make_metric(windows=(1, 2, 4))
    metric.process({}, samples(maps, track_samples))
    res = metric.evaluate(len(maps))
    vpq, stq = expected_vps(maps, (1, 2, 4))
    assert set(res) == {'VPQ', 'VPQ_th', 'VPQ_st', 'VPQ@1', 'VPQ@2',
                        'VPQ@4', 'STQ', 'AQ', 'SQ'}
    for k in ('VPQ', 'VPQ_th', 'VPQ_st', 'VPQ@1', 'VPQ@2', 'VPQ@4'):
        assert res[k] == pytest.approx(vpq[k], abs=1e-9)
    for k in ('STQ', 'AQ', 'SQ'):
        assert res[k] == stq[k]
    assert 0 < res['VPQ'] < 100 and 0 < res['STQ'] < 1


def test_vps_metric_split_and_frame_order_invariant(track_samples):
    maps = toy_maps(seed=1, num_videos=4)
    single = make_metric(windows=(1, 2))
    single.process({}, samples(maps, track_samples))
    ref = single.evaluate(4)
    # two "ranks" with two videos each, frames delivered one at a time
    ranks = [make_metric(windows=(1, 2)) for _ in range(2)]
    ranks[0].process({}, samples(maps[1::2], track_samples, per_frame=True))
    ranks[1].process({}, samples(maps[0::2], track_samples, per_frame=True))
    # give rank 1's videos distinct ids as in the dataset
    merged = make_metric(windows=(1, 2))
    merged.results = [(k * 2 + 1, r) for k, r in ranks[0].results] + \
        [(k * 2, r) for k, r in ranks[1].results]
    assert merged.evaluate(4) == ref


def test_vps_metric_with_evaluator_and_errors(track_samples):
    maps = toy_maps(seed=2, num_videos=2)
    evaluator = Evaluator(
        dict(type='mmvidseg.VPSMetric', windows=(1, ),
             num_classes=NUM_CLASSES, thing_classes=THINGS))
    evaluator.process(samples(maps, track_samples))
    res = evaluator.evaluate(2)
    vpq, stq = expected_vps(maps, (1, ))
    assert res['VPQ'] == pytest.approx(vpq['VPQ'], abs=1e-9)
    assert res['STQ'] == stq['STQ']
    # an unfinished video is an error, not a silent score
    metric = make_metric()
    metric.process({}, samples(maps, track_samples, per_frame=True)[:3])
    with pytest.raises(ValueError, match='ended before their last frame'):
        metric.evaluate(2)
    # a class beyond the class list
    bad = [(g, np.where(p == 2000, 9000, p), d, dp)
           for g, p, d, dp in maps]
    metric = make_metric()
    with pytest.raises(ValueError, match='predicted class 9 is beyond'):
        metric.process({}, samples(bad, track_samples))


def test_dvps_metric(track_samples):
    maps = toy_maps(seed=3)
    metric = make_metric(DVPSMetric, windows=(1, 2), epsilon=1e-10)
    metric.process({}, samples(maps, track_samples, with_depth=True))
    res = metric.evaluate(3)
    acc = DVPQAccumulator(NUM_CLASSES, THINGS, (1, 2), (0.5, 0.25, 0.1),
                          epsilon=1e-10, void_class=255)
    for gt, pred, d, dp in maps:
        pred = np.where(pred == 255000, NUM_CLASSES * 1000, pred)
        acc.add_video(zip(gt, pred, d, dp))
    exp = acc.compute()
    assert len(res) == 3 + 2 * 3
    for k, v in res.items():
        assert v == pytest.approx(exp[k], abs=1e-9)
    # the official epsilon = 0: a class without TP makes its mean NaN
    metric = make_metric(DVPSMetric, windows=(1, ))
    metric.process({}, samples(maps, track_samples, with_depth=True))
    res = metric.evaluate(3)
    acc = DVPQAccumulator(NUM_CLASSES, THINGS, (1, ), void_class=255)
    for gt, pred, d, dp in maps:
        pred = np.where(pred == 255000, NUM_CLASSES * 1000, pred)
        acc.add_video(zip(gt, pred, d, dp))
    exp = acc.compute()
    assert any(math.isnan(v) for v in res.values())
    for k, v in res.items():
        assert (math.isnan(v) and math.isnan(exp[k])) or \
            v == pytest.approx(exp[k], abs=1e-9)
