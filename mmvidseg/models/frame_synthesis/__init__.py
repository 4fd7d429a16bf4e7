# Copyright (c) OpenMMLab. All rights reserved.
from .deep_voxel_flow import DeepVoxelFlow
from .losses import TotalVariationLoss
from .voxel_flow_net import VoxelFlowEncoderDecoder, VoxelFlowNet

__all__ = [
    'DeepVoxelFlow', 'TotalVariationLoss', 'VoxelFlowNet',
    'VoxelFlowEncoderDecoder'
]
