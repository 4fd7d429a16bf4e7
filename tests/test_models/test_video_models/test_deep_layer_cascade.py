# Copyright (c) OpenMMLab. All rights reserved.
"""Tests of the Deep Layer Cascade segmentor and its region helpers."""
import copy
import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine import Config
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmvidseg.models.layers import region_block_forward, split_resnet
from mmvidseg.registry import MODELS

CONFIG_DIR = osp.join(
    osp.dirname(__file__), '..', '..', '..', 'configs', 'deep_layer_cascade')
NUM_CLASSES = 4


@pytest.fixture(autouse=True)
def _scope():
    init_default_scope('mmvidseg')


def _randn(*shape, seed=0):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


def _randomize(module: nn.Module, seed: int = 0) -> nn.Module:
    """Random weights and batch-norm statistics (no zero-init branches)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in module.state_dict().items():
            if not t.is_floating_point():
                continue
            if name.endswith('running_var'):
                t.copy_(torch.rand(t.shape, generator=gen) + 0.5)
            elif name.endswith('weight') and t.dim() == 1:  # norm scale
                t.copy_(torch.rand(t.shape, generator=gen) + 0.5)
            elif t.dim() > 1:  # conv weight: activations stay O(1)
                fan_in = t[0].numel()
                t.copy_(torch.randn(t.shape, generator=gen) / fan_in**0.5)
            else:
                t.copy_(torch.randn(t.shape, generator=gen) * 0.2)
    return module


def _cascade_cfg(depth=18, rho=0.95, **kwargs):
    width = 8
    widths = [width * 2**i * (1 if depth < 50 else 4) for i in range(4)]
    cfg = dict(
        type='LayerCascadeSegmentor',
        backbone=dict(
            type='mmseg.ResNetV1c',
            depth=depth,
            stem_channels=8,
            base_channels=width,
            strides=(1, 2, 1, 1),
            dilations=(1, 1, 2, 4),
            contract_dilation=True,
            norm_cfg=dict(type='BN')),
        stage_heads=[
            dict(
                type='CascadeStageHead',
                in_channels=c,
                channels=8,
                num_classes=NUM_CLASSES,
                dropout_ratio=0.0) for c in widths[1:]
        ],
        rho=rho)
    cfg.update(kwargs)
    return cfg


def _build(depth=18, rho=0.95, seed=0, **kwargs):
    model = MODELS.build(_cascade_cfg(depth, rho, **kwargs))
    return _randomize(model, seed)


def _plain_forward(model, frames):
    """The plain network: mmseg ResNet forward + the last classifier."""
    feats = model.backbone(frames)[-1]
    return model.stage_heads[-1](feats)


@pytest.mark.parametrize('depth', [18, 50])
@pytest.mark.parametrize('training', [False, True])
def test_region_block_on_every_pixel_is_the_block(depth, training):
    model = _build(depth)
    model.train(training)
    for stage in model.stages[1:]:
        for i, block in enumerate(stage):
            c = block.conv1.in_channels
            gen = torch.Generator().manual_seed(i)
            x = torch.relu(torch.randn(2, c, 6, 7, generator=gen))
            dense_block, region_block = block, copy.deepcopy(block)
            expected = dense_block(x.clone())
            index = torch.arange(2 * 6 * 7)
            out = region_block_forward(region_block, x.clone(), index)
            torch.testing.assert_close(out, expected, rtol=1e-4, atol=1e-4)
            # Batch statistics over the region update the running ones
            # exactly as nn.BatchNorm2d does over the whole map.
            for key, value in dense_block.state_dict().items():
                torch.testing.assert_close(region_block.state_dict()[key],
                                           value)


@pytest.mark.parametrize('depth', [18, 50])
def test_region_block_skips_branch_outside_region(depth):
    model = _build(depth).eval()
    block = model.stages[1][0]  # changes the width (1x1 projection)
    c = block.conv1.in_channels
    x = torch.relu(_randn(1, c, 5, 6))
    mask = torch.zeros(1, 1, 5, 6, dtype=torch.bool)
    mask[0, 0, 1:3, 2:5] = True
    index = torch.nonzero(mask.view(-1)).squeeze(1)
    with torch.no_grad():
        out = region_block_forward(block, x.clone(), index)
        passthrough = torch.relu(block.downsample(x))
    outside = ~mask.expand_as(out)
    torch.testing.assert_close(out[outside], passthrough[outside])
    assert torch.isfinite(out).all()
    assert not torch.allclose(out[~outside], passthrough[~outside])


@pytest.mark.parametrize('depth', [18, 50])
def test_rho_one_reproduces_plain_network(depth):
    model = _build(depth, rho=1.0).eval()
    frames = _randn(2, 3, 48, 64)
    with torch.no_grad():
        logits = model(frames, mode='tensor')
        expected = _plain_forward(model, frames)
        torch.testing.assert_close(logits, expected)
        # The region path over every pixel gives the same numbers: with
        # near-uniform early classifiers nothing is confident, so with rho
        # below 1 every later stage runs region convolutions on the whole
        # map.
        for head in model.stage_heads[:-1]:
            head.conv_seg.weight.mul_(1e-3)
            head.conv_seg.bias.mul_(1e-3)
        results = model.cascade(frames, rho=0.9)
        assert all(i is None or i.numel() == 2 * 6 * 8 for i, _ in results)
        assert results[1][0] is not None
        torch.testing.assert_close(
            results[-1][1], expected, rtol=1e-4, atol=1e-4)


def test_rho_one_trains_every_stage_on_every_pixel():
    model = _build(rho=1.0).train()
    frames = _randn(2, 3, 32, 48)
    samples = [_seg_sample(32, 48, seed=i) for i in range(2)]
    losses = model.loss(frames, samples)
    for k in (1, 2, 3):
        assert losses[f'share_stage{k}'].item() == 1.0
        assert losses[f'loss_stage{k}'].requires_grad


def test_early_decisions_keep_earlier_logits():
    model = _build(seed=3).eval()
    frames = _randn(1, 3, 48, 64)
    with torch.no_grad():
        stage1 = model.stage_heads[0](_stage1_features(model,
                                                       frames)).softmax(1)
        rho = float(stage1.amax(1).median())  # about half decided
        model.rho = rho
        results = model.cascade(frames, rho)
        final = results[-1][1]
        decided = stage1.amax(1, keepdim=True) > rho
        index2 = results[1][0]
        assert 0 < index2.numel() < decided.numel()
        assert index2.numel() == int((~decided).sum())
        # stage 3 works on a subset of stage 2's pixels
        assert set(results[2][0].tolist()) <= set(index2.tolist())
        # decided pixels keep stage 1's prediction
        logits1 = model.stage_heads[0](_stage1_features(model, frames))
        torch.testing.assert_close(final[decided.expand_as(final)],
                                   logits1[decided.expand_as(final)])


def _stage1_features(model, frames):
    from mmvidseg.models.layers import resnet_stem_forward, run_blocks
    return run_blocks(model.stages[0],
                      resnet_stem_forward(model.backbone, frames), None)


def _seg_sample(h, w, seed=0, cls=SegDataSample):
    gen = torch.Generator().manual_seed(seed)
    sample = cls()
    sample.gt_sem_seg = PixelData(
        data=torch.randint(0, NUM_CLASSES, (1, h, w), generator=gen))
    sample.set_metainfo(dict(img_shape=(h, w), ori_shape=(h, w)))
    return sample


def test_loss_selects_hard_pixels_and_backpropagates():
    model = _build(seed=1).train()
    frames = _randn(2, 3, 32, 48)
    samples = [_seg_sample(32, 48, seed=i) for i in range(2)]
    with torch.no_grad():  # a threshold that decides some stage-1 pixels
        probe = copy.deepcopy(model)
        conf = probe.stage_heads[0](_stage1_features(
            probe, frames)).softmax(1).amax(1)
    model.train_rho = float(conf.flatten().kthvalue(conf.numel() * 3 // 4)[0])
    losses = model.loss(frames, samples)
    assert set(losses) == {
        f'{k}_stage{i}'
        for k in ('loss', 'share')
        for i in (1, 2, 3)
    }
    assert losses['share_stage1'] == 1.0
    assert 0 < losses['share_stage2'] < 1
    assert losses['share_stage3'] <= losses['share_stage2']
    total = sum(v for k, v in losses.items() if k.startswith('loss'))
    total.backward()
    assert losses['share_stage3'] > 0
    for head in model.stage_heads:
        assert head.conv_seg.weight.grad.abs().sum() > 0
    assert model.backbone.layer4[0].conv1.weight.grad.abs().sum() > 0


def test_predict_video_clips_writes_every_frame():
    model = _build(seed=2, rho=0.5).eval()
    n, t, h, w = 2, 3, 40, 56
    inputs = _randn(n, t, 3, h, w)
    clips = []
    for i in range(n):
        clip = TrackDataSample()
        frames = []
        for j in range(t):
            frame = _seg_sample(h, w, seed=i * t + j, cls=DetDataSample)
            frame.set_metainfo(
                dict(ori_shape=(h - 8, w - 8), padding_size=[0, 8, 0, 8]))
            frames.append(frame)
        clip.video_data_samples = frames
        clips.append(clip)
    with torch.no_grad():
        out = model(inputs, clips, mode='predict')
    assert out is clips
    for clip in out:
        for frame in clip.video_data_samples:
            pred = frame.pred_sem_seg.data
            assert pred.shape == (1, h - 8, w - 8)
            assert pred.dtype == torch.long
            assert 0 <= int(pred.min()) and int(pred.max()) < NUM_CLASSES
            pixels = frame.metainfo['cascade_pixels']
            assert len(pixels) == 3 and pixels[0] == 5 * 7
            assert pixels[0] >= pixels[1] >= pixels[2]


def test_predict_images_matches_logits():
    model = _build(seed=4, rho=0.9).eval()
    frames = _randn(2, 3, 32, 48)
    samples = [_seg_sample(32, 48, seed=i) for i in range(2)]
    with torch.no_grad():
        model.predict(frames, samples)
        logits = model(frames, mode='tensor')
    up = torch.nn.functional.interpolate(
        logits, size=(32, 48), mode='bilinear', align_corners=False)
    for i, sample in enumerate(samples):
        torch.testing.assert_close(sample.pred_sem_seg.data[0],
                                   up[i].argmax(0))


def test_bad_configs_raise():
    with pytest.raises(ValueError, match='stage_heads'):
        MODELS.build(
            _cascade_cfg(stage_heads=_cascade_cfg()['stage_heads'][:2]))
    with pytest.raises(ValueError, match='region stages must keep'):
        MODELS.build(_cascade_cfg(split_after=('layer1', 'layer3')))
    with pytest.raises(ValueError, match='unknown layer'):
        MODELS.build(_cascade_cfg(split_after=('layer2', 'layer9')))
    with pytest.raises(ValueError, match='rho must lie'):
        MODELS.build(_cascade_cfg(rho=1.5))
    backbone = MODELS.build(_cascade_cfg()['backbone'])
    assert [len(s) for s in split_resnet(backbone, ('layer2', 'layer3.0'))
            ] == [4, 1, 3]


@pytest.mark.parametrize('name', [
    'layer-cascade_r18-w16_1xb4-1k_toy-vspw-256x384.py',
    'layer-cascade_r50_4xb2-80k_cityscapes-512x1024.py',
    'layer-cascade_r50_4xb4-40k_voc12aug-512x512.py',
])
def test_configs_build(name):
    cfg = Config.fromfile(osp.join(CONFIG_DIR, name))
    model_cfg = _no_sync_bn(copy.deepcopy(cfg.model.to_dict()))
    model_cfg['backbone']['init_cfg'] = None  # no download
    model = MODELS.build(model_cfg)
    assert isinstance(model.data_preprocessor, nn.Module)
    assert model.num_stages == 3 and model.rho == 0.95


def _no_sync_bn(cfg):
    """SyncBN needs a process group; the same model with BN builds on CPU."""
    if isinstance(cfg, dict):
        return {
            k: ('BN' if k == 'type' and v == 'SyncBN' else _no_sync_bn(v))
            for k, v in cfg.items()
        }
    if isinstance(cfg, (list, tuple)):
        return type(cfg)(_no_sync_bn(v) for v in cfg)
    return cfg


def test_channels_last_gives_the_same_logits():
    model = _build(seed=5).eval()
    frames = _randn(2, 3, 48, 64)
    with torch.no_grad():
        conf = model.stage_heads[0](_stage1_features(
            model, frames)).softmax(1).amax(1)
        # rho in the widest gap between confidences of the middle half, so
        # that float rounding of either layout cannot move a pixel across
        values = conf.flatten().sort().values
        mid = values[len(values) // 4:3 * len(values) // 4]
        k = int((mid[1:] - mid[:-1]).argmax())
        rho = float((mid[k] + mid[k + 1]) / 2)
        expected = model.cascade(frames, rho)
        model.channels_last = True
        out = model.cascade(frames, rho)
    assert 0 < expected[1][0].numel() < conf.numel()
    for (i_ref, l_ref), (i_out, l_out) in zip(expected, out):
        assert torch.equal(i_ref, i_out) if i_ref is not None else (i_out
                                                                    is None)
        torch.testing.assert_close(l_out, l_ref, rtol=1e-4, atol=1e-4)


def test_channels_last_model_converts_weights_and_loads_nchw_state():
    nchw = _build(seed=5).eval()
    model = _build(seed=1, channels_last=True).eval()
    convs = [p for p in model.parameters() if p.dim() == 4]
    assert convs and all(
        p.is_contiguous(memory_format=torch.channels_last) for p in convs)
    # a checkpoint saved from any layout loads, keeping channels-last
    model.load_state_dict(nchw.state_dict())
    assert all(
        p.is_contiguous(memory_format=torch.channels_last) for p in convs)
    frames = _randn(1, 3, 48, 64)
    with torch.no_grad():
        ref = nchw.cascade(frames, 1.0)[-1][1]
        out = model.cascade(frames, 1.0)[-1][1]
    torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('low,size,crop,align_corners', [
    ((8, 12), (64, 96), (0, 0, 64, 96), False),
    ((7, 9), (50, 70), (3, 5, 40, 61), False),
    ((7, 9), (50, 70), (0, 0, 50, 70), True),
    ((5, 6), (5, 6), (0, 0, 5, 6), False),
])
def test_upsample_labels_is_argmax_of_bilinear(low, size, crop, align_corners):
    from mmvidseg.models.video_models.deep_layer_cascade import upsample_labels
    gen = torch.Generator().manual_seed(0)
    # smooth logits: large uniform areas and some boundaries
    logits = torch.nn.functional.interpolate(
        torch.randn(1, 5, 3, 3, generator=gen) * 4, size=low,
        mode='bilinear') + 0.3 * torch.randn(
            1, 5, *low, generator=gen)
    top, left, h, w = crop
    expected = torch.nn.functional.interpolate(
        logits, size=size, mode='bilinear',
        align_corners=align_corners)[0, :, top:top + h,
                                     left:left + w].argmax(0)
    out = upsample_labels(logits[0], size, crop, align_corners)
    assert torch.equal(out, expected)


def test_rho_zero_decides_everything_at_stage_one():
    model = _build(seed=6, rho=0.0).eval()
    frames = _randn(2, 3, 32, 48, seed=3)
    with torch.no_grad():
        results = model.cascade(frames, 0.0)
        expected = model.stage_heads[0](_stage1_features(model, frames))
    assert [r[0].numel() for r in results[1:]] == [0, 0]
    torch.testing.assert_close(results[-1][1], expected)
    model.train()
    samples = [_seg_sample(32, 48, seed=i) for i in range(2)]
    losses = model.loss(frames, samples)
    assert losses['share_stage2'] == 0 and losses['loss_stage3'] == 0
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()
