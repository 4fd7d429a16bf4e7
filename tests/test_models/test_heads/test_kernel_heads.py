# Copyright (c) OpenMMLab. All rights reserved.
"""Semantic FPN, kernel heads, targets, post-processing and the tracker."""
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData, PixelData
from mmdet.structures import DetDataSample

from mmvidseg.models import (KernelIterHead, KernelProposalHead,
                             KernelQuasiDenseTracker, KernelUpdateHead,
                             KNetSemanticFPN, panoptic_merge, semantic_argmax)
from mmvidseg.models.heads.kernel_targets import clip_targets, frame_targets


@pytest.fixture(autouse=True)
def scope():
    init_default_scope('mmvidseg')
    torch.manual_seed(0)


def _pyramid(batch=2, channels=16, height=32, width=48):
    return [
        torch.randn(batch, channels, height // 2**i, width // 2**i)
        for i in range(4)
    ]


@pytest.mark.parametrize('out_level', [0, 1])
def test_semantic_fpn_shapes(out_level):
    fpn = KNetSemanticFPN(16, 16, 24, out_level=out_level,
                          norm_cfg=dict(type='GN', num_groups=4))
    loc, sem = fpn(_pyramid())
    expect = (2, 24, 32 // 2**out_level, 48 // 2**out_level)
    assert loc.shape == expect and sem.shape == expect
    # official layout: level i has max(i, 1) convs
    assert [len([m for m in seq if hasattr(m, 'conv')])
            for seq in fpn.convs_all_levels] == [1, 1, 2, 3]


def test_semantic_fpn_positional_encoding_and_errors():
    fpn = KNetSemanticFPN(
        16, 16, 16,
        positional_encoding=dict(
            type='mmdet.SinePositionalEncoding', num_feats=8,
            normalize=True))
    feats = _pyramid()
    loc_pe, _ = fpn(feats)
    fpn.positional_encoding = None
    loc, _ = fpn(feats)
    assert not torch.allclose(loc, loc_pe)
    with pytest.raises(ValueError, match='out_level'):
        KNetSemanticFPN(16, 16, 16, start_level=1, out_level=0)
    with pytest.raises(ValueError, match='levels up to 3'):
        fpn(feats[:3])


def test_kernel_update_head_frame_and_clip():
    head = KernelUpdateHead(5, in_channels=16, feedforward_channels=32,
                            num_heads=4)
    head.init_weights()
    x = torch.randn(2, 16, 8, 12)
    kernels = torch.randn(2, 7, 16)
    out = head(x, kernels, torch.randn(2, 7, 4, 6))
    assert out['cls_scores'].shape == (2, 7, 5)
    assert out['mask_preds'].shape == (2, 7, 8, 12)
    assert out['kernels'].shape == (2, 7, 16)
    # without linking the track kernels are the kernels
    assert out['track_kernels'] is out['kernels']
    clip = head(torch.randn(2, 3, 16, 8, 12), kernels,
                torch.randn(2, 7, 3, 8, 12))
    assert clip['mask_preds'].shape == (2, 7, 3, 8, 12)
    # classifier bias prior 0.01
    assert torch.allclose(head.fc_cls.bias.sigmoid(),
                          torch.full((5, ), 0.01), atol=1e-6)


def test_kernel_update_head_fusion_and_link():
    head = KernelUpdateHead(5, in_channels=16, feedforward_channels=32,
                            num_heads=4, with_fusion=True, with_link=True)
    head.eval()
    x, kernels = torch.randn(1, 16, 8, 12), torch.randn(1, 7, 16)
    masks = torch.randn(1, 7, 8, 12)
    alone = head(x, kernels, masks)
    prev = torch.randn(1, 7, 16)
    linked = head(x, kernels, masks, prev_kernels=prev)
    # fusion changes the kernels, linking gives separate track kernels
    assert not torch.allclose(alone['kernels'], linked['kernels'])
    assert not torch.allclose(linked['track_kernels'], linked['kernels'])
    other = head(x, kernels, masks, prev_kernels=torch.randn(1, 7, 16))
    assert not torch.allclose(other['track_kernels'],
                              linked['track_kernels'])


def test_proposal_head_outputs_and_vss_mode():
    head = KernelProposalHead(
        num_proposals=6, num_thing_classes=2, num_stuff_classes=3,
        in_channels=16, norm_cfg=dict(type='GN', num_groups=4))
    head.init_weights()
    loc, sem = torch.randn(2, 16, 8, 12), torch.randn(2, 16, 8, 12)
    out = head(loc, sem)
    assert out['kernels'].shape == (2, 6 + 3, 16)
    assert out['mask_preds'].shape == (2, 6 + 3, 8, 12)
    assert out['seg_preds'].shape == (2, 5, 8, 12)
    # stuff kernels are the stuff rows of conv_seg, stuff masks its logits
    assert torch.equal(out['kernels'][0, 6:],
                       head.conv_seg.weight.flatten(1)[2:])
    assert torch.equal(out['mask_preds'][:, 6:], out['seg_preds'][:, 2:])
    vss = KernelProposalHead(
        num_proposals=0, num_thing_classes=0, num_stuff_classes=3,
        in_channels=16, norm_cfg=dict(type='GN', num_groups=4))
    out = vss(loc, sem)
    assert out['kernels'].shape == (2, 3, 16)


def _frame_sample(semantic, instance, labels):
    h, w = semantic.shape
    s = DetDataSample(metainfo=dict(img_shape=(h, w)))
    ids = sorted(labels)
    s.gt_instances = InstanceData(
        masks=np.stack([instance == i for i in ids]).astype(np.uint8),
        labels=torch.tensor([labels[i] for i in ids]),
        instances_ids=torch.tensor(ids))
    s.gt_sem_seg = PixelData(data=torch.from_numpy(semantic)[None].long())
    return s


def _label_map(things=(3, 4), stuff=(0, 1, 2)):
    lm = torch.full((256, ), 255, dtype=torch.long)
    for k, c in enumerate(list(things) + list(stuff)):
        lm[c] = k
    return lm


def test_frame_and_clip_targets():
    semantic = np.zeros((8, 8), np.int64)
    semantic[:4] = 1  # class 1 (stuff) on top, class 0 below
    semantic[0, 0] = 255  # void
    instance = np.zeros((8, 8), np.int64)
    instance[4:8, 0:4] = 7
    semantic[4:8, 0:4] = 4  # thing class 4, track 7
    sample = _frame_sample(semantic, instance, {7: 4})
    t = frame_targets(sample, _label_map(), 2, 3, (8, 8), (4, 4),
                      torch.device('cpu'))
    assert t['thing_labels'].tolist() == [1]  # class 4 -> thing label 1
    assert t['thing_ids'].tolist() == [7]
    assert t['thing_masks'].shape == (1, 4, 4)
    assert t['thing_masks'][0, 2:, :2].eq(1).all()
    assert t['thing_masks'].sum() == 4
    # stuff present: class 0 (label 0) and class 1 (label 1)
    assert t['stuff_labels'].tolist() == [0, 1]
    # area downsampling: the void pixel lowers the coverage of one cell
    assert t['stuff_masks'][1, 0, 0] == pytest.approx(0.75)
    assert t['seg_map'][0, 0] == 255 and t['seg_map'][3, 0] == 1
    assert t['seg_map'][0, 3] == 3  # class 1 -> internal 2 + 1
    # padding: targets of a larger padded input
    t_pad = frame_targets(sample, _label_map(), 2, 3, (16, 8), (8, 4),
                          torch.device('cpu'))
    assert (t_pad['seg_map'][4:] == 255).all()
    # clip targets: tubes by track id, zero where the track is absent
    other = dict(t, thing_ids=torch.tensor([9]))  # another track
    tube = clip_targets([t, other])
    assert tube['thing_ids'].tolist() == [7, 9]
    assert tube['thing_masks'].shape == (2, 2, 4, 4)
    assert tube['thing_masks'][0, 1].sum() == 0
    assert tube['thing_masks'][1, 0].sum() == 0
    assert tube['seg_map'].shape == (2, 4, 4)


def test_iter_head_loss_and_assignment():
    head = KernelIterHead(
        num_stages=2, num_proposals=4, num_thing_classes=2,
        num_stuff_classes=2,
        stage_head=dict(type='KernelUpdateHead', in_channels=16,
                        feedforward_channels=32, num_heads=4))
    x = torch.randn(1, 16, 8, 8)
    kernels = torch.randn(1, 6, 16, requires_grad=True)
    masks = torch.randn(1, 6, 8, 8)
    results = head(x, kernels, masks)
    assert len(results) == 2
    thing = torch.zeros(1, 8, 8)
    thing[0, :4, :4] = 1
    target = dict(
        thing_masks=thing, thing_labels=torch.tensor([1]),
        thing_ids=torch.tensor([3]),
        stuff_masks=torch.ones(1, 8, 8) - thing,
        stuff_labels=torch.tensor([1]),
        seg_map=torch.zeros(8, 8, dtype=torch.long))
    losses, final = head.loss(results, masks, [target])
    assert set(losses) == {
        f's{s}_loss_{k}' for s in range(2) for k in ('cls', 'mask', 'dice')
    }
    assert all(torch.isfinite(v) for v in losses.values())
    pos, gt = final[0]
    assert len(pos) == 1 and gt.tolist() == [0] and pos.item() < 4
    sum(losses.values()).backward()
    assert kernels.grad is not None


def test_rank_loss_matches_pixel_cross_entropy():
    from mmvidseg.models.heads.kernel_iter_head import rank_loss
    from mmvidseg.registry import MODELS
    loss_fn = MODELS.build(
        dict(type='mmdet.CrossEntropyLoss', avg_non_ignore=True))
    logits = torch.randn(1, 3, 4, 4)
    a = torch.zeros(4, 4)
    a[:2] = 1
    b = torch.zeros(4, 4)
    b[3] = 1
    loss = rank_loss(loss_fn, logits, [(0, torch.tensor([2, 0]))],
                     [torch.stack([a, b])])
    target = torch.full((1, 4, 4), 255, dtype=torch.long)
    target[0, :2] = 2
    target[0, 3] = 0
    expect = torch.nn.functional.cross_entropy(
        logits, target, ignore_index=255)
    assert loss.item() == pytest.approx(expect.item(), rel=1e-5)
    # nothing positive: a zero that keeps the graph
    zero = rank_loss(loss_fn, logits.requires_grad_(), [], [])
    assert zero.item() == 0 and zero.requires_grad


def test_panoptic_merge_rules():
    h = w = 8
    masks = torch.zeros(4, h, w)
    masks[0, :4, :4] = 0.9  # thing proposal 0
    masks[1, :4, :5] = 0.8  # thing proposal 1, overlaps proposal 0
    masks[2] = 0.7  # stuff kernel 0 everywhere
    masks[3, 7:] = 0.9  # stuff kernel 1 on the bottom row
    cls = torch.zeros(4, 3)
    cls[0, 0] = 0.9  # confident thing of class 0
    cls[2, 1] = 0.6  # stuff 0 (internal label 1)
    cls[3, 2] = 0.95  # stuff 1 (internal label 2)
    segs = panoptic_merge(cls, masks, num_proposals=2, num_thing_classes=1,
                          max_per_img=2, overlap_thr=0.6)
    by_kernel = {s['kernel']: s for s in segs}
    assert set(by_kernel) == {0, 2, 3}
    assert by_kernel[0]['is_thing'] and by_kernel[0]['label'] == 0
    assert by_kernel[0]['mask'].sum() == 16
    assert by_kernel[3]['mask'][7:].all()
    # stuff 0 keeps 40 of its 64 pixels (>= 0.6); with a second bottom row
    # for stuff 1 it would keep only 32 and be dropped
    assert by_kernel[2]['mask'].sum() == 40
    masks[3, 6:] = 0.9
    segs = panoptic_merge(cls, masks, 2, 1, max_per_img=2, overlap_thr=0.6)
    assert {s['kernel'] for s in segs} == {0, 3}
    assert not (by_kernel[2]['mask'] & by_kernel[0]['mask']).any()
    # thing score threshold
    segs = panoptic_merge(cls, masks, 2, 1, max_per_img=2,
                          instance_score_thr=0.95)
    assert all(not s['is_thing'] for s in segs)
    sem = semantic_argmax(cls, masks, 2, 1)
    assert sem.shape == (h, w) and set(sem.unique().tolist()) == {1, 2}


def test_tracker_keeps_ids():
    tracker = KernelQuasiDenseTracker()
    h = w = 16
    masks = torch.zeros(2, h, w, dtype=torch.bool)
    masks[0, :4, :4] = True
    masks[1, 8:, 8:] = True
    embeds = torch.eye(2, 8) * 10
    labels = torch.tensor([0, 1])
    ids0 = tracker.track_masks(masks, labels, torch.tensor([0.9, 0.8]),
                               embeds, 0)
    assert sorted(ids0.tolist()) == [0, 1]
    # next frame: the objects swapped order in the list
    ids1 = tracker.track_masks(masks.flip(0), labels.flip(0),
                               torch.tensor([0.8, 0.9]), embeds.flip(0), 1)
    assert ids1.tolist() == ids0.flip(0).tolist()
    # a new object gets a new id; a low-score one is not tracked
    new = torch.zeros(2, h, w, dtype=torch.bool)
    new[0, 4:8, 4:8] = True
    new[1, 10:12, 0:2] = True
    new_embeds = torch.zeros(2, 8)
    new_embeds[0, 5] = 10
    new_embeds[1, 6] = 10
    ids2 = tracker.track_masks(new, torch.tensor([0, 0]),
                               torch.tensor([0.9, 0.1]), new_embeds, 2)
    assert ids2.tolist() == [2, -1]
    tracker.reset()
    assert tracker.empty and tracker.num_tracks == 0
