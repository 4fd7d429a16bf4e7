# Copyright (c) OpenMMLab. All rights reserved.
"""KernelIterHead: stages, their losses and the matching of stage s - 1."""
import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

from mmvidseg.models import BaseKernelHead, KernelIterHead


@pytest.fixture(autouse=True)
def scope():
    init_default_scope('mmvidseg')
    torch.manual_seed(0)


def _head(**kwargs):
    cfg = dict(
        num_stages=2, num_proposals=4, num_thing_classes=2,
        num_stuff_classes=2,
        stage_head=dict(type='KernelUpdateHead', in_channels=16,
                        feedforward_channels=32, num_heads=4))
    cfg.update(kwargs)
    return KernelIterHead(**cfg)


def _target():
    """A thing of label 1 (track 3) on the top-left quarter, stuff label 3
    (stuff kernel 1) elsewhere."""
    thing = torch.zeros(8, 8)
    thing[:4, :4] = 1
    return InstanceData(
        masks=torch.stack([thing, 1 - thing]),
        labels=torch.tensor([1, 3]),
        instances_ids=torch.tensor([3, -1]))


def test_iter_head_loss_and_assignment():
    head = _head()
    assert isinstance(head, BaseKernelHead)
    assert [s.num_classes for s in head.stages] == [4, 4]
    x = torch.randn(1, 16, 8, 8)
    kernels = torch.randn(1, 6, 16, requires_grad=True)
    masks = torch.randn(1, 6, 8, 8)
    results = head(x, kernels, masks)
    assert len(results) == 2
    target = _target()
    losses = head.loss_by_feat(results, masks, [target])
    assert set(losses) == {
        f's{s}_loss_{k}' for s in range(2) for k in ('cls', 'mask', 'dice')
    }
    assert all(torch.isfinite(v) for v in losses.values())
    # the matching on the last stage's own predictions (association)
    last = results[-1]
    *_, sampling = head.get_targets(last['cls_scores'], last['mask_preds'],
                                    [target])
    pos, gt = sampling[0].pos_inds, sampling[0].pos_assigned_gt_inds
    assert len(pos) == 1 and gt.tolist() == [0] and pos.item() < 4
    sum(losses.values()).backward()
    assert kernels.grad is not None


def test_iter_head_stage_matching_and_weights():
    """Stage s is trained with the matching of stage s - 1's predictions
    (stage 0: the initial masks); stage weights scale every loss."""
    head = _head(stage_loss_weights=[1.0, 0.5])
    x = torch.randn(1, 16, 8, 8)
    kernels, masks = torch.randn(1, 6, 16), torch.randn(1, 6, 8, 8)
    results = head(x, kernels, masks)
    target = [_target()]
    losses = head.loss_by_feat(results, masks, target)
    expect0 = head.loss_by_feat_single(results[0]['cls_scores'],
                                       results[0]['mask_preds'], target,
                                       None, masks)
    expect1 = head.loss_by_feat_single(results[1]['cls_scores'],
                                       results[1]['mask_preds'], target,
                                       results[0]['cls_scores'],
                                       results[0]['mask_preds'])
    for key in ('loss_cls', 'loss_mask', 'loss_dice'):
        assert torch.equal(losses[f's0_{key}'], expect0[key])
        assert torch.equal(losses[f's1_{key}'], expect1[key] * 0.5)
    with pytest.raises(ValueError, match='one weight per stage'):
        _head(stage_loss_weights=[1.0])
    with pytest.raises(ValueError, match='num_stages'):
        _head(num_stages=0)


def test_iter_head_on_clips_with_tubes():
    """The clip head (VIS): (B, T, C, h, w) features, tube targets, one
    class per kernel and a mask per frame."""
    head = _head(num_stuff_classes=0)
    x = torch.randn(1, 3, 16, 8, 8)
    kernels, masks = torch.randn(1, 4, 16), torch.randn(1, 4, 3, 8, 8)
    results = head(x, kernels, masks)
    assert results[-1]['mask_preds'].shape == (1, 4, 3, 8, 8)
    tube = torch.zeros(1, 3, 8, 8)
    tube[0, :2, 2:6, 2:6] = 1  # a thing in the first two frames
    gt = InstanceData(masks=tube, labels=torch.tensor([0]),
                      instances_ids=torch.tensor([7]))
    losses = head.loss_by_feat(results, masks, [gt])
    assert all(torch.isfinite(v) for v in losses.values())
    assert losses['s1_loss_dice'] > 0


def test_rank_loss_option():
    head = _head(loss_rank=dict(type='mmdet.CrossEntropyLoss',
                                loss_weight=0.1))
    x = torch.randn(1, 16, 8, 8)
    kernels, masks = torch.randn(1, 6, 16), torch.randn(1, 6, 8, 8)
    losses = head.loss_by_feat(head(x, kernels, masks), masks, [_target()])
    assert list(losses)[:4] == [
        's0_loss_cls', 's0_loss_rank', 's0_loss_mask', 's0_loss_dice'
    ]
    assert losses['s1_loss_rank'] > 0
