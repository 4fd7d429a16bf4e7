# Copyright (c) OpenMMLab. All rights reserved.
from .vss import (VSSAccumulator, VSSVideoState, VSSVideoStats,
                  confusion_matrix, vss_summarize, vss_video_stats)

__all__ = [
    'VSSAccumulator', 'VSSVideoState', 'VSSVideoStats', 'confusion_matrix',
    'vss_summarize', 'vss_video_stats'
]
