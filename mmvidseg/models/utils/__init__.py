# Copyright (c) OpenMMLab. All rights reserved.
from .panoptic import panoptic_merge, query_panoptic_merge, semantic_argmax
from .video import frames_from_video, key_frame_indices, logits_to_original

__all__ = [
    'frames_from_video', 'key_frame_indices', 'logits_to_original',
    'panoptic_merge', 'query_panoptic_merge', 'semantic_argmax'
]
