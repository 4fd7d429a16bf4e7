# Copyright (c) OpenMMLab. All rights reserved.
from .base_kernel_head import BaseKernelHead
from .cascade_stage_head import CascadeStageHead
from .depth_kernel_iter_head import DepthKernelIterHead
from .depth_kernel_proposal_head import DepthKernelProposalHead
from .depth_kernel_update_head import DepthKernelUpdateHead
from .kernel_clip_iter_head import KernelClipIterHead
from .kernel_iter_head import KernelIterHead
from .kernel_proposal_head import KernelProposalHead
from .kernel_update_head import KernelUpdateHead
from .mask_propagation_head import MaskPropagationHead
from .reid_embed_head import ReIDEmbedHead
from .tube_mask2former_head import TubeMask2FormerHead, tube_targets

__all__ = [
    'BaseKernelHead', 'CascadeStageHead', 'DepthKernelIterHead',
    'DepthKernelProposalHead', 'DepthKernelUpdateHead', 'KernelClipIterHead',
    'KernelIterHead', 'KernelProposalHead', 'KernelUpdateHead',
    'MaskPropagationHead', 'ReIDEmbedHead', 'TubeMask2FormerHead',
    'tube_targets'
]
