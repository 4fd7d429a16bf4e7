# Copyright (c) OpenMMLab. All rights reserved.
import pytest
import torch
from mmengine.structures import InstanceData

from mmvidseg.models.task_modules import DepthCost


def test_depth_cost_hand_computed():
    gt_depth = torch.tensor([1.0, 2.0, 4.0, 0.0])  # last pixel: no depth
    gt = InstanceData(
        masks=torch.tensor([[1., 1., 0., 1.], [0., 0., 1., 1.]]))
    gt.set_metainfo(dict(gt_depth=gt_depth))
    pred = InstanceData(
        masks=torch.zeros(2, 4),
        depths=torch.tensor([[2.0, 2.0, 4.0, 9.0], [1.0, 1.0, 2.0, 9.0]]))
    cost = DepthCost(weight=2.0)(pred, gt)
    # mean |d - g| / g over each target's pixels with depth
    expected = torch.tensor([[(1.0 + 0.0) / 2, 0.0],
                             [(0.0 + 0.5) / 2, 0.5]]) * 2.0
    assert torch.allclose(cost, expected)


def test_depth_cost_zero_weight_or_no_depths():
    gt = InstanceData(masks=torch.ones(3, 4))
    pred = InstanceData(masks=torch.zeros(2, 4), depths=torch.ones(2, 4))
    # weight 0 (the official configs): no work, no metainfo needed
    assert torch.equal(DepthCost()(pred, gt), torch.zeros(2, 3))
    # the first stage's matching has no query depths
    no_depth = InstanceData(masks=torch.zeros(2, 4))
    assert torch.equal(DepthCost(1.0)(no_depth, gt), torch.zeros(2, 3))
    with pytest.raises(ValueError, match='gt_depth'):
        DepthCost(1.0)(pred, gt)
