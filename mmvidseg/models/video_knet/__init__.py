# Copyright (c) OpenMMLab. All rights reserved.
from .kernel_head import KernelProposalHead
from .kernel_iter_head import KernelIterHead
from .kernel_update_head import KernelUpdateHead
from .postprocess import panoptic_merge, semantic_argmax
from .semantic_fpn import KNetSemanticFPN
from .tracker import KernelQuasiDenseTracker
from .video_knet import VideoKNet

__all__ = [
    'KNetSemanticFPN', 'KernelProposalHead', 'KernelUpdateHead',
    'KernelIterHead', 'KernelQuasiDenseTracker', 'VideoKNet',
    'panoptic_merge', 'semantic_argmax'
]
