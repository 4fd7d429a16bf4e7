# Copyright (c) OpenMMLab. All rights reserved.
from .davis import (DAVISAccumulator, DAVISVideo, davis_null_reasons,
                    davis_summarize)
from .dvpq import DVPQAccumulator, DVPQVideo, dvpq_null_reasons, dvpq_summarize
from .psnr_ssim import psnr, ssim
from .stq import STQAccumulator, STQVideo, stq_summarize
from .vid import VIDAccumulator, coco_bbox_ap, vid_summarize
from .vpq import (VPQAccumulator, VPQVideo, pair_table, vpq_null_reasons,
                  vpq_summarize)
from .vss import (VSSAccumulator, VSSVideoState, VSSVideoStats,
                  confusion_matrix, vss_null_reasons, vss_summarize,
                  vss_video_stats)
from .ytvis import YTVISVideo, ytvis_evaluate, ytvis_summarize

__all__ = [
    'VSSAccumulator', 'VSSVideoState', 'VSSVideoStats', 'confusion_matrix',
    'vss_summarize', 'vss_video_stats', 'VPQAccumulator', 'VPQVideo',
    'pair_table', 'vpq_summarize', 'STQAccumulator', 'STQVideo',
    'stq_summarize', 'DVPQAccumulator', 'DVPQVideo', 'dvpq_summarize',
    'DAVISAccumulator', 'DAVISVideo', 'davis_summarize', 'VIDAccumulator',
    'vid_summarize', 'coco_bbox_ap', 'YTVISVideo', 'ytvis_evaluate',
    'ytvis_summarize',
    'psnr', 'ssim', 'vpq_null_reasons', 'dvpq_null_reasons',
    'vss_null_reasons', 'davis_null_reasons'
]
