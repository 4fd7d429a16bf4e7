# Copyright (c) OpenMMLab. All rights reserved.
from .cascade_stage_head import CascadeStageHead
from .kernel_iter_head import KernelIterHead
from .kernel_proposal_head import KernelProposalHead
from .kernel_update_head import KernelUpdateHead

__all__ = [
    'CascadeStageHead', 'KernelIterHead', 'KernelProposalHead',
    'KernelUpdateHead'
]
