# Copyright (c) OpenMMLab. All rights reserved.
from .depth_loss import DepthLoss, depth_activation
from .total_variation_loss import TotalVariationLoss

__all__ = ['DepthLoss', 'TotalVariationLoss', 'depth_activation']
