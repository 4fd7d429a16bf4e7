# Copyright (c) OpenMMLab. All rights reserved.
"""KernelProposalHead: initial kernels, the VSS mode and its losses."""
import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData, PixelData

from mmvidseg.models import BaseKernelHead, KernelProposalHead


@pytest.fixture(autouse=True)
def scope():
    init_default_scope('mmvidseg')
    torch.manual_seed(0)


def _head(**kwargs):
    cfg = dict(
        num_proposals=6, num_thing_classes=2, num_stuff_classes=3,
        in_channels=16, norm_cfg=dict(type='GN', num_groups=4))
    cfg.update(kwargs)
    return KernelProposalHead(**cfg)


def test_proposal_head_outputs_and_vss_mode():
    head = _head()
    assert isinstance(head, BaseKernelHead)
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
    vss = _head(num_proposals=0, num_thing_classes=0)
    out = vss(loc, sem)
    assert out['kernels'].shape == (2, 3, 16)
    assert vss.init_kernels is None


def _targets():
    """One image: a thing (label 1) on the top-left quarter, stuff label 3
    elsewhere, a void pixel; targets at 8 x 8."""
    thing = torch.zeros(8, 8)
    thing[:4, :4] = 1
    gt = InstanceData(
        masks=torch.stack([thing, 1 - thing]),
        labels=torch.tensor([1, 3]),
        instances_ids=torch.tensor([5, -1]))
    sem_seg = torch.where(thing > 0, 1, 3)
    sem_seg[7, 7] = 255
    return [gt], [PixelData(sem_seg=sem_seg[None])]


def test_proposal_head_loss_by_feat():
    head = _head(loss_rank=dict(type='mmdet.CrossEntropyLoss',
                                loss_weight=0.1))
    loc = torch.randn(1, 16, 4, 4, requires_grad=True)
    out = head(loc, torch.randn(1, 16, 4, 4))
    gts, sems = _targets()
    losses = head.loss_by_feat(out['mask_preds'], out['seg_preds'], gts,
                               sems)
    assert list(losses) == [
        'loss_rpn_rank', 'loss_rpn_mask', 'loss_rpn_dice', 'loss_rpn_seg'
    ]
    assert all(torch.isfinite(v) and v > 0 for v in losses.values())
    # the semantic loss is the pixel cross-entropy, void ignored
    seg = torch.nn.functional.interpolate(
        out['seg_preds'], (8, 8), mode='bilinear', align_corners=False)
    expect = torch.nn.functional.cross_entropy(
        seg, sems[0].sem_seg, ignore_index=255)
    assert losses['loss_rpn_seg'].item() == pytest.approx(
        expect.item(), rel=1e-5)
    sum(losses.values()).backward()
    assert loc.grad is not None and head.init_kernels.weight.grad is not None
    # all void: a zero semantic loss that keeps the graph
    sems[0].sem_seg[:] = 255
    zero = head.loss_by_feat(out['mask_preds'], out['seg_preds'], gts,
                             sems)['loss_rpn_seg']
    assert zero.item() == 0 and zero.requires_grad


def test_proposal_head_has_no_classification_loss():
    with pytest.raises(TypeError, match='loss_cls'):
        _head(loss_cls=dict(type='mmdet.FocalLoss'))
    assert _head().loss_cls is None


def test_sigmoid_seg_loss_treats_background_as_negative():
    """A sigmoid (focal) ``loss_seg``, as the official VIS config: pixels
    without a segment (255) are negatives of every class, and the loss is
    averaged over the pixels with a class."""
    focal = dict(type='mmdet.FocalLoss', use_sigmoid=True, loss_weight=1.0)
    head = _head(num_thing_classes=3, num_stuff_classes=0, loss_seg=focal)
    seg = torch.randn(1, 3, 4, 4)
    sem = torch.full((1, 4, 4), 255, dtype=torch.long)
    sem[0, :2, :2] = 1
    loss = head._sigmoid_seg_loss(seg, sem)
    p = seg.sigmoid().permute(0, 2, 3, 1).reshape(-1, 3)
    t = torch.zeros_like(p)
    t[sem.reshape(-1) == 1, 1] = 1
    pt = (1 - p) * t + p * (1 - t)
    alpha = 0.25 * t + 0.75 * (1 - t)
    bce = torch.nn.functional.binary_cross_entropy(p, t, reduction='none')
    expected = (alpha * pt.pow(2) * bce).sum() / 4
    assert torch.allclose(loss, expected, atol=1e-6)
    # all background: still a (negative-only) loss with gradient
    seg.requires_grad_(True)
    empty = head._sigmoid_seg_loss(seg, torch.full_like(sem, 255))
    empty.backward()
    assert empty > 0 and seg.grad.abs().sum() > 0
