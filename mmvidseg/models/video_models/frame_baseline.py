# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict, Optional

from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from torch import Tensor

from mmvidseg.registry import MODELS
from .base import BaseVideoModel


@MODELS.register_module()
class FrameSegmentor(BaseVideoModel):
    """The single-frame baseline: any image model, run on every frame.

    Every seed paper compares its video model against the same image model
    applied frame by frame. This wraps an mmseg segmentor (or any model
    with the mmseg/mmdet ``loss(inputs, samples)`` /
    ``predict(inputs, samples)`` API) so it trains and tests on video
    clips: clips (N, T, C, H, W) are flattened to frames (N*T, C, H, W),
    and each frame's ``DetDataSample`` (carrying ``gt_sem_seg``) is handed to
    the image model, which writes ``pred_sem_seg`` (and ``seg_logits``)
    into it. Plain image batches (N, C, H, W) pass straight through.

    Args:
        segmentor (dict): Config of the image model, e.g.
            ``dict(type='mmseg.EncoderDecoder', backbone=..., ...)``. Its
            own ``data_preprocessor`` is not used: normalisation and padding
            happen once, in this model's.
        data_preprocessor (dict, optional): Usually
            ``dict(type='VideoDataPreprocessor', ...)``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 segmentor: ConfigType,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        segmentor = dict(segmentor)
        segmentor['data_preprocessor'] = None
        self.segmentor = MODELS.build(segmentor)

    def loss(self, inputs: Tensor, data_samples: list) -> Dict[str, Tensor]:
        """Losses of the image model on every frame of the clips."""
        frames, frame_samples = self.to_frames(inputs, data_samples)
        return self.segmentor.loss(frames, frame_samples)

    def predict(self, inputs: Tensor, data_samples: list) -> list:
        """Predict every frame; returns ``data_samples`` with ``pred_*``.

        Returns:
            list: The input samples (``TrackDataSample`` for clips), each
            frame now holding ``pred_sem_seg`` of its original size.
        """
        frames, frame_samples = self.to_frames(inputs, data_samples)
        self.segmentor.predict(frames, frame_samples)
        return data_samples

    def _forward(self, inputs: Tensor, data_samples: Optional[list] = None):
        """Raw outputs of the image model, shape (N*T, K, h, w) for mmseg."""
        frames, frame_samples = self.to_frames(inputs, data_samples)
        return self.segmentor._forward(frames, frame_samples)
