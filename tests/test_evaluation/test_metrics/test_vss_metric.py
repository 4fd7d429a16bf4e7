# Copyright (c) OpenMMLab. All rights reserved.
import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.structures import PixelData

from mmvidseg.evaluation import VSSMetric
from mmvidseg.evaluation.functional import VSSAccumulator


def _frame(video_id, t, length, gt, pred):
    s = DetDataSample(
        metainfo=dict(
            video_id=video_id, frame_id=t, ori_video_length=length,
            video_name=f'v{video_id}'))
    s.gt_sem_seg = PixelData(data=torch.from_numpy(gt)[None])
    s.pred_sem_seg = PixelData(data=torch.from_numpy(pred)[None])
    return s


def _videos(rng, num=3, t=12, c=3):
    out = []
    for _ in range(num):
        gts = [rng.integers(0, c, (5, 6)) for _ in range(t)]
        gts = [np.where(rng.random((5, 6)) < 0.8, gts[0], g) for g in gts]
        preds = [np.where(rng.random((5, 6)) < 0.85, g,
                          rng.integers(0, c, (5, 6))) for g in gts]
        gts[0][0, 0] = 255
        out.append((gts, preds))
    return out


def _metric(c=3):
    m = VSSMetric(windows=(4, 8))
    m.dataset_meta = dict(classes=tuple(f'c{i}' for i in range(c)))
    return m


def _feed_frames(metric, videos, ids):
    for vid in ids:
        gts, preds = videos[vid]
        for t, (g, p) in enumerate(zip(gts, preds)):
            clip = TrackDataSample()
            clip.video_data_samples = [_frame(vid, t, len(gts), g, p)]
            metric.process({}, [clip])


def test_frame_by_frame_equals_offline_accumulator():
    rng = np.random.default_rng()
    videos = _videos(rng)
    metric = _metric()
    _feed_frames(metric, videos, range(len(videos)))
    got = metric.evaluate(len(videos))

    acc = VSSAccumulator(3, windows=(4, 8))
    for gts, preds in videos:
        acc.add_video(zip(gts, preds))
    ref = acc.compute()
    assert got['mIoU'] == pytest.approx(100 * ref['mIoU'], abs=1e-4)
    assert got['mVC4'] == pytest.approx(100 * ref['mVC4'], abs=1e-4)
    assert got['mVC8'] == pytest.approx(100 * ref['mVC8'], abs=1e-4)


def test_split_across_ranks_gives_the_same_numbers():
    """Two metric instances (two ranks) each see whole videos; their
    collected results give the single-process numbers."""
    rng = np.random.default_rng()
    videos = _videos(rng, num=4)
    single = _metric()
    _feed_frames(single, videos, range(4))
    rank0, rank1 = _metric(), _metric()
    _feed_frames(rank0, videos, [0, 1])
    _feed_frames(rank1, videos, [2, 3])
    merged = sorted(rank0.results + rank1.results, key=lambda r: r[0])
    assert rank0.compute_metrics([r[1] for r in merged]) == (
        single.compute_metrics([r[1] for r in single.results]))


def test_whole_video_in_one_sample():
    rng = np.random.default_rng(0)
    (gts, preds), = _videos(rng, num=1)
    metric = _metric()
    clip = TrackDataSample()
    clip.video_data_samples = [
        _frame(0, t, len(gts), g, p)
        for t, (g, p) in enumerate(zip(gts, preds))
    ]
    metric.process({}, [clip])
    assert len(metric.results) == 1


def test_out_of_order_and_unfinished_videos_are_errors():
    rng = np.random.default_rng(0)
    (gts, preds), = _videos(rng, num=1)
    metric = _metric()
    clip = TrackDataSample()
    clip.video_data_samples = [_frame(0, 1, len(gts), gts[1], preds[1])]
    with pytest.raises(ValueError, match='frames must arrive in order'):
        metric.process({}, [clip])
    metric = _metric()
    clip.video_data_samples = [_frame(0, 0, len(gts), gts[0], preds[0])]
    metric.process({}, [clip])
    with pytest.raises(ValueError, match='ended before their last frame'):
        metric.evaluate(1)
