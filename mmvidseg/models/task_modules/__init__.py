# Copyright (c) OpenMMLab. All rights reserved.
from .mask_cost import MaskCost

__all__ = ['MaskCost']
