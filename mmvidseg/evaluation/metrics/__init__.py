# Copyright (c) OpenMMLab. All rights reserved.
from .davis_metric import DAVISMetric
from .depth_metric import DepthMetric
from .dvps_metric import DVPSMetric
from .psnr_ssim_metric import PSNRSSIMMetric
from .submission import YouTubeVOSSubmission, submission_evaluator
from .vid_metric import ImageNetVIDMetric
from .video_stream_metric import PanopticVideoMetric, VideoStreamMetric
from .vps_metric import VPSMetric
from .vss_metric import VSSMetric
from .ytvis_metric import YouTubeVISVideoMetric

__all__ = [
    'VSSMetric', 'VPSMetric', 'DVPSMetric', 'YouTubeVISVideoMetric',
    'ImageNetVIDMetric', 'DAVISMetric', 'VideoStreamMetric',
    'PanopticVideoMetric', 'PSNRSSIMMetric', 'submission_evaluator',
    'DepthMetric', 'YouTubeVOSSubmission'
]
