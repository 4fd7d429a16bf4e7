# Copyright (c) OpenMMLab. All rights reserved.
from .base import BaseVideoModel
from .deep_layer_cascade import LayerCascadeSegmentor
from .deep_voxel_flow import DeepVoxelFlow
from .frame_baseline import FrameSegmentor
from .polyphonicformer import PolyphonicFormer
from .transvod import FrameDetector, TransVOD
from .transvod_lite import TransVODLite
from .transvod_plusplus import TransVODPlusPlus
from .tube_link import TubeLink
from .video_knet import VideoKNet
from .vs_reid import VSReID

__all__ = [
    'BaseVideoModel', 'DeepVoxelFlow', 'FrameDetector', 'FrameSegmentor',
    'LayerCascadeSegmentor', 'PolyphonicFormer', 'TransVOD', 'TransVODLite',
    'TransVODPlusPlus', 'TubeLink', 'VideoKNet', 'VSReID'
]
