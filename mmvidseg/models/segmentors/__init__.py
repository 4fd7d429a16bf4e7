# Copyright (c) OpenMMLab. All rights reserved.
from .frame_segmentor import FrameSegmentor
from .layer_cascade import LayerCascadeSegmentor

__all__ = ['FrameSegmentor', 'LayerCascadeSegmentor']
