# Copyright (c) OpenMMLab. All rights reserved.
import copy

import pytest
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.config import Config
from mmengine.structures import PixelData

from mmvidseg.registry import MODELS
from mmvidseg.utils import register_all_modules

register_all_modules()


def _model_cfg(baseline_config):
    cfg = Config.fromfile(baseline_config)
    return copy.deepcopy(cfg.model)


def _clips(n=2, t=3, h=30, w=45, num_classes=6, sizes=None):
    """Packed clips as the data loader gives them (uint8 BGR)."""
    inputs, samples = [], []
    for i in range(n):
        hh, ww = sizes[i] if sizes else (h, w)
        inputs.append(torch.randint(0, 256, (t, 3, hh, ww), dtype=torch.uint8))
        clip = TrackDataSample()
        frames = []
        for k in range(t):
            f = DetDataSample(
                metainfo=dict(
                    img_shape=(hh, ww), ori_shape=(hh, ww), video_id=i,
                    frame_id=k, scale_factor=(1.0, 1.0)))
            f.gt_sem_seg = PixelData(
                data=torch.randint(0, num_classes, (1, hh, ww)))
            frames.append(f)
        clip.video_data_samples = frames
        clip.set_metainfo(dict(key_frames_inds=[0], ref_frames_inds=[1, 2]))
        samples.append(clip)
    return dict(inputs=inputs, data_samples=samples)


def test_loss_and_predict_on_clips(baseline_config):
    model = MODELS.build(_model_cfg(baseline_config))
    data = model.data_preprocessor(_clips(), training=True)
    assert data['inputs'].shape == (2, 3, 3, 32, 48)  # padded to /8
    losses = model(**data, mode='loss')
    assert set(losses) >= {'decode.loss_ce', 'decode.acc_seg'}
    losses['decode.loss_ce'].backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert all(g is not None for g in grads)

    model.eval()
    data = model.data_preprocessor(_clips(), training=False)
    with torch.no_grad():
        out = model(**data, mode='predict')
    assert len(out) == 2
    for clip in out:
        for frame in clip.video_data_samples:
            pred = frame.pred_sem_seg.data
            # the prediction is at the original size, padding cropped off
            assert pred.shape == (1, 30, 45)
            assert pred.min() >= 0 and pred.max() < 6


def test_tensor_mode_and_image_batches(baseline_config):
    model = MODELS.build(_model_cfg(baseline_config))
    data = model.data_preprocessor(_clips(n=1, t=2), training=False)
    logits = model(data['inputs'], data['data_samples'], mode='tensor')
    assert logits.shape[:2] == (2, 6)  # (N*T, K, h, w)
    # plain (N, C, H, W) images pass straight through
    frames = data['inputs'][0]
    assert model(frames, None, mode='tensor').shape == logits.shape
    with pytest.raises(ValueError, match='invalid mode'):
        model(frames, None, mode='nope')


def test_preprocessor_pads_targets_in_training_only(baseline_config):
    model = MODELS.build(_model_cfg(baseline_config))
    data = _clips(n=2, t=1, sizes=[(30, 45), (20, 40)])
    out = model.data_preprocessor(copy.deepcopy(data), training=True)
    assert out['inputs'].shape[-2:] == (32, 48)
    small = out['data_samples'][1].video_data_samples[0]
    assert small.gt_sem_seg.data.shape == (1, 32, 48)
    assert (small.gt_sem_seg.data[:, 20:, :] == 255).all()
    assert small.metainfo['padding_size'] == [0, 8, 0, 12]
    out = model.data_preprocessor(copy.deepcopy(data), training=False)
    small = out['data_samples'][1].video_data_samples[0]
    assert small.gt_sem_seg.data.shape == (1, 20, 40)
