# Copyright (c) OpenMMLab. All rights reserved.
"""TubeLink: losses with the link / contrastive loss on and off, tube
splitting, predictions of every task, tube-to-tube association."""
import copy

import pytest
import torch
from mmengine.registry import init_default_scope

from mmvidseg.structures import LABEL_DIVISOR, VOID_PANOPTIC

C = 32
EMBED = dict(
    type='mmdet.QuasiDenseEmbedHead',
    num_fcs=1,
    roi_feat_size=1,
    in_channels=C,
    fc_out_channels=C,
    embed_channels=C,
    loss_track=dict(type='mmdet.MultiPosCrossEntropyLoss', loss_weight=0.25),
    loss_track_aux=dict(
        type='mmdet.L2Loss',
        neg_pos_ub=3,
        pos_margin=0,
        neg_margin=0.1,
        hard_mining=True,
        loss_weight=1.0))
ATTN = dict(embed_dims=C, num_heads=4, dropout=0.0, batch_first=True)
FFN = dict(embed_dims=C, feedforward_channels=2 * C, num_fcs=2, ffn_drop=0.)
TINY = dict(
    type='TubeLink',
    task='vps',
    num_classes=6,
    thing_classes=[3, 4, 5],
    tube_size=2,
    backbone=dict(
        type='mmdet.ResNet',
        depth=18,
        base_channels=8,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        norm_cfg=dict(type='BN')),
    panoptic_head=dict(
        type='TubeMask2FormerHead',
        in_channels=[8, 16, 32, 64],
        strides=[4, 8, 16, 32],
        feat_channels=C,
        out_channels=C,
        num_queries=8,
        num_transformer_feat_level=3,
        pixel_decoder=dict(
            type='mmdet.MSDeformAttnPixelDecoder',
            num_outs=3,
            norm_cfg=dict(type='GN', num_groups=8),
            encoder=dict(
                num_layers=1,
                layer_cfg=dict(
                    self_attn_cfg=dict(
                        embed_dims=C,
                        num_heads=4,
                        num_levels=3,
                        num_points=2,
                        batch_first=True),
                    ffn_cfg=FFN)),
            positional_encoding=dict(num_feats=C // 2, normalize=True)),
        positional_encoding=dict(num_feats=C // 2, normalize=True),
        transformer_decoder=dict(
            return_intermediate=True,
            num_layers=3,
            layer_cfg=dict(
                self_attn_cfg=ATTN, cross_attn_cfg=ATTN, ffn_cfg=FFN),
            init_cfg=None),
        loss_cls=dict(
            type='mmdet.CrossEntropyLoss', use_sigmoid=False,
            loss_weight=2.0),
        loss_mask=dict(
            type='mmdet.CrossEntropyLoss', use_sigmoid=True,
            loss_weight=5.0),
        loss_dice=dict(
            type='mmdet.DiceLoss', use_sigmoid=True, naive_dice=True,
            eps=1.0, loss_weight=5.0),
        train_cfg=dict(
            num_points=64,
            assigner=dict(
                type='mmdet.HungarianAssigner',
                match_costs=[
                    dict(type='mmdet.ClassificationCost', weight=2.0),
                    dict(type='mmdet.CrossEntropyLossCost', weight=5.0,
                         use_sigmoid=True),
                    dict(type='mmdet.DiceCost', weight=5.0, pred_act=True,
                         eps=1.0)
                ]),
            sampler=dict(type='mmdet.MaskPseudoSampler'))),
    link_cfg=dict(num_heads=4, feedforward_channels=2 * C),
    embed_head=EMBED,
    tracker=dict(type='KernelQuasiDenseTracker', memo_tracklet_frames=10))


def build(**overrides):
    init_default_scope('mmvidseg')
    from mmvidseg.registry import MODELS
    cfg = copy.deepcopy(TINY)
    cfg.update(overrides)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def _batch(knet, frames=(0, 1, 2, 3), **kw):
    a, sa = knet.toy_clip(0, list(frames), **kw)
    b, sb = knet.toy_clip(1, [f + 1 for f in frames], **kw)
    return torch.cat([a, b]), [sa, sb]


@pytest.mark.parametrize('link,embed', [(True, True), (False, True),
                                        (False, False)])
def test_loss_finite_and_backward(knet, link, embed):
    model = build(with_link=link, embed_head=EMBED if embed else None)
    assert (model.link is not None) == link
    inputs, samples = _batch(knet)
    losses = model.loss(inputs, samples)
    assert ('loss_track' in losses) == embed
    for key in ('loss_cls', 'loss_mask', 'loss_dice', 'd0.loss_dice',
                'ref_loss_cls', 'ref_d1.loss_mask'):
        assert key in losses, key
    for key, value in losses.items():
        assert torch.isfinite(value).all(), key
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert model.panoptic_head.query_feat.weight.grad is not None
    if link:  # the linked queries only feed the embedding
        grad = model.link.attention.attn.in_proj_weight.grad
        assert grad is not None and grad.abs().sum() > 0
    if embed:
        assert model.fc_embed.weight.grad is not None


def test_link_needs_the_contrastive_loss():
    with pytest.raises(ValueError, match='needs an embed_head'):
        build(with_link=True, embed_head=None)


@pytest.mark.parametrize('size', [4, 5])
def test_one_tube_per_clip_has_no_reference_losses(knet, size):
    model = build(tube_size=size)
    losses = model.loss(*_batch(knet))
    assert 'loss_cls' in losses and 'ref_loss_cls' not in losses
    assert 'loss_track' not in losses


def test_clip_must_split_into_tubes(knet):
    model = build(tube_size=2)
    with pytest.raises(ValueError, match='tubes of 2'):
        model.loss(*_batch(knet, frames=(0, 1, 2)))
    with pytest.raises(ValueError, match='tube_size'):
        build(tube_size=0)
    with pytest.raises(ValueError, match='overlap'):
        build(test_cfg=dict(overlap=2))
    with pytest.raises(ValueError, match='thing_classes'):
        build(task='vss')


def test_head_splits_frames_into_tubes():
    model = build()
    frames = torch.randn(6, 3, 32, 32)
    for size in (1, 2, 3):
        cls_preds, mask_preds, queries = model._segment(frames, size)
        assert cls_preds[-1].shape == (6 // size, 8, 7)
        assert mask_preds[-1].shape == (6 // size, 8, size, 8, 8)
        assert queries.shape == (6 // size, 8, C)
        assert len(cls_preds) == 4  # initial queries + 3 layers
    with pytest.raises(ValueError, match='tubes of 4'):
        model._segment(frames, 4)


@pytest.mark.parametrize('size,overlap,spans', [
    (2, 0, [(0, 2), (2, 4), (4, 5)]),
    (3, 1, [(0, 3), (2, 5)]),
    (1, 0, [(i, i + 1) for i in range(5)]),
])
def test_tube_spans(size, overlap, spans):
    model = build(tube_size=size, test_cfg=dict(overlap=overlap))
    assert model._tube_spans(5) == spans
    model = build(test_cfg=dict(tube_size=size, overlap=overlap))
    assert model._tube_spans(5) == spans


def _loose(**kw):
    """Thresholds at 0 so an untrained model outputs segments."""
    return dict(object_mask_thr=0., iou_thr=0., **kw)


@pytest.mark.parametrize('size,overlap', [(1, 0), (2, 0), (2, 1), (4, 0)])
def test_predict_vps(knet, size, overlap):
    model = build(test_cfg=_loose(tube_size=size, overlap=overlap)).eval()
    clip, sample = knet.toy_clip(5, [0, 1, 2, 3, 4])
    with torch.no_grad():
        out = model.predict(clip, [sample])
    assert model._tube_index == len(model._tube_spans(5))
    for frame in out[0].video_data_samples:
        pan = frame.pred_panoptic_seg.sem_seg
        sem = frame.pred_sem_seg.data
        assert pan.shape == (1, 32, 48) and sem.shape == (1, 32, 48)
        classes = pan // LABEL_DIVISOR
        valid = pan != VOID_PANOPTIC
        assert ((classes[valid] >= 0) & (classes[valid] < 6)).all()
        assert (sem[valid] == classes[valid]).all()
        # stuff has track 0
        stuff = valid & (classes < 3)
        assert (pan[stuff] % LABEL_DIVISOR == 0).all()
        inst = frame.pred_track_instances
        assert inst.masks.shape[1:] == (32, 48)
        assert ((inst.labels >= 3) & (inst.labels < 6)).all()
        assert (inst.instances_id > 0).all()


def test_tracker_links_identical_tubes(knet):
    """Two identical tubes (no link: identical queries) get the same
    track ids from the tracker."""
    model = build(
        with_link=False,
        tracker=dict(
            type='KernelQuasiDenseTracker',
            init_score_thr=0.,
            obj_score_thr=0.,
            match_metric='cosine'),
        test_cfg=_loose()).eval()
    with torch.no_grad():  # every query says "car" (internal label 0)
        model.panoptic_head.cls_embed.bias[0] = 10.
    clip, sample = knet.toy_clip(3, [0, 1, 0, 1])
    for t, frame in enumerate(sample.video_data_samples):
        frame.set_metainfo(dict(frame_id=t))
    with torch.no_grad():
        out = model.predict(clip, [sample])[0].video_data_samples
    first, third = out[0].pred_track_instances, out[2].pred_track_instances
    assert len(first) > 0
    assert sorted(first.instances_id.tolist()) == sorted(
        third.instances_id.tolist())
    assert torch.equal(out[0].pred_panoptic_seg.sem_seg,
                       out[2].pred_panoptic_seg.sem_seg)
    assert model.tracker.num_tracks == len(first)


def test_predict_vss(knet):
    model = build(
        task='vss',
        num_classes=3,
        thing_classes=[],
        with_link=False,
        embed_head=None,
        tracker=None).eval()
    clip, sample = knet.toy_clip(2, [0, 1, 2])
    for frame in sample.video_data_samples:
        frame.gt_sem_seg.data.clamp_(max=2)
    losses = model.loss(*_batch(knet, with_sem=True))
    assert torch.isfinite(sum(losses.values()))
    with torch.no_grad():
        out = model.predict(clip, [sample])
    for frame in out[0].video_data_samples:
        sem = frame.pred_sem_seg.data
        assert sem.shape == (1, 32, 48)
        assert ((sem >= 0) & (sem < 3)).all()


def test_predict_vis(knet):
    model = build(
        task='vis',
        num_classes=3,
        thing_classes=[0, 1, 2],
        test_cfg=dict(max_per_video=5)).eval()
    clip, sample = knet.toy_clip(4, [0, 1, 2, 3, 4], with_sem=False)
    with torch.no_grad():
        out = model.predict(clip, [sample])[0].video_data_samples
    for frame in out:
        inst = frame.pred_track_instances
        assert inst.masks.shape == (5, 32, 48)
        assert inst.masks.dtype == torch.bool
        assert inst.instances_id.tolist() == list(range(5))
        assert torch.equal(inst.labels, out[0].pred_track_instances.labels)
        assert ((inst.scores >= 0) & (inst.scores <= 1)).all()


def test_vis_query_matching_undoes_a_permutation():
    embeds = torch.randn(6, 4)
    perm = torch.tensor([3, 0, 5, 1, 2, 4])
    from mmvidseg.models.video_models.tube_link import TubeLink
    back = TubeLink._match_queries(embeds[perm], embeds)
    assert torch.equal(embeds[perm][back], embeds)


def test_mask_scores():
    from mmvidseg.models.video_models.tube_link import mask_scores
    logits = torch.full((3, 2, 2), -4.0)
    logits[0] = 2.0  # a full confident mask
    logits[1, 0, 0] = 0.0  # sigmoid 0.5, but not in the mask (> 0)
    logits[1, 1, 1] = 4.0  # one confident pixel
    scores = mask_scores(logits, logits > 0)
    assert torch.allclose(scores[0], torch.sigmoid(torch.tensor(2.0)), 1e-4)
    assert torch.allclose(scores[1], torch.sigmoid(torch.tensor(4.0)), 1e-4)
    assert scores[2] == 0  # an empty mask scores 0
    with pytest.raises(ValueError, match='differ in shape'):
        mask_scores(logits, logits[:2] > 0)


def test_vis_scores_with_and_without_mask_scores(knet):
    """``test_cfg.mask_score`` scales each frame's class scores by the mask
    scores; the instances, masks and class ranking stay the same."""
    clip, sample = knet.toy_clip(4, [0, 1, 2, 3, 4], with_sem=False)
    outs = {}
    for flag in (False, True):
        torch.manual_seed(0)
        model = build(
            task='vis',
            num_classes=3,
            thing_classes=[0, 1, 2],
            test_cfg=dict(max_per_video=5, mask_score=flag)).eval()
        with torch.no_grad():
            outs[flag] = model.predict(clip, [copy.deepcopy(sample)
                                              ])[0].video_data_samples
    for plain, scaled in zip(outs[False], outs[True]):
        a, b = plain.pred_track_instances, scaled.pred_track_instances
        assert torch.equal(a.masks, b.masks)
        assert torch.equal(a.labels, b.labels)
        # the class scores of a video are the same on every frame
        assert torch.equal(a.scores,
                           outs[False][0].pred_track_instances.scores)
        # scaled by a mask score in (0, 1], 0 for an empty mask
        empty = ~b.masks.flatten(1).any(1)
        assert (b.scores[empty] == 0).all()
        assert (b.scores[~empty] > 0).all()
        assert (b.scores[~empty] <= a.scores[~empty] + 1e-6).all()


def _fine_head(channels=8):
    head = copy.deepcopy(TINY['panoptic_head'])
    head['fine_mask_in_channels'] = channels  # the R18-w8 stem
    return head


def test_stride2_masks_shapes_and_losses(knet):
    """``fine_mask_in_channels``: masks at stride 2 (the stem fused into
    the mask feature), stride-2 targets train, gradients reach the new
    convs and the stem through them."""
    model = build(panoptic_head=_fine_head(), mask_target_stride=2)
    frames = torch.randn(4, 3, 32, 32)
    cls_preds, mask_preds, queries = model._segment(frames, 2)
    assert cls_preds[-1].shape == (2, 8, 7)
    assert mask_preds[-1].shape == (2, 8, 2, 16, 16)
    assert queries.shape == (2, 8, C)
    # the hook that grabs the stem is removed afterwards
    assert not model.backbone.maxpool._forward_pre_hooks
    losses = model.loss(*_batch(knet))
    for key, value in losses.items():
        assert torch.isfinite(value).all(), key
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    head = model.panoptic_head
    for param in (head.fine_lateral_conv.conv.weight,
                  head.fine_output_conv.conv.weight,
                  head.fine_mask_feature.weight):
        assert param.grad is not None and param.grad.abs().sum() > 0
    with pytest.raises(ValueError, match='fine_feat'):
        head(model.backbone(frames), 2)


def test_stride2_masks_change_the_output_only_by_new_parameters(knet):
    """The option adds only the ``fine_*`` parameters (off by default: a
    checkpoint of the default model loads into the rest) and, with the
    same shared weights, changes the masks; VIS prediction runs."""
    torch.manual_seed(0)
    plain = build(task='vis', num_classes=3, thing_classes=[0, 1, 2],
                  test_cfg=dict(max_per_video=5)).eval()
    fine = build(task='vis', num_classes=3, thing_classes=[0, 1, 2],
                 panoptic_head=_fine_head(),
                 test_cfg=dict(max_per_video=5)).eval()
    assert not any('fine' in k for k in plain.state_dict())
    missing, unexpected = fine.load_state_dict(
        plain.state_dict(), strict=False)
    assert not unexpected
    assert missing and all(k.startswith('panoptic_head.fine_')
                           for k in missing)
    frames = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        _, plain_masks, _ = plain._segment(frames, 2)
        _, fine_masks, _ = fine._segment(frames, 2)
    assert plain_masks[-1].shape[-2:] == (8, 8)
    assert fine_masks[-1].shape[-2:] == (16, 16)
    pooled = torch.nn.functional.avg_pool2d(
        fine_masks[-1].flatten(0, 2), 2).view_as(plain_masks[-1])
    assert not torch.allclose(pooled, plain_masks[-1], atol=1e-3)
    clip, sample = knet.toy_clip(4, [0, 1, 2, 3, 4], with_sem=False)
    with torch.no_grad():
        out = fine.predict(clip, [sample])[0].video_data_samples
    for frame in out:
        assert frame.pred_track_instances.masks.shape == (5, 32, 48)
