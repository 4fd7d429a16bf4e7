# Copyright (c) OpenMMLab. All rights reserved.
from .video_seg_tta import VideoSegTTAModel, default_tta_pipeline

__all__ = ['VideoSegTTAModel', 'default_tta_pipeline']
