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
    ``gt_flow_map`` (H, W, 2) ``gt_flow``: ``PixelData(data=(2, H, W))``
    ========================  ===========================================

    Besides mmdet's default meta keys, each frame's metainfo gets these
    when the pipeline produced them: ``video_name``, ``ignore_index``,
    ``flow_valid`` (a forward flow exists), ``ref_object_ids`` (VOS: the
    objects whose mask is given as the reference in this frame) and
    ``focal_length`` (SemKITTI-DVPS).

    Args:
        meta_keys (tuple, optional): Extra meta keys to collect.
    """

    def __init__(self, meta_keys=None):
        super().__init__(meta_keys=meta_keys)
        self.meta_keys += ('video_name', 'ignore_index', 'flow_valid',
                           'ref_object_ids', 'focal_length')

    def transform(self, results: dict) -> dict:
        packed = super().transform(results)
        frames = packed['data_samples'].video_data_samples
        for key, field, name, dtype in (
            ('gt_seg_map', 'gt_sem_seg', 'data', np.int64),
            ('gt_panoptic_map', 'gt_panoptic_seg', 'sem_seg', np.int64),
            ('gt_depth_map', 'gt_depth', 'data', np.float32),
            ('gt_flow_map', 'gt_flow', 'data', np.float32),
        ):
            if key not in results:
                continue
            for sample, arr in zip(frames, results[key]):
                # (H, W) -> (1, H, W); flow (H, W, 2) -> (2, H, W)
                arr = arr.transpose(2, 0, 1) if arr.ndim == 3 else arr[None]
                tensor = to_tensor(np.ascontiguousarray(arr, dtype))
                sample.set_field(PixelData(**{name: tensor}), field)
        # ``frames`` is the sample's own list, filled in place: setting it
        # again would run mmdet's setter, which formats the whole first
        # frame (tensors included) on every call
        return packed
