# Copyright (c) OpenMMLab. All rights reserved.
from .formatting import PackVideoInputs
from .frame_sampling import VideoFrameSample
from .loading import LoadSemSegMap, read_label_png

__all__ = [
    'LoadSemSegMap', 'PackVideoInputs', 'VideoFrameSample', 'read_label_png'
]
