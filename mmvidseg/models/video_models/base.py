# Copyright (c) OpenMMLab. All rights reserved.
from abc import ABCMeta, abstractmethod
from typing import Dict, List, Optional, Tuple, Union

from mmdet.utils import OptConfigType, OptMultiConfig
from mmengine.model import BaseModel
from torch import Tensor

from ..utils import frames_from_video

ForwardResults = Union[Dict[str, Tensor], list, Tensor, Tuple[Tensor, ...]]


class BaseVideoModel(BaseModel, metaclass=ABCMeta):
    """Base class of every top-level mmvidseg model (one per method).

    It holds what all methods share, in the spirit of mmseg's
    ``BaseSegmentor``:

    * :meth:`forward` dispatches ``mode`` to :meth:`loss` (a dict of
      losses), :meth:`predict` (the data samples with ``pred_*`` fields)
      or :meth:`_forward` (raw tensors, for FLOPs counting and export);
    * :meth:`to_frames` turns a batch of clips (N, T, C, H, W) and its
      ``TrackDataSample`` s into a batch of frames (N * T, C, H, W) and the
      per-frame samples; image batches (N, C, H, W) pass through;
    * :meth:`start_frame` tells an online model when a new video starts
      (``frame_id`` 0, another video id, or a still image) and then calls
      :meth:`reset_state`, which models with state across frames (previous
      kernels, a tracker memory) override;
    * :meth:`denormalize` undoes the data preprocessor's normalisation (for
      synthesised frames and visualisation).

    A method subclasses it and implements ``loss``, ``predict`` and
    ``_forward``.

    Args:
        data_preprocessor (dict, optional): Usually
            ``dict(type='VideoDataPreprocessor', ...)``. Defaults to None.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None.
    """

    MODES = ('loss', 'predict', 'tensor')

    def __init__(self,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self._video_key = None

    def forward(self,
                inputs: Tensor,
                data_samples: Optional[list] = None,
                mode: str = 'tensor') -> ForwardResults:
        """Dispatch to :meth:`loss`, :meth:`predict` or :meth:`_forward`.

        Args:
            inputs (Tensor): Clips of shape (N, T, C, H, W) or images of
                shape (N, C, H, W), normalised by the data preprocessor.
            data_samples (list, optional): N ``TrackDataSample`` (clips) or
                N per-image samples. Defaults to None.
            mode (str): ``'loss'``, ``'predict'`` or ``'tensor'``.
                Defaults to ``'tensor'``.

        Returns:
            dict | list | Tensor | tuple: Losses (``'loss'``), the data
            samples with predictions (``'predict'``) or raw outputs
            (``'tensor'``).

        Raises:
            ValueError: For any other ``mode``.
        """
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._forward(inputs, data_samples)
        raise ValueError(f'{type(self).__name__}: invalid mode "{mode}", '
                         f'use one of {", ".join(self.MODES)}')

    @abstractmethod
    def loss(self, inputs: Tensor, data_samples: list) -> Dict[str, Tensor]:
        """Losses of a batch (a dict of scalar tensors and log values)."""

    @abstractmethod
    def predict(self, inputs: Tensor, data_samples: list) -> list:
        """Predictions, written into ``data_samples``, which are returned."""

    @abstractmethod
    def _forward(self,
                 inputs: Tensor,
                 data_samples: Optional[list] = None) -> ForwardResults:
        """Raw network outputs, no post-processing."""

    @staticmethod
    def to_frames(inputs: Tensor,
                  data_samples: Optional[list] = None,
                  need_samples: bool = False) -> Tuple[Tensor, Optional[List]]:
        """Flatten clips into frames (see :func:`frames_from_video`).

        Args:
            inputs (Tensor): (N, T, C, H, W) clips or (N, C, H, W) frames.
            data_samples (list, optional): N ``TrackDataSample`` or N
                per-image samples. Defaults to None.
            need_samples (bool): Raise unless there is one sample per
                frame. Defaults to False.

        Returns:
            tuple:
            - frames (Tensor): Shape (N * T, C, H, W).
            - frame_samples (list | None): The N * T per-frame samples.
        """
        frames, samples = frames_from_video(inputs, data_samples)
        if need_samples and (samples is None
                             or len(samples) != frames.size(0)):
            raise ValueError(
                f'expected one data sample per frame ({frames.size(0)}), '
                f'got {0 if samples is None else len(samples)}')
        return frames, samples

    def start_frame(self, meta: dict) -> bool:
        """Note the next frame of online inference; reset on a new video.

        A frame starts a new video when its ``frame_id`` is 0, when its
        ``video_id`` (or ``video_name``) differs from the previous frame's,
        or when it has no ``frame_id`` (a still image). Then
        :meth:`reset_state` is called.

        Args:
            meta (dict): The frame's metainfo.

        Returns:
            bool: Whether the frame starts a new video.
        """
        key = meta.get('video_id', meta.get('video_name'))
        frame_id = meta.get('frame_id')
        new = frame_id is None or frame_id == 0 or key != self._video_key
        self._video_key = key
        if new:
            self.reset_state()
        return new

    def reset_state(self) -> None:
        """Forget the state kept across frames (none in the base class)."""

    def denormalize(self, frames: Tensor) -> Tensor:
        """Undo the data preprocessor's normalisation.

        Args:
            frames (Tensor): Normalised frames of shape (N, C, H, W).

        Returns:
            Tensor: Shape (N, C, H, W), 0-255 (not clamped), in the channel
            order the model sees (RGB with ``bgr_to_rgb``).
        """
        pre = self.data_preprocessor
        if getattr(pre, '_enable_normalize', False):
            return frames * pre.std + pre.mean
        return frames
