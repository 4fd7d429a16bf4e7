# Copyright (c) OpenMMLab. All rights reserved.
from .hooks import VideoVisualizationHook

__all__ = ['VideoVisualizationHook']
