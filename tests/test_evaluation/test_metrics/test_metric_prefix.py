# Copyright (c) OpenMMLab. All rights reserved.
"""Our metrics build without mmengine's "prefix is not set" warning and keep
plain metric names unless a prefix is given."""
import logging

import pytest
from mmengine.logging import MMLogger

from mmvidseg.evaluation.metrics import (DAVISMetric, DVPSMetric,
                                         ImageNetVIDMetric, PSNRSSIMMetric,
                                         VPSMetric, VSSMetric,
                                         YouTubeVISVideoMetric)
from mmvidseg.evaluation.metrics.dump_video_results import DumpVideoResults


class _Records(logging.Handler):

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def _warnings_of(build):
    logger = MMLogger.get_current_instance()
    handler = _Records()
    logger.addHandler(handler)
    try:
        metric = build()
    finally:
        logger.removeHandler(handler)
    return metric, [m for m in handler.messages if 'prefix' in m]


METRICS = [
    DAVISMetric, DVPSMetric, ImageNetVIDMetric, PSNRSSIMMetric, VPSMetric,
    VSSMetric, YouTubeVISVideoMetric
]


@pytest.mark.parametrize('cls', METRICS)
def test_no_prefix_warning_and_plain_names(cls):
    metric, warned = _warnings_of(cls)
    assert warned == []
    assert metric.prefix == ''
    named, warned = _warnings_of(lambda: cls(prefix='val'))
    assert warned == [] and named.prefix == 'val'


def test_dump_results_has_no_prefix_warning(tmp_path):
    _, warned = _warnings_of(
        lambda: DumpVideoResults(out_file_path=str(tmp_path / 'p.pkl')))
    assert warned == []


def test_prefix_names_the_metrics():
    """With a prefix the scores are named ``<prefix>/<name>``, without one
    they keep their plain names (what configs' save_best use)."""
    import numpy as np
    import torch
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    out = {}
    for prefix in (None, 'vss'):
        metric = VSSMetric(windows=(2, ), prefix=prefix)
        metric.dataset_meta = dict(classes=('a', 'b'))
        for frame_id in range(2):
            sample = SegDataSample(
                metainfo=dict(video_id=0, frame_id=frame_id,
                              video_length=2))
            seg = torch.from_numpy(np.array([[[0, 1]]]))
            sample.gt_sem_seg = PixelData(data=seg)
            sample.pred_sem_seg = PixelData(data=seg)
            metric.process({}, [sample])
        out[prefix] = metric.evaluate(1)
    assert sorted(out['vss']) == sorted(f'vss/{k}' for k in out[None])
    assert out[None]['mIoU'] == out['vss']['vss/mIoU'] == 100.0
