# Copyright (c) OpenMMLab. All rights reserved.
from .frame_segmentor import FrameSegmentor

__all__ = ['FrameSegmentor']
