# Copyright (c) OpenMMLab. All rights reserved.
from .voxel_flow_net import VoxelFlowEncoderDecoder, VoxelFlowNet

__all__ = ['VoxelFlowEncoderDecoder', 'VoxelFlowNet']
