# Copyright (c) OpenMMLab. All rights reserved.
from .local_visualizer import VideoLocalVisualizer, track_color

__all__ = ['VideoLocalVisualizer', 'track_color']
