# Copyright (c) OpenMMLab. All rights reserved.
"""Inference API: run a model on a video file, a frame folder, a list of
frames or a webcam (see ``docs/en/advanced_guides/architecture.md``)."""
from .base import BaseVideoInferencer, array_pipeline
from .frame_interpolation_inferencer import FrameInterpolationInferencer
from .video_det_inferencer import VideoDetInferencer, detection_lines
from .video_io import FrameSource, FrameWriter
from .video_seg_inferencer import VideoSegInferencer, frame_prediction
from .vos_inferencer import VOSInferencer, read_first_mask

__all__ = [
    'BaseVideoInferencer', 'VideoSegInferencer',
    'FrameInterpolationInferencer', 'FrameSource', 'FrameWriter',
    'array_pipeline', 'frame_prediction', 'VideoDetInferencer',
    'detection_lines', 'VOSInferencer', 'read_first_mask'
]
