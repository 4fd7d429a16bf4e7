# Copyright (c) OpenMMLab. All rights reserved.
from .guide_mask_perturbation import GuideMaskPerturbation
from .mask_cost import MaskCost

__all__ = ['GuideMaskPerturbation', 'MaskCost']
