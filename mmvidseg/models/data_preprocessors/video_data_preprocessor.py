# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict

import torch.nn.functional as F
from mmdet.models.data_preprocessors import TrackDataPreprocessor

from mmvidseg.registry import MODELS
from mmvidseg.structures import VOID_PANOPTIC


@MODELS.register_module()
class VideoDataPreprocessor(TrackDataPreprocessor):
    """Normalise, pad and stack video clips to (N, T, C, H, W).

    mmdet's ``TrackDataPreprocessor`` does the images and instance masks;
    this adds the dense per-frame targets of video segmentation. In
    training, each frame's ``gt_sem_seg`` and ``gt_panoptic_seg`` are padded
    with ``seg_pad_value`` / void and ``gt_depth`` with 0 to the batch input
    shape (at test time the ground truth stays at the original size, as in
    mmseg). Every frame gets ``pad_shape`` = the batch input shape and
    ``padding_size`` = (left, right, top, bottom) in its metainfo, so that
    mmseg heads crop the padding off their predictions.

    Args:
        seg_pad_value (int): Value of padded semantic/panoptic pixels.
            Defaults to 255.
        **kwargs: Arguments of ``mmdet.TrackDataPreprocessor`` (``mean``,
            ``std``, ``bgr_to_rgb``, ``pad_size_divisor``, ``pad_value``...).
    """

    def __init__(self, seg_pad_value: int = 255, **kwargs):
        super().__init__(**kwargs)
        self.seg_pad_value = seg_pad_value

    def forward(self, data: dict, training: bool = False) -> Dict:
        data = super().forward(data, training)
        samples = data['data_samples']
        if samples is None:
            return data
        pad_h, pad_w = data['inputs'].shape[-2:]
        for track_sample in samples:
            for frame in track_sample.video_data_samples:
                h, w = frame.metainfo['img_shape'][:2]
                frame.set_metainfo(
                    dict(
                        pad_shape=(pad_h, pad_w),
                        padding_size=[0, pad_w - w, 0, pad_h - h]))
                if not training:
                    continue
                for field, attr, value in (
                    ('gt_sem_seg', 'data', self.seg_pad_value),
                    ('gt_panoptic_seg', 'sem_seg', VOID_PANOPTIC),
                    ('gt_depth', 'data', 0),
                ):
                    if field not in frame:
                        continue
                    pixel = frame.get(field)
                    t = pixel.get(attr)
                    if t.shape[-2:] != (pad_h, pad_w):
                        t = F.pad(t, (0, pad_w - t.shape[-1], 0,
                                      pad_h - t.shape[-2]), value=value)
                        pixel.set_field(t, attr)
        return data
