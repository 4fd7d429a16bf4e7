# Copyright (c) OpenMMLab. All rights reserved.
"""MaskCost: K-Net's pixel-agreement matching cost."""
import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

from mmvidseg.registry import TASK_UTILS


def test_mask_cost_is_the_official_formula():
    init_default_scope('mmvidseg')
    cost = TASK_UTILS.build(dict(type='MaskCost', weight=2.0))
    torch.manual_seed(0)
    logits = torch.randn(4, 6, 5)
    target = (torch.rand(3, 6, 5) > 0.5).float()
    out = cost(InstanceData(masks=logits), InstanceData(masks=target))
    p = logits.sigmoid().clamp(0.01, 1.0)
    for n in range(4):
        for m in range(3):
            agree = (p[n] * target[m]).sum() + (
                (1 - p[n]) * (1 - target[m])).sum()
            assert torch.allclose(out[n, m], -2.0 * agree / 30)
    # a perfect (saturated) prediction is the cheapest match
    perfect = target[1:2] * 40 - 20
    costs = cost(InstanceData(masks=perfect), InstanceData(masks=target))
    assert costs.argmin() == 1
    with pytest.raises(ValueError, match='pixels'):
        cost(InstanceData(masks=logits), InstanceData(masks=target[:, :3]))


def test_mask_cost_in_mmdet_hungarian_assigner():
    init_default_scope('mmvidseg')
    assigner = TASK_UTILS.build(
        dict(
            type='mmdet.HungarianAssigner',
            match_costs=[
                dict(type='mmdet.DiceCost', weight=4.0, pred_act=True),
                dict(type='MaskCost', weight=1.0)
            ]))
    target = torch.zeros(2, 8, 8)
    target[0, :4] = 1
    target[1, 4:] = 1
    logits = torch.cat([target.flip(0), torch.zeros(1, 8, 8)]) * 20 - 10
    result = assigner.assign(
        InstanceData(masks=logits.flatten(1),
                     scores=torch.zeros(3, 1)),
        InstanceData(masks=target.flatten(1), labels=torch.zeros(2).long()))
    assert result.gt_inds.tolist() == [2, 1, 0]
