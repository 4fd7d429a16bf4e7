# Copyright (c) OpenMMLab. All rights reserved.
from .base_video_dataset import BaseVideoDataset
from .cityscapes_dvps import CityscapesDVPSDataset
from .cityscapes_vps import CityscapesVPSDataset
from .davis import DAVISDataset, YouTubeVOSDataset
from .frame_triplet import FrameTripletDataset
from .imagenet_vid import ImageNetVIDDataset
from .kitti_step import KITTISTEPDataset
from .semkitti_dvps import SemKITTIDVPSDataset
from .transforms import *  # noqa: F401,F403
from .utils import VideoDatasetError
from .video_sequence import DepthVideoSequenceDataset, VideoSequenceDataset
from .vipseg import VIPSegDataset
from .vspw import VSPWDataset
from .youtube_vis import YouTubeVISDataset

__all__ = [
    'BaseVideoDataset', 'VideoDatasetError', 'VideoSequenceDataset',
    'DepthVideoSequenceDataset', 'VSPWDataset', 'KITTISTEPDataset',
    'VIPSegDataset', 'CityscapesDVPSDataset', 'SemKITTIDVPSDataset',
    'CityscapesVPSDataset', 'YouTubeVISDataset', 'ImageNetVIDDataset',
    'DAVISDataset', 'YouTubeVOSDataset', 'FrameTripletDataset'
]
