# Copyright (c) OpenMMLab. All rights reserved.
from .panoptic import panoptic_merge, semantic_argmax
from .video import frames_from_video, key_frame_indices

__all__ = [
    'frames_from_video', 'key_frame_indices', 'panoptic_merge',
    'semantic_argmax'
]
