# Copyright (c) OpenMMLab. All rights reserved.
"""BaseKernelHead: mmdet-shaped targets, matching and the kernel losses."""
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
    """A head of N = 3 proposals, nt = 2 things and ns = 2 stuff classes;
    its stages are not used here."""
    cfg = dict(
        num_stages=1, num_proposals=3, num_thing_classes=2,
        num_stuff_classes=2,
        stage_head=dict(type='KernelUpdateHead', in_channels=8,
                        feedforward_channels=16, num_heads=2))
    cfg.update(kwargs)
    return KernelIterHead(**cfg)


def _gt():
    """Things of labels 1 and 0 (tracks 4, 5), then stuff label 3."""
    masks = torch.zeros(3, 4, 4)
    masks[0, :2, :2] = 1
    masks[1, 2:, 2:] = 1
    masks[2] = 1 - masks[0] - masks[1]
    return InstanceData(
        masks=masks,
        labels=torch.tensor([1, 0, 3]),
        instances_ids=torch.tensor([4, 5, -1]))


def test_base_kernel_head_is_abstract():
    with pytest.raises(TypeError, match='abstract'):
        BaseKernelHead(num_thing_classes=1, num_stuff_classes=0)
    with pytest.raises(ValueError, match='at least one class'):
        _head(num_thing_classes=0, num_stuff_classes=0)


def test_get_targets_single():
    head = _head()
    gt = _gt()
    # proposal 2 predicts thing 0, proposal 0 thing 1, proposal 1 nothing
    mask_pred = torch.full((5, 4, 4), -10.)
    mask_pred[2][gt.masks[0] > 0] = 10
    mask_pred[0][gt.masks[1] > 0] = 10
    labels, weights, targets, pos_inds, sampling = head._get_targets_single(
        None, mask_pred, gt)
    assert sampling.pos_inds.tolist() == [0, 2]
    assert sampling.pos_assigned_gt_inds.tolist() == [1, 0]
    # stuff label 3 is stuff class 1: kernel N + 1 = 4
    assert pos_inds.tolist() == [0, 2, 4]
    assert labels.tolist() == [0, 4, 1, 4, 3]
    assert torch.equal(targets, gt.masks[[1, 0, 2]])
    # proposals are trained on thing classes, stuff kernel j only on
    # stuff class nt + j
    assert torch.equal(
        weights,
        torch.tensor([[1., 1, 0, 0]] * 3 + [[0., 0, 1, 0], [0., 0, 0, 1]]))
    # without stuff kernels (the proposal head, the clip head) the stuff
    # ground truth has no target
    labels, _, targets, pos_inds, _ = head._get_targets_single(
        None, mask_pred[:3], gt)
    assert pos_inds.tolist() == [0, 2] and labels.tolist() == [0, 4, 1]
    assert len(targets) == 2


def test_get_targets_class_costs_and_empty_gt():
    head = _head()
    gt = _gt()
    # two proposals on thing 0: the class logits decide which one matches
    mask_pred = torch.full((5, 4, 4), -10.)
    mask_pred[0][gt.masks[0] > 0] = 10
    mask_pred[1][gt.masks[0] > 0] = 10
    cls = torch.full((5, 4), -5.)
    cls[1, 1] = 5.  # proposal 1 is confident of label 1 (thing 0)
    *_, sampling = head._get_targets_single(cls, mask_pred, gt[:1])
    assert sampling.pos_inds.tolist() == [1]
    # a frame without things and stuff: every kernel negative
    labels, _, targets, pos_inds, _ = head._get_targets_single(
        None, mask_pred, gt[:0])
    assert labels.tolist() == [4] * 5 and len(pos_inds) == 0
    assert targets.shape == (0, 4, 4)
    # get_targets: one image per list entry, predictions resized to the
    # targets' resolution
    out = head.get_targets(None, mask_pred[None, :, ::2, ::2], [gt])
    assert len(out) == 5 and all(len(o) == 1 for o in out)
    # both things matched (3 proposals), then stuff kernel 4
    assert len(out[3][0]) == 3 and out[3][0][-1] == 4
    assert out[2][0].shape == (3, 4, 4)


def test_loss_by_feat_single_without_positives_keeps_the_graph():
    head = _head(loss_rank=dict(type='mmdet.CrossEntropyLoss'))
    masks = torch.randn(2, 5, 4, 4, requires_grad=True)
    empty = _gt()[:0]
    losses = head.loss_by_feat_single(None, masks, [empty, empty])
    assert list(losses) == ['loss_rank', 'loss_mask', 'loss_dice']
    for value in losses.values():
        assert value.item() == 0 and value.requires_grad


def test_rank_loss_matches_pixel_cross_entropy():
    head = _head(
        loss_rank=dict(type='mmdet.CrossEntropyLoss', avg_non_ignore=True))
    logits = torch.randn(1, 3, 4, 4)
    a = torch.zeros(4, 4)
    a[:2] = 1
    b = torch.zeros(4, 4)
    b[3] = 1
    loss = head.rank_loss(logits, [torch.tensor([2, 0])],
                          [torch.stack([a, b])])
    target = torch.full((1, 4, 4), 255, dtype=torch.long)
    target[0, :2] = 2
    target[0, 3] = 0
    expect = torch.nn.functional.cross_entropy(
        logits, target, ignore_index=255)
    assert loss.item() == pytest.approx(expect.item(), rel=1e-5)
    # nothing positive: a zero that keeps the graph
    zero = head.rank_loss(logits.requires_grad_(), [], [])
    assert zero.item() == 0 and zero.requires_grad
