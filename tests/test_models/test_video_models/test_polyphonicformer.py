# Copyright (c) OpenMMLab. All rights reserved.
"""PolyphonicFormer: depth queries beside Video K-Net's panoptic ones."""
import copy

import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData

from mmvidseg.testing import generate_toy_video

C = 32


def _poly_cfg(knet, **overrides):
    """The tiny Video K-Net of the conftest with PolyphonicFormer's depth
    parts."""
    cfg = knet.tiny_cfg()
    cfg['type'] = 'PolyphonicFormer'
    cfg['semantic_fpn']['type'] = 'DepthSemanticFPN'
    cfg['proposal_head']['type'] = 'DepthKernelProposalHead'
    cfg['iter_head']['type'] = 'DepthKernelIterHead'
    cfg['iter_head']['stage_head']['type'] = 'DepthKernelUpdateHead'
    cfg.update(overrides)
    return cfg


def _build(knet, **overrides):
    init_default_scope('mmvidseg')
    from mmvidseg.registry import MODELS
    torch.manual_seed(0)
    return MODELS.build(_poly_cfg(knet, **overrides))


def _with_depth(knet, seed, frames, key=0):
    """A toy clip whose frames carry ``gt_depth`` (metres, 0 on the sky)."""
    inputs, clip = knet.toy_clip(seed, frames, key=key)
    video = generate_toy_video(seed, num_frames=max(frames) + 1, height=32,
                               width=48)
    for t, sample in zip(frames, clip.video_data_samples):
        sample.gt_depth = PixelData(
            data=torch.from_numpy(video.depth[t].copy())[None])
    return inputs, clip


def _batch(knet):
    a, sa = _with_depth(knet, 1, [2, 3])
    b, sb = _with_depth(knet, 2, [4, 3])
    return torch.cat([a, b]), [sa, sb]


def test_video_stage_losses_and_gradients(knet):
    model = _build(knet)
    model.init_weights()
    inputs, samples = _batch(knet)
    losses = model.loss(inputs, samples)
    for key in ('loss_rpn_depth', 'ref_loss_rpn_depth', 's0_loss_depth',
                's1_loss_depth', 'ref_s1_loss_depth', 'loss_track'):
        assert key in losses, key
    for key, value in losses.items():
        assert torch.isfinite(value).all(), key
    sum(losses.values()).backward()
    stage = model.iter_head.stages[-1]
    for name in ('kernel_update_conv_depth', 'depth_attention', 'depth_ffn',
                 'fc_depth', 'feat_depth_transform'):
        grads = [p.grad for p in getattr(stage, name).parameters()]
        assert any(g is not None and g.abs().sum() > 0 for g in grads), name
    assert model.semantic_fpn.depth_conv.conv.weight.grad is not None
    assert model.proposal_head.conv_direct_depth.weight.grad is not None


def test_depth_queries_do_not_train_the_panoptic_queries(knet):
    """The depth query is added to the *detached* panoptic kernel: a loss on
    the depth maps alone gives no gradient to the panoptic update."""
    model = _build(knet)
    model.init_weights()
    inputs, samples = _batch(knet)
    frames, _ = model.to_frames(inputs, samples)
    init = model._initial(frames)
    results = model._stages(init)
    results[0]['depth_preds'].sum().backward()
    stage = model.iter_head.stages[0]
    assert stage.kernel_update_conv.fc_layer.weight.grad is None
    assert stage.attention.attn.in_proj_weight.grad is None
    assert stage.kernel_update_conv_depth.fc_layer.weight.grad is not None
    # the panoptic and the depth kernels start from the proposal head's
    k = init['kernels']
    assert results[0]['depth_kernels'].shape == k.shape
    assert torch.equal(init['depth_kernels'][0, 0],
                       model.proposal_head.conv_direct_depth.weight.flatten())


def test_image_stage_single_frames(knet):
    model = _build(knet, embed_head=None, tracker=None)
    a, sa = _with_depth(knet, 1, [2])
    losses = model.loss(a, [sa])
    assert 'loss_rpn_depth' in losses and 's1_loss_depth' in losses
    assert not any(k.startswith('ref_') for k in losses)


def test_predict_writes_the_panoptic_depth_map(knet):
    """Each panoptic segment carries its query's depth; other pixels the
    per-pixel depth."""
    model = _build(knet)
    model.eval()
    clip, sample = _with_depth(knet, 5, [0, 1])
    captured = []
    original = model._predict_frame

    def spy(frame, init, i, pad_shape):
        last, segments = original(frame, init, i, pad_shape)
        captured.append((init, last, segments))
        return last, segments

    model._predict_frame = spy
    with torch.no_grad():
        model.predict(clip, [sample])
    for frame, (init, last, segments) in zip(sample.video_data_samples,
                                             captured):
        depth = frame.pred_depth.data
        assert depth.shape == (1, 32, 48)
        assert (depth >= 0.01).all() and (depth <= 80.0).all()
        meta = frame.metainfo
        from mmvidseg.models.utils import logits_to_original
        act = model.proposal_head.activate
        pixel = logits_to_original(act(init['depth_preds'][0]), meta,
                                   (32, 48))[0]
        covered = torch.zeros(32, 48, dtype=torch.bool)
        for seg in segments:
            query = logits_to_original(
                act(last['depth_preds'][0, seg['kernel']][None]), meta,
                (32, 48))[0]
            assert torch.allclose(depth[0][seg['mask']], query[seg['mask']])
            covered |= seg['mask']
        assert torch.allclose(depth[0][~covered], pixel[~covered])


def test_plain_per_pixel_depth_ablation(knet):
    model = _build(knet, depth_queries=False)
    assert type(model.iter_head).__name__ == 'KernelIterHead'
    assert type(model.iter_head.stages[0]).__name__ == 'KernelUpdateHead'
    costs = [type(c).__name__ for c in model.iter_head.assigner.match_costs]
    assert 'DepthCost' not in costs
    inputs, samples = _batch(knet)
    losses = model.loss(inputs, samples)
    assert 'loss_rpn_depth' in losses and 's0_loss_depth' not in losses
    model.eval()
    clip, sample = _with_depth(knet, 5, [0])
    with torch.no_grad():
        model.predict(clip, [sample])
    assert sample.video_data_samples[0].pred_depth.data.shape == (1, 32, 48)


def test_depth_activation_modes_and_bad_input(knet):
    model = _build(knet, depth_act=dict(mode='monodepth', min_depth=0.1,
                                        max_depth=50.0))
    assert model.iter_head.depth_act['mode'] == 'monodepth'
    assert model.proposal_head.depth_act['max_depth'] == 50.0
    with pytest.raises(ValueError, match='depth_act mode'):
        _build(knet, depth_act=dict(mode='linear'))
    with pytest.raises(ValueError, match="task='vps'"):
        _build(knet, task='vss', thing_classes=[])
    # frames without depth cannot train
    inputs, clip = knet.toy_clip(1, [2])
    with pytest.raises(ValueError, match='gt_depth'):
        _build(knet).loss(inputs, [clip])
    stage = _build(knet).iter_head.stages[0]
    x = torch.randn(1, C, 8, 8)
    with pytest.raises(ValueError, match='depth_feats and depth_kernels'):
        stage(x, torch.randn(1, 11, C), torch.randn(1, 11, 8, 8))


def test_depth_cost_in_the_matching(knet):
    """A depth cost with weight > 0 sees the previous stage's depths."""
    cfg = _poly_cfg(knet)
    head = copy.deepcopy(cfg['iter_head'])
    head['assigner'] = dict(
        type='mmdet.HungarianAssigner',
        match_costs=[
            dict(type='mmdet.FocalLossCost', weight=2.0),
            dict(type='DepthCost', weight=5.0)
        ])
    model = _build(knet, iter_head=head)
    inputs, samples = _batch(knet)
    losses = model.loss(inputs, samples)
    assert torch.isfinite(losses['s1_loss_depth'])


def test_depth_targets_are_cell_means_of_valid_pixels():
    """The stride-4 depth targets stand for their cells' centres: the mean
    of each cell's valid (> 0) pixels; a ramp keeps its centre values and
    the sky (0) is left out of a cell it shares."""
    from mmvidseg.models.video_models.polyphonicformer import cell_mean_depth
    rows = torch.arange(8.)[:, None].expand(8, 8)
    ramp = 40.0 - 4.0 * rows  # a road: 40 m at row 0, 12 m at row 7
    depth = ramp.clone()[None]
    depth[0, :2, 4:] = 0.  # sky over the top half of the right cells
    out = cell_mean_depth(depth, 4)
    assert out.shape == (2, 2)
    # left cells: the ramp at the cells' centre rows (1.5 and 5.5)
    assert torch.allclose(out[:, 0], torch.tensor([34.0, 18.0]))
    # top-right: only rows 2-3 are valid, mean 40 - 4 * 2.5
    assert torch.allclose(out[:, 1], torch.tensor([30.0, 18.0]))
    assert cell_mean_depth(torch.zeros(1, 4, 4), 4).eq(0).all()


def test_depth_loss_per_query_averages_the_queries(knet):
    """``depth_loss_per_query``: the mean of every positive query's loss on
    its own mask, so a small thing weighs as much as a large stuff region;
    pooled (official, default) the large region dominates."""
    model = _build(knet)
    head = model.iter_head
    assert head.depth_loss_per_query is False
    target = torch.full((1, 8, 8), 20.0)
    target[0, :2, :2] = 5.0  # a small thing at 5 m
    thing = torch.zeros(8, 8)
    thing[:2, :2] = 1.0
    stuff = 1.0 - thing
    stuff[7] = 0.  # the sky: its row has no valid depth...
    target[0, 7] = 0.
    sky = torch.zeros(8, 8)
    sky[7] = 1.0  # ...and a query there has no valid pixel at all
    depths = torch.full((1, 4, 8, 8), 10.0)
    masks = [torch.stack([thing, stuff, sky])]
    pos = [torch.tensor([0, 2, 3])]
    pooled = head._depth_loss(depths, target, pos, masks)
    loss = head.loss_depth
    expected_pooled = loss(
        depths[0, [0, 2, 3]], target.expand(3, -1, -1), masks[0])
    assert torch.allclose(pooled, expected_pooled)
    head.depth_loss_per_query = True
    per_query = head._depth_loss(depths, target, pos, masks)
    expected = (loss(depths[0, 0], target[0], thing) +
                loss(depths[0, 2], target[0], stuff)) / 2
    assert torch.allclose(per_query, expected)
    assert per_query > pooled  # the thing's error (100 %) now counts half
    # no valid pixel at all: zero with a gradient path
    none = head._depth_loss(depths.requires_grad_(), torch.zeros_like(target),
                            pos, masks)
    assert none.item() == 0 and none.requires_grad
