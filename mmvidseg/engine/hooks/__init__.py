# Copyright (c) OpenMMLab. All rights reserved.
from .visualization_hook import VideoVisualizationHook

__all__ = ['VideoVisualizationHook']
