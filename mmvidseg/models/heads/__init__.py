# Copyright (c) OpenMMLab. All rights reserved.
from .base_kernel_head import BaseKernelHead
from .cascade_stage_head import CascadeStageHead
from .kernel_clip_iter_head import KernelClipIterHead
from .kernel_iter_head import KernelIterHead
from .kernel_proposal_head import KernelProposalHead
from .kernel_update_head import KernelUpdateHead
from .mask_propagation_head import MaskPropagationHead
from .tube_mask2former_head import TubeMask2FormerHead, tube_targets

__all__ = [
    'BaseKernelHead', 'CascadeStageHead', 'KernelClipIterHead',
    'KernelIterHead', 'KernelProposalHead', 'KernelUpdateHead',
    'MaskPropagationHead', 'TubeMask2FormerHead', 'tube_targets'
]
