# Copyright (c) OpenMMLab. All rights reserved.
"""Region convolution (Deep Layer Cascade's sparse convolution)."""
from .region_conv import (RegionConv2d, RegionConv2dFunction, conv_output_size,
                          gather_pixels, mask_to_index, memory_format_of,
                          region_conv2d, region_conv2d_compact,
                          region_conv2d_reference, scatter_pixels)

__all__ = [
    'RegionConv2d', 'RegionConv2dFunction', 'conv_output_size',
    'gather_pixels', 'mask_to_index', 'memory_format_of', 'region_conv2d',
    'region_conv2d_compact', 'region_conv2d_reference', 'scatter_pixels'
]
