# Copyright (c) OpenMMLab. All rights reserved.
from .fusionseg import DilatedClassifierHead, FusionSeg, flow_to_image
from .transforms import BinarizeVOSAnnotation

__all__ = [
    'BinarizeVOSAnnotation', 'DilatedClassifierHead', 'FusionSeg',
    'flow_to_image'
]
