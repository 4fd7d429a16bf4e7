# Copyright (c) OpenMMLab. All rights reserved.
"""An online video segmentor that averages class probabilities over time."""
from typing import Optional

from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.structures import PixelData
from torch import Tensor

from mmvidseg.models import FrameSegmentor
from mmvidseg.registry import MODELS


@MODELS.register_module()
class TemporalEMASegmentor(FrameSegmentor):
    """The frame baseline with temporally smoothed predictions.

    Training is the frame baseline's (any mmseg image segmentor on every
    frame). At test time the frames of a video are segmented in order and
    each frame's class probabilities ``p_t`` (C, H, W) are blended with the
    running average of the previous frames::

        s_t = momentum * s_{t-1} + (1 - momentum) * p_t

    and ``pred_sem_seg`` is the argmax of ``s_t``. The average restarts at
    every video's first frame (:meth:`BaseVideoModel.start_frame`), so
    whole-video samples and frame-by-frame samples give the same result.
    Smoothing trades a little accuracy at moving boundaries for temporal
    consistency (VSPW's mVC).

    Args:
        segmentor (dict): Config of the image model, e.g.
            ``dict(type='mmseg.EncoderDecoder', ...)``.
        momentum (float): Weight of the past in [0, 1). 0 gives the frame
            baseline. Defaults to 0.5.
        data_preprocessor (dict, optional): Usually
            ``dict(type='VideoDataPreprocessor', ...)``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 segmentor: ConfigType,
                 momentum: float = 0.5,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            segmentor=segmentor,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f'momentum must lie in [0, 1), got {momentum}')
        self.momentum = float(momentum)
        self._average: Optional[Tensor] = None

    def reset_state(self) -> None:
        """Forget the running average (a new video starts)."""
        self._average = None

    def predict(self, inputs: Tensor, data_samples: list) -> list:
        """Segment the frames in order with smoothed probabilities.

        Args:
            inputs (Tensor): (N, T, C, H, W) clips or (N, C, H, W) frames.
            data_samples (list): N ``TrackDataSample`` or per-frame samples.

        Returns:
            list: ``data_samples``; every frame holds ``pred_sem_seg``
            (1, H, W) and ``seg_logits`` (C, H, W) of its original size.
        """
        frames, frame_samples = self.to_frames(inputs, data_samples, True)
        self.segmentor.predict(frames, frame_samples)
        for sample in frame_samples:
            self.start_frame(sample.metainfo)
            probs = sample.seg_logits.data.softmax(dim=0)
            if self._average is None or self._average.shape != probs.shape:
                self._average = probs
            else:
                self._average = (self.momentum * self._average +
                                 (1.0 - self.momentum) * probs)
            sample.pred_sem_seg = PixelData(
                data=self._average.argmax(dim=0, keepdim=True))
        return data_samples
