# Copyright (c) OpenMMLab. All rights reserved.
"""VideoKNet: losses of every ablation path, predictions of every task."""
import pytest
import torch

from mmvidseg.structures import LABEL_DIVISOR, VOID_PANOPTIC

# (embedding head, kernel linking, kernel fusion)
ABLATIONS = [(True, True, True), (True, True, False), (True, False, False),
             (False, False, False), (False, True, True), (True, False, True)]


def _batch(knet):
    a, sa = knet.toy_clip(0, [2, 3], key=0)
    b, sb = knet.toy_clip(1, [4, 6], key=1)
    return torch.cat([a, b]), [sa, sb]


def _ablation(knet, embed, link, fusion, **kw):
    overrides = dict(
        iter_head=dict(with_link=link, with_fusion=fusion), **kw)
    if not embed:
        overrides['embed_head'] = None
        overrides['tracker'] = dict(
            type='KernelQuasiDenseTracker', match_metric='cosine')
    return knet.build_tiny(**overrides)


@pytest.mark.parametrize('embed,link,fusion', ABLATIONS)
def test_ablation_paths_loss_and_predict(knet, embed, link, fusion):
    model = _ablation(knet, embed, link, fusion)
    model.init_weights()
    inputs, samples = _batch(knet)
    losses = model.loss(inputs, samples)
    assert ('loss_track' in losses) == embed
    assert 's2_loss_cls' not in losses and 's1_loss_dice' in losses
    assert 'ref_s1_loss_mask' in losses and 'loss_rpn_seg' in losses
    for key, value in losses.items():
        assert torch.isfinite(value).all(), key
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    head = model.iter_head.stages[-1]
    assert hasattr(head, 'link_attention') == link
    assert hasattr(head, 'fusion_attention') == fusion
    if link:  # the linked kernels only feed the embedding
        grad = head.link_attention.attn.in_proj_weight.grad
        assert (grad is not None) == embed
    if fusion:
        assert head.fusion_attention.attn.in_proj_weight.grad is not None
    if embed:
        assert model.embed_head.fc_embed.weight.grad is not None

    model.eval()
    clip, sample = knet.toy_clip(5, [0, 1, 2])
    with torch.no_grad():
        out = model.predict(clip, [sample])
    for frame in out[0].video_data_samples:
        pan = frame.pred_panoptic_seg.sem_seg
        sem = frame.pred_sem_seg.data
        assert pan.shape == (1, 32, 48) and sem.shape == (1, 32, 48)
        cls = pan // LABEL_DIVISOR
        valid = pan != VOID_PANOPTIC
        assert torch.equal(cls[valid], sem[valid])
        assert (sem[~valid] == 255).all()
        inst = frame.pred_track_instances
        assert inst.masks.shape[1:] == (32, 48)
        assert len(inst.masks) == len(inst.labels) == len(inst.instances_id)


def test_panoptic_frames_and_tracker_state(knet):
    """Panoptic ids from hand-made kernel outputs; ids persist over frames
    and the tracker restarts with every video."""
    from mmdet.structures import DetDataSample
    model = knet.build_tiny(
        embed_head=None,
        tracker=dict(type='KernelQuasiDenseTracker', match_metric='cosine'))
    model.eval()
    n, h, w = 8, 16, 16
    cls = torch.zeros(n + 3, 6)
    cls[0, 0] = 0.9  # a car (thing label 0 = class 3)
    cls[1, 2] = 0.8  # a ball (thing label 2 = class 5)
    cls[n:, 3:] = torch.eye(3) * 0.9  # stuff kernels: road, sky, building
    masks = torch.full((n + 3, h, w), 0.01)
    masks[0, :4, :4] = 0.95
    masks[1, 10:, 10:] = 0.95
    masks[n + 1] = 0.6  # sky everywhere else
    kernels = torch.randn(1, n + 3, 32)
    last = dict(kernels=kernels, track_kernels=kernels)
    frames = []
    for t in range(3):
        frame = DetDataSample(metainfo=dict(frame_id=t, video_id=0))
        model._panoptic_frame(frame, last, cls, masks, t)
        frames.append(frame)
    pan = frames[0].pred_panoptic_seg.sem_seg[0]
    ids = frames[0].pred_track_instances.instances_id.tolist()
    assert sorted(ids) == [1, 2]
    car = int(pan[0, 0])
    assert car // LABEL_DIVISOR == 3 and car % LABEL_DIVISOR in (1, 2)
    assert int(pan[15, 15]) // LABEL_DIVISOR == 5
    assert int(pan[8, 0]) == 1 * LABEL_DIVISOR  # sky, stuff track 0
    assert frames[0].pred_sem_seg.data[0, 8, 0] == 1
    for frame in frames[1:]:
        assert torch.equal(frame.pred_panoptic_seg.sem_seg,
                           frames[0].pred_panoptic_seg.sem_seg)
    assert model.tracker.num_tracks == 2
    # a new video restarts the memory
    clip, sample = knet.toy_clip(8, [0])
    with torch.no_grad():
        model.predict(clip, [sample])
    first = sample.video_data_samples[0].pred_track_instances
    assert model.tracker.num_tracks == len(first)


def test_frames_one_by_one_equal_whole_clip(knet):
    """TrackImgSampler-style samples give the same maps as a whole clip."""
    model = knet.build_tiny()
    model.eval()
    clip, sample = knet.toy_clip(3, [0, 1, 2])
    with torch.no_grad():
        model.predict(clip, [sample])
        singles = []
        for t in range(3):
            one, one_sample = knet.toy_clip(3, [0, 1, 2])
            one_sample.video_data_samples = [one_sample.video_data_samples[t]]
            model.predict(one[:, t:t + 1], [one_sample])
            singles.append(one_sample.video_data_samples[0])
    for whole, single in zip(sample.video_data_samples, singles):
        assert torch.equal(whole.pred_panoptic_seg.sem_seg,
                           single.pred_panoptic_seg.sem_seg)


def test_vss_task(knet):
    model = knet.build_tiny(
        task='vss', thing_classes=[], embed_head=None, tracker=None,
        iter_head=dict(with_link=False, with_fusion=True))
    assert model.num_proposals == 0 and model.tracker is None
    inputs, samples = _batch(knet)
    losses = model.loss(inputs, samples)
    assert 'loss_track' not in losses
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    model.eval()
    clip, sample = knet.toy_clip(2, [0, 1])
    with torch.no_grad():
        model.predict(clip, [sample])
    sem = sample.video_data_samples[1].pred_sem_seg.data
    assert sem.shape == (1, 32, 48)
    assert set(sem.unique().tolist()) <= set(range(6))


def test_vis_task(knet):
    clip_head = dict(
        type='KernelClipIterHead',
        num_stages=2,
        assign_stages=1,
        stage_head=dict(
            type='KernelUpdateHead', in_channels=32,
            feedforward_channels=64, num_heads=4))
    focal = dict(type='mmdet.FocalLoss', use_sigmoid=True, loss_weight=1.0)
    model = knet.build_tiny(
        task='vis', num_classes=3, thing_classes=[0, 1, 2],
        embed_head=None, tracker=None, clip_head=clip_head,
        proposal_head=dict(loss_seg=focal),
        iter_head=dict(with_link=False, with_fusion=False),
        test_cfg=dict(max_per_video=5))
    inputs, samples = [], []
    for seed in (0, 1):
        x, s = knet.toy_clip(seed, [0, 1, 2], with_sem=False)
        for frame in s.video_data_samples:
            frame.gt_instances.labels -= 3  # toy things 3..5 -> 0..2
        inputs.append(x)
        samples.append(s)
    losses = model.loss(torch.cat(inputs), samples)
    assert 'clip_s0_loss_cls' in losses and 'clip_s0_loss_dice' in losses
    # the per-frame stage has no classifier and no class loss
    assert 'clip_s1_loss_dice' in losses
    assert 'clip_s1_loss_cls' not in losses
    assert model.clip_head.stages[1].fc_cls is None
    for value in losses.values():
        assert torch.isfinite(value).all()
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert model.clip_head.stages[0].fc_cls.weight.grad is not None
    model.eval()
    video, sample = knet.toy_clip(4, [0, 1, 2, 3], with_sem=False)
    with torch.no_grad():
        model.predict(video, [sample])
    ids = None
    for frame in sample.video_data_samples:
        inst = frame.pred_track_instances
        assert inst.masks.shape == (5, 32, 48)
        assert inst.masks.dtype == torch.bool
        assert set(inst.labels.tolist()) <= {0, 1, 2}
        # one track per clip-level kernel: same ids and scores every frame
        if ids is None:
            ids, scores = inst.instances_id, inst.scores
        assert torch.equal(inst.instances_id, ids)
        assert torch.equal(inst.scores, scores)


def test_tensor_mode_and_bad_configs(knet):
    model = knet.build_tiny()
    clip, _ = knet.toy_clip(0, [0, 1])
    cls, masks = model(clip, mode='tensor')
    assert cls.shape == (2, 8 + 3, 6) and masks.shape == (2, 8 + 3, 8, 12)
    with pytest.raises(ValueError, match='invalid mode'):
        model(clip, mode='nope')
    with pytest.raises(ValueError, match='task'):
        knet.build_tiny(task='vos')
    with pytest.raises(ValueError, match='thing_classes'):
        knet.build_tiny(thing_classes=[3, 9])
    with pytest.raises(ValueError, match='vss'):
        knet.build_tiny(task='vss')
    with pytest.raises(ValueError, match='vis'):
        knet.build_tiny(task='vis')


def test_rank_loss_option(knet):
    rank = dict(type='mmdet.CrossEntropyLoss', loss_weight=0.1)
    model = knet.build_tiny(
        proposal_head=dict(loss_rank=rank), iter_head=dict(loss_rank=rank))
    inputs, samples = _batch(knet)
    losses = model.loss(inputs, samples)
    for key in ('loss_rpn_rank', 's0_loss_rank', 's1_loss_rank',
                'ref_s1_loss_rank'):
        assert torch.isfinite(losses[key]) and losses[key] > 0


def test_training_targets_are_instance_data(knet):
    """Per frame ``gt_instances`` (things with their track ids, then the
    stuff present) and ``gt_sem_seg`` at the assignment stride."""
    from mmengine.structures import InstanceData, PixelData
    model = knet.build_tiny()
    inputs, samples = _batch(knet)
    frames, frame_samples = model.to_frames(inputs, samples)
    gts, sems = model._targets(frame_samples, frames.shape[-2:])
    assert len(gts) == len(sems) == len(frame_samples) == 4
    for gt, sem, sample in zip(gts, sems, frame_samples):
        assert isinstance(gt, InstanceData) and isinstance(sem, PixelData)
        assert gt.masks.shape[-2:] == (8, 12) == sem.sem_seg.shape[-2:]
        things = gt.labels < model.num_thing_classes
        # the toy things (dataset classes 3..5) are internal labels 0..2
        assert sorted(gt.instances_ids[things].tolist()) == sorted(
            sample.gt_instances.instances_ids.tolist())
        assert sorted(model.internal_to_dataset[gt.labels[things]].tolist(
        )) == sorted(sample.gt_instances.labels.tolist())
        # things first, then one segment per stuff class present
        assert not things[things.sum():].any()
        assert (gt.instances_ids[~things] == -1).all()
        stuff = gt.labels[~things]
        assert stuff.tolist() == sorted(set(stuff.tolist()))


def test_embedding_goes_through_the_official_embed_fcs(knet):
    """Linear(no bias)-LN-ReLU + Linear before the embedding head, as the
    official ``embed_fcs`` / ``fc_embed``; ``num_embed_fcs=0`` drops them."""
    model = knet.build_tiny()
    c = model.embed_head.in_channels
    linear, norm, act, = model.embed_fcs
    assert linear.weight.shape == (c, c) and linear.bias is None
    assert isinstance(norm, torch.nn.LayerNorm)
    assert isinstance(act, torch.nn.ReLU)
    assert model.fc_embed.weight.shape == (c, c)
    kernels = torch.randn(5, c)
    expected = model.embed_head(model.fc_embed(model.embed_fcs(kernels)))
    assert torch.allclose(model.embed(kernels), expected)
    inputs, samples = _batch(knet)
    losses = model.loss(inputs, samples)
    losses['loss_track'].backward()
    assert model.embed_fcs[0].weight.grad is not None
    plain = knet.build_tiny(num_embed_fcs=0)
    assert plain.embed_fcs is None and plain.fc_embed is None
    assert not any(k.startswith(('embed_fcs', 'fc_embed'))
                   for k in plain.state_dict())


def test_key_and_reference_frames_each_carry_full_rpn_losses(knet):
    """As the official joint training: the initial-kernel losses of the
    key frames and of the reference frames are separate terms (summed by
    the optimiser), not one average over all frames."""
    model = knet.build_tiny()
    clip, sample = knet.toy_clip(0, [2, 2], key=0)  # same frame twice
    losses = model.loss(clip, [sample])
    for name in ('mask', 'dice', 'seg'):
        key, ref = losses[f'loss_rpn_{name}'], losses[f'ref_loss_rpn_{name}']
        assert torch.isfinite(key) and key > 0
        assert torch.allclose(key, ref)
    # one frame only: no reference terms
    single, sample1 = knet.toy_clip(0, [2], key=0)
    assert 'ref_loss_rpn_mask' not in model.loss(single, [sample1])
