# Copyright (c) OpenMMLab. All rights reserved.
"""DVPSMetric's ``rules``: SemKITTI-DVPS' official rules against the
oracle written from ViP-DeepLab's ``semkitti-dvps/eval_dvpq.py``, and the
Cityscapes-DVPS rules unchanged."""
import math
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine import Config

from mmvidseg.evaluation.metrics import DVPSMetric
from mmvidseg.registry import METRICS
from mmvidseg.testing.reference_evaluators import dvpq_reference

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
C, THINGS, LAMS = 5, (0, 1), (0.5, 0.25, 0.1)


def _block(rng, values):
    return np.kron(rng.choice(values, (2, 4)), np.ones((3, 2), np.int64))


def _video(rng, n, void_frame=None):
    """Frames in mmvidseg's ids (class * 1000 + track, void 255000, depth
    in metres): class 2 is never predicted, 3 only predicted, 4 nowhere."""
    frames = []
    for t in range(n):
        cls = _block(rng, [0, 1, 2])
        cls = np.where(rng.random(cls.shape) < 0.1, 255, cls)
        if t == void_frame:
            cls[:] = 255
        gt = cls * 1000 + np.where(cls < 2, _block(rng, [1, 2, 999]), 0)
        noise = _block(rng, [0, 1, 3]) * 1000 + _block(rng, [0, 1, 998])
        keep = (rng.random(gt.shape) < 0.8) & (cls < 2)
        pred = np.where(keep, gt, noise)
        dg = rng.integers(0, 300, gt.shape) / 256
        dg[rng.random(gt.shape) < 0.2] = 0
        dp = np.clip(dg + rng.integers(-60, 60, gt.shape) / 256, 0, None)
        frames.append((gt, pred, dg.astype(np.float32),
                       dp.astype(np.float32)))
    return frames


def _semkitti_ids(frames):
    """The same frames in SemKITTI's ids (class * 2**20 + instance, void
    class 255) and uint16 depth (metres * 256), as its script reads
    them."""
    out = []
    for gt, pred, dg, dp in frames:
        out.append(tuple(a // 1000 * 2**20 + a % 1000 for a in (gt, pred)) +
                   tuple(np.round(d * 256).astype(np.uint16)
                         for d in (dg, dp)))
    return out


def _evaluate(videos, track_samples, **kwargs):
    metric = DVPSMetric(num_classes=C, thing_classes=THINGS, **kwargs)
    metric.dataset_meta = dict(classes=tuple('abcde'))
    metric.process({}, track_samples([[{
        'gt_panoptic_seg': dict(sem_seg=torch.from_numpy(g)[None]),
        'pred_panoptic_seg': dict(sem_seg=torch.from_numpy(p)[None]),
        'gt_depth': dict(data=torch.from_numpy(d)[None]),
        'pred_depth': dict(data=torch.from_numpy(e)[None]),
    } for g, p, d, e in video] for video in videos]))
    return metric, metric.evaluate(len(videos))


@pytest.mark.parametrize('seed', range(3))
def test_semkitti_rules_equal_the_official_definition(seed, track_samples):
    rng = np.random.default_rng(seed)
    video = _video(rng, 6, void_frame=2)
    metric, res = _evaluate([video], track_samples, rules='semkitti',
                            windows=(1, 2, 5))
    assert metric.epsilon == 1e-10
    ref = dvpq_reference([_semkitti_ids(video)], (1, 2, 5), LAMS, C, THINGS,
                         rules='semkitti')
    for key, value in res.items():
        assert not math.isnan(value)  # absent classes count as 0
        assert value == pytest.approx(ref[key], abs=1e-9), key
    assert metric.null_reasons == {}


def test_rule_defaults_and_cityscapes_unchanged(track_samples):
    sk = DVPSMetric(rules='semkitti')
    assert sk.windows == (1, 5, 10, 20) and sk.epsilon == 1e-10
    cs = DVPSMetric()
    assert cs.rules == 'cityscapes'
    assert cs.windows == (1, 2, 3, 4) and cs.epsilon == 0.0
    with pytest.raises(ValueError, match='unknown DVPQ rules'):
        DVPSMetric(rules='kitti')
    rng = np.random.default_rng(5)
    videos = [_video(rng, 4), _video(rng, 3)]
    _, res = _evaluate(videos, track_samples, windows=(1, 2))
    _, same = _evaluate(videos, track_samples, rules='cityscapes',
                        windows=(1, 2))
    assert str(res) == str(same)
    ref = dvpq_reference(
        [[(np.where(g // 1000 == 255, 32000, g), p,
           *(np.round(d * 256).astype(np.uint16) for d in (dg, dp)))
          for g, p, dg, dp in v] for v in videos], (1, 2), LAMS, C, THINGS)
    for key, value in res.items():
        if math.isnan(ref[key]):
            assert math.isnan(value)  # e.g. class 4: no TP, epsilon 0
        else:
            assert value == pytest.approx(ref[key], abs=1e-9), key
    assert math.isnan(res['DVPQ'])


def test_semkitti_window_longer_than_every_video(track_samples):
    rng = np.random.default_rng(0)
    metric, res = _evaluate([_video(rng, 3)], track_samples,
                            rules='semkitti', windows=(1, 5))
    assert not math.isnan(res['DVPQ@1@0.5'])
    assert math.isnan(res['DVPQ@5@0.5']) and math.isnan(res['DVPQ'])
    assert 'no window of 5 frames' in metric.null_reasons['DVPQ@5@0.5']


@pytest.mark.parametrize('name,windows', [('semkitti_dvps', (1, 5, 10, 20)),
                                          ('toy_semkitti_dvps', (1, 5))])
def test_semkitti_configs_use_the_semkitti_rules(name, windows):
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', '_base_', 'datasets', f'{name}.py'))
    for key in ('val_evaluator', 'test_evaluator'):
        metric = METRICS.build(cfg[key])
        assert metric.rules == 'semkitti' and metric.epsilon == 1e-10
        assert metric.windows == windows
