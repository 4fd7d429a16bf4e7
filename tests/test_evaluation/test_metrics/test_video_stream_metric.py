# Copyright (c) OpenMMLab. All rights reserved.
"""VideoStreamMetric's collection across ranks: ``collect_device`` is
honoured (the two-process runs are in ``test_metric_ddp.py``)."""
import numpy as np
import pytest
import torch

from mmvidseg.evaluation.metrics import VSSMetric
from mmvidseg.evaluation.metrics import video_stream_metric as vsm


def _samples(track_samples):
    """3 videos x 4 frames of 6x8 class maps, predictions partly wrong."""
    rng = np.random.default_rng(0)
    videos = []
    for _ in range(3):
        frames = []
        for _ in range(4):
            gt = torch.from_numpy(rng.integers(0, 3, (1, 6, 8)))
            pred = gt.clone()
            pred[0, 0] = (pred[0, 0] + 1) % 3
            frames.append(
                dict(gt_sem_seg=dict(data=gt), pred_sem_seg=dict(data=pred)))
        videos.append(frames)
    return track_samples(videos)


def test_collect_device_is_used(track_samples, monkeypatch):
    devices = []
    real = vsm.collect_results

    def spy(items, size, device='cpu', tmpdir=None):
        devices.append(device)
        return real(items, size, device, tmpdir)

    monkeypatch.setattr(vsm, 'collect_results', spy)
    scores = {}
    for device in ('cpu', 'gpu'):
        metric = VSSMetric(windows=(2, ), collect_device=device)
        metric.dataset_meta = dict(classes=('a', 'b', 'c'))
        for sample in _samples(track_samples):
            metric.process({}, [sample])
        scores[device] = metric.evaluate(3)
        assert metric.results == []
    assert devices == ['cpu', 'gpu']
    assert scores['cpu'] == scores['gpu']
    assert 0 < scores['cpu']['mIoU'] < 100


def test_collect_device_is_checked():
    with pytest.raises(ValueError, match='collect_device'):
        VSSMetric(collect_device='tpu')
