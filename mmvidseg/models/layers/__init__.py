# Copyright (c) OpenMMLab. All rights reserved.
from .flow_sources import PrecomputedFlow, RAFTFlowEstimator
from .query_link import QueryLink
from .region_resnet import (conv_module_rows, conv_rows, linear_rows,
                            norm_rows, region_block_forward,
                            resnet_stem_forward, run_blocks, split_resnet)

__all__ = [
    'PrecomputedFlow', 'QueryLink', 'RAFTFlowEstimator', 'conv_module_rows',
    'conv_rows', 'linear_rows', 'norm_rows', 'region_block_forward',
    'resnet_stem_forward', 'run_blocks', 'split_resnet'
]
