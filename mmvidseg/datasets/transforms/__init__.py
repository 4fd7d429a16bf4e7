# Copyright (c) OpenMMLab. All rights reserved.
from .formatting import PackVideoInputs
from .frame_sampling import VideoFrameSample
from .frame_triplet_transforms import (LoadFrameTriplet, PackTripletInputs,
                                       TripletRandomCrop, TripletRandomFlip,
                                       TripletRandomRescale,
                                       TripletRandomRotate, TripletResize,
                                       TripletTemporalFlip)
from .geometric import RandomCrop, RandomFlip, Resize
from .loading import (LoadDepthMap, LoadOpticalFlow, LoadPanopticMap,
                      LoadSemSegMap, LoadVideoInstances, LoadVOSAnnotation,
                      read_flo, read_label_png)

__all__ = [
    'LoadSemSegMap', 'PackVideoInputs', 'VideoFrameSample', 'read_label_png',
    'LoadPanopticMap', 'LoadDepthMap', 'LoadOpticalFlow', 'LoadVOSAnnotation',
    'LoadVideoInstances', 'read_flo', 'Resize', 'RandomCrop', 'RandomFlip',
    'LoadFrameTriplet', 'PackTripletInputs', 'TripletRandomCrop',
    'TripletRandomFlip', 'TripletTemporalFlip', 'TripletResize',
    'TripletRandomRescale', 'TripletRandomRotate'
]
