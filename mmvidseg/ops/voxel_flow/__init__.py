# Copyright (c) OpenMMLab. All rights reserved.
from .voxel_flow import (VoxelFlow, VoxelFlowFunction,
                         normalized_to_pixel_flow, resolve_impl,
                         sampling_coefficients, voxel_flow,
                         voxel_flow_reference)

__all__ = [
    'voxel_flow', 'voxel_flow_reference', 'VoxelFlowFunction', 'VoxelFlow',
    'sampling_coefficients', 'normalized_to_pixel_flow', 'resolve_impl'
]
