# Copyright (c) OpenMMLab. All rights reserved.
from .video import frames_from_video, is_video_batch, key_frame_indices

__all__ = ['frames_from_video', 'is_video_batch', 'key_frame_indices']
