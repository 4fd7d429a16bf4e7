# Copyright (c) OpenMMLab. All rights reserved.
"""KernelClipIterHead: clip stages, then per-frame stages (VIS)."""
import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

from mmvidseg.models import KernelClipIterHead

C, N, T = 16, 5, 3


@pytest.fixture(autouse=True)
def scope():
    init_default_scope('mmvidseg')
    torch.manual_seed(0)


def _head(**kwargs):
    cfg = dict(
        num_stages=3, assign_stages=2, num_proposals=N,
        num_thing_classes=2, num_stuff_classes=0,
        stage_head=dict(type='KernelUpdateHead', in_channels=C,
                        feedforward_channels=32, num_heads=4))
    cfg.update(kwargs)
    head = KernelClipIterHead(**cfg)
    head.init_weights()
    return head


def _tubes():
    masks = torch.zeros(2, T, 8, 8)
    masks[0, :, :4, :4] = 1
    masks[1, 1:, 4:, 4:] = 1  # absent in the first frame
    return InstanceData(masks=masks, labels=torch.tensor([0, 1]),
                        instances_ids=torch.tensor([3, 7]))


def test_clip_then_per_frame_stages():
    head = _head()
    assert head.stages[0].fc_cls is not None
    assert head.stages[1].fc_cls is not None
    assert head.stages[2].fc_cls is None
    x = torch.randn(2, T, C, 8, 8)
    out = head(x, torch.randn(2, N, C), torch.randn(2, N, T, 8, 8))
    assert out[1]['cls_scores'].shape == (2, N, 2)
    assert out[1]['kernels'].shape == (2, N, C)
    assert out[2]['cls_scores'] is None
    assert out[2]['kernels'].shape == (2, T, N, C)  # one kernel per frame
    assert out[2]['mask_preds'].shape == (2, N, T, 8, 8)
    # the clip stages pool the group features of every frame
    x2 = x.clone()
    x2[:, 2] += 1
    out2 = head(x2, torch.zeros(2, N, C), torch.zeros(2, N, T, 8, 8))
    ref = head(x, torch.zeros(2, N, C), torch.zeros(2, N, T, 8, 8))
    assert not torch.allclose(out2[1]['kernels'], ref[1]['kernels'])


def test_losses_match_on_each_clip_stage_and_reuse_the_last():
    head = _head()
    x = torch.randn(1, T, C, 8, 8)
    results = head(x, torch.randn(1, N, C), torch.randn(1, N, T, 8, 8))
    losses = head.loss_by_feat(results, None, [_tubes()])
    assert {'s0_loss_cls', 's1_loss_cls', 's2_loss_mask',
            's2_loss_dice'} <= set(losses)
    assert 's2_loss_cls' not in losses
    for value in losses.values():
        assert torch.isfinite(value)
    # stage 2 is supervised with stage 1's matching
    stage1 = head.get_targets(results[1]['cls_scores'],
                              results[1]['mask_preds'], [_tubes()])
    pos = stage1[3][0]
    preds = results[2]['mask_preds'][0, pos]
    expected = head.loss_dice(preds, stage1[2][0])
    assert torch.allclose(losses['s2_loss_dice'], expected)
    sum(losses.values()).backward()


def test_bad_arguments():
    with pytest.raises(ValueError, match='assign_stages'):
        _head(assign_stages=0)
    with pytest.raises(ValueError, match='assign_stages'):
        _head(assign_stages=4)
    with pytest.raises(ValueError, match='linking'):
        _head(with_link=True)
