# Copyright (c) OpenMMLab. All rights reserved.
from .branches import BidirectionalDecoder, FlowNetSEncoder
from .metrics import FlowEPEMetric
from .segflow import SegFlow, balanced_cross_entropy, endpoint_error

__all__ = [
    'BidirectionalDecoder', 'FlowEPEMetric', 'FlowNetSEncoder', 'SegFlow',
    'balanced_cross_entropy', 'endpoint_error'
]
