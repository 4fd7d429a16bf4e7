# Copyright (c) OpenMMLab. All rights reserved.
"""VSSMetric's mIoU equals VSPW's official definition (the mean over the
classes with ground-truth pixels, VSPW_code ``utils.py`` lines 74-80) on
adversarial cases, and its per-class output is strict JSON."""
import json
import math

import numpy as np
import pytest
import torch

from mmvidseg.evaluation import VSSMetric
from mmvidseg.evaluation.strict_json import dumps_strict
from mmvidseg.testing.reference_evaluators import vspw_miou_reference

C = 5
CLASSES = ('a', 'b', 'c', 'only_gt', 'only_pred')


def _videos(rng):
    """Class 4 only predicted, class 3 only in the ground truth, a frame
    void everywhere, void sprinkled elsewhere (junk predicted on it)."""
    videos = []
    for v in range(3):
        frames = []
        for t in range(int(rng.integers(3, 9))):
            gt = rng.integers(0, 4, (4, 5))
            pred = np.where(rng.random(gt.shape) < 0.6, np.minimum(gt, 2),
                            rng.choice([0, 1, 2, 4], gt.shape))
            void = rng.random(gt.shape) < 0.15
            if v == 1 and t == 0:
                void[:] = True
            gt = np.where(void, 255, gt)
            pred = np.where(void, rng.integers(0, 256, gt.shape), pred)
            frames.append((gt, pred))
        videos.append(frames)
    return videos


def _evaluate(videos, track_samples, **kwargs):
    metric = VSSMetric(windows=(2, ), **kwargs)
    metric.dataset_meta = dict(classes=CLASSES)
    metric.process({}, track_samples([[{
        'gt_sem_seg': dict(data=torch.from_numpy(g)[None]),
        'pred_sem_seg': dict(data=torch.from_numpy(p)[None])
    } for g, p in frames] for frames in videos]))
    return metric, metric.evaluate(len(videos))


@pytest.mark.parametrize('seed', range(3))
def test_metric_equals_the_official_formula(seed, track_samples):
    videos = _videos(np.random.default_rng(seed))
    metric, res = _evaluate(videos, track_samples, per_class=True)
    ref = vspw_miou_reference(videos, C)
    assert res['mIoU'] == pytest.approx(100 * ref['mIoU'], abs=1e-4)
    assert res['aAcc'] == pytest.approx(100 * ref['aAcc'], abs=1e-4)
    for name, value in zip(CLASSES, ref['IoU']):
        if math.isnan(value):
            assert math.isnan(res[f'IoU.{name}'])
        else:
            assert res[f'IoU.{name}'] == pytest.approx(100 * value, abs=1e-4)
    # strict JSON: the class without ground truth is null, with a reason
    out = json.loads(dumps_strict(res, metric.null_reasons))
    assert out['IoU.only_pred'] is None
    assert 'predicted on' in out['IoU.only_pred_reason']
    assert 'official VSPW mean IoU averages only the classes with ground ' \
        'truth' in out['IoU.only_pred_reason']
    assert out['IoU.only_gt'] == 0.0
    assert set(k for k in out if k.endswith('_reason')) == {
        'IoU.only_pred_reason'
    }


def test_default_keys_and_all_void(track_samples):
    void = np.full((2, 3), 255)
    metric, res = _evaluate([[(void, np.zeros((2, 3), np.int64))] * 3],
                            track_samples)
    assert set(res) == {'mIoU', 'aAcc', 'mVC2'}  # no per-class keys
    assert math.isnan(res['mIoU']) and math.isnan(res['aAcc'])
    assert 'no class has ground truth' in metric.null_reasons['mIoU']
    assert 'no class has ground truth' in metric.null_reasons['aAcc']
