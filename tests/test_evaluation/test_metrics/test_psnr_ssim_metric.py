# Copyright (c) OpenMMLab. All rights reserved.
import math

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.structures import PixelData

from mmvidseg.evaluation.functional import psnr, ssim
from mmvidseg.evaluation.metrics import PSNRSSIMMetric


def _triplet(seed, mask=None, pred_offset=6):
    """A TrackDataSample of 3 frames; frame 1 (key) has a prediction."""
    rng = np.random.default_rng(seed)
    frames = [rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)
              for _ in range(3)]
    pred = np.clip(frames[1].astype(np.float32) + pred_offset, 0, 255)
    samples = []
    for i, f in enumerate(frames):
        s = DetDataSample(metainfo=dict(img_path=f'{seed}/frame_{i}.png'))
        s.gt_frame = PixelData(data=torch.from_numpy(f.transpose(2, 0, 1)))
        samples.append(s)
    samples[1].pred_frame = PixelData(
        data=torch.from_numpy(pred.transpose(2, 0, 1).copy()))
    if mask is not None:
        samples[1].gt_motion_mask = PixelData(
            data=torch.from_numpy(mask[None].astype(np.uint8)))
    track = TrackDataSample()
    track.video_data_samples = samples
    track.set_metainfo(dict(key_frames_inds=[1], ref_frames_inds=[0, 2]))
    return track, frames, pred


def test_metric_scores_and_baseline():
    mask = np.zeros((12, 16), bool)
    mask[2:9, 3:12] = True
    empty = np.zeros((12, 16), bool)
    samples = [_triplet(0, mask), _triplet(1, mask), _triplet(2, empty)]
    metric = PSNRSSIMMetric(baseline=True)
    # the evaluator hands dicts to process()
    metric.process({}, [s.to_dict() for s, _, _ in samples])
    res = metric.compute_metrics(metric.results)
    assert res['num_triplets'] == 3
    exp_psnr = np.mean([psnr(p, f[1]) for _, f, p in samples])
    exp_ssim = np.mean([ssim(p, f[1]) for _, f, p in samples])
    assert res['psnr'] == pytest.approx(exp_psnr)
    assert res['ssim'] == pytest.approx(exp_ssim)
    # the empty mask leaves triplet 2 out of the motion scores
    exp_m = np.mean([psnr(p, f[1], mask) for _, f, p in samples[:2]])
    assert res['psnr_motion'] == pytest.approx(exp_m)
    exp_b = np.mean([
        psnr((f[0].astype(float) + f[2]) / 2, f[1]) for _, f, _ in samples
    ])
    assert res['baseline_psnr'] == pytest.approx(exp_b)
    assert res['psnr_gain'] == pytest.approx(res['psnr'] - exp_b)
    assert 'baseline_ssim_motion' in res


def test_metric_without_masks_and_perfect_prediction():
    metric = PSNRSSIMMetric(use_motion_mask=False)
    track, _, _ = _triplet(3, np.ones((12, 16), bool))
    perfect, _, _ = _triplet(4, pred_offset=0)
    metric.process({}, [track, perfect])
    res = metric.compute_metrics(metric.results)
    assert 'psnr_motion' not in res and 'baseline_psnr' not in res
    # an infinite PSNR (identical frames) is left out, as in the MATLAB code
    assert res['psnr'] == pytest.approx(metric.results[0]['psnr'])
    assert math.isinf(metric.results[1]['psnr'])


def test_last_frame_baseline():
    track, frames, _ = _triplet(8)
    track.set_metainfo(dict(key_frames_inds=[2], ref_frames_inds=[0, 1]))
    samples = track.video_data_samples
    samples[2].pred_frame = samples[1].pred_frame
    del samples[1].pred_frame
    metric = PSNRSSIMMetric(baseline='last')
    metric.process({}, [track])
    res = metric.compute_metrics(metric.results)
    assert res['baseline_psnr'] == pytest.approx(psnr(frames[1], frames[2]))
    with pytest.raises(ValueError, match='baseline'):
        PSNRSSIMMetric(baseline='median')


def test_metric_errors():
    metric = PSNRSSIMMetric(baseline=True)
    track, _, _ = _triplet(5)
    del track.video_data_samples[1].pred_frame
    with pytest.raises(ValueError, match='pred_frame'):
        metric.process({}, [track])
    track, _, _ = _triplet(6)
    track.set_metainfo(dict(key_frames_inds=[1, 2]))
    with pytest.raises(ValueError, match='one key'):
        metric.process({}, [track])
    track, _, _ = _triplet(7)
    del track.video_data_samples[0].gt_frame
    with pytest.raises(ValueError, match="pack_frames='all'"):
        metric.process({}, [track])
    with pytest.raises(ValueError, match='TrackDataSamples'):
        metric.process({}, [DetDataSample()])
