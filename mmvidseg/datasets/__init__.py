# Copyright (c) OpenMMLab. All rights reserved.
from .base_video_dataset import BaseVideoDataset, VideoDatasetError
from .transforms import *  # noqa: F401,F403
from .vspw import VSPWDataset

__all__ = ['BaseVideoDataset', 'VideoDatasetError', 'VSPWDataset']
