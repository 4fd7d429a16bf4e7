# Copyright (c) OpenMMLab. All rights reserved.
from .total_variation_loss import TotalVariationLoss

__all__ = ['TotalVariationLoss']
