# Copyright (c) OpenMMLab. All rights reserved.
import numpy as np
from mmcv.transforms import to_tensor
from mmdet.datasets.transforms import PackTrackInputs
from mmengine.structures import PixelData

from mmvidseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackVideoInputs(PackTrackInputs):
    """Pack sampled frames into ``inputs`` and a ``TrackDataSample``.

    Extends mmdet's ``PackTrackInputs`` (images to a (T, C, H, W) tensor,
    instances with ``instances_ids``, key/reference frame indices) with the
    dense per-frame annotations of video segmentation:

    ========================  ===========================================
    results key (per frame)   data-sample field
    ========================  ===========================================
    ``gt_seg_map``            ``gt_sem_seg``: ``PixelData(data=(1, H, W))``
    ``gt_panoptic_map``       ``gt_panoptic_seg``: ``PixelData(sem_seg=...)``
    ``gt_depth_map``          ``gt_depth``: ``PixelData(data=(1, H, W))``
    ========================  ===========================================

    Args:
        meta_keys (tuple, optional): Extra meta keys to collect.
    """

    def __init__(self, meta_keys=None):
        super().__init__(meta_keys=meta_keys)
        self.meta_keys += ('video_name', 'ignore_index')

    def transform(self, results: dict) -> dict:
        packed = super().transform(results)
        frames = packed['data_samples'].video_data_samples
        for key, field, name, dtype in (
            ('gt_seg_map', 'gt_sem_seg', 'data', np.int64),
            ('gt_panoptic_map', 'gt_panoptic_seg', 'sem_seg', np.int64),
            ('gt_depth_map', 'gt_depth', 'data', np.float32),
        ):
            if key not in results:
                continue
            for sample, arr in zip(frames, results[key]):
                tensor = to_tensor(np.ascontiguousarray(arr[None], dtype))
                sample.set_field(PixelData(**{name: tensor}), field)
        packed['data_samples'].video_data_samples = frames
        return packed
