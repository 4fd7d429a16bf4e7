# Copyright (c) OpenMMLab. All rights reserved.
from .dmm_net import DMMNet
from .heads import MaskRefineHead, MatchingCostHead
from .matching import DifferentiableMatching, relaxed_assignment

__all__ = [
    'DMMNet', 'DifferentiableMatching', 'MaskRefineHead', 'MatchingCostHead',
    'relaxed_assignment'
]
