# Copyright (c) OpenMMLab. All rights reserved.
from .depth_cost import DepthCost
from .guide_mask_perturbation import GuideMaskPerturbation
from .mask_cost import MaskCost

__all__ = ['DepthCost', 'GuideMaskPerturbation', 'MaskCost']
