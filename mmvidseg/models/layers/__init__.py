# Copyright (c) OpenMMLab. All rights reserved.
from .flow_sources import PrecomputedFlow, RAFTFlowEstimator
from .query_link import QueryLink
from .region_resnet import (conv_module_rows, conv_rows, linear_rows,
                            norm_rows, region_block_forward,
                            resnet_stem_forward, run_blocks, split_resnet)
from .temporal_transformer import (QueryRoIFusion,
                                   TemporalDeformableEncoderLayer,
                                   TemporalQueryEncoderLayer,
                                   hard_query_mining, select_topk_queries)

__all__ = [
    'PrecomputedFlow', 'QueryLink', 'QueryRoIFusion', 'RAFTFlowEstimator',
    'TemporalDeformableEncoderLayer', 'TemporalQueryEncoderLayer',
    'conv_module_rows', 'conv_rows', 'hard_query_mining', 'linear_rows',
    'norm_rows',
    'region_block_forward', 'resnet_stem_forward', 'run_blocks',
    'select_topk_queries', 'split_resnet'
]
