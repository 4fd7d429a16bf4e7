# Copyright (c) OpenMMLab. All rights reserved.
"""PackVideoInputs packs every dense field per frame."""
import numpy as np
import torch

from mmvidseg.datasets.transforms import PackVideoInputs
from mmvidseg.structures import TrackDataSample


def test_pack_dense_fields_and_meta():
    t, h, w = 2, 4, 5
    results = dict(
        img=[np.zeros((h, w, 3), np.uint8)] * t,
        img_id=[0, 1],
        frame_id=[0, 1],
        video_name=['v', 'v'],
        ori_shape=[(h, w)] * t,
        img_shape=[(h, w)] * t,
        flow_valid=[True, False],
        ref_object_ids=[[1, 2], []],
        key_frame_flags=[False, True],
        gt_seg_map=[np.full((h, w), 3, np.uint8)] * t,
        gt_panoptic_map=[np.full((h, w), 3004, np.int32)] * t,
        gt_depth_map=[np.full((h, w), 2.5, np.float32)] * t,
        gt_flow_map=[np.stack([np.ones((h, w)), -np.ones((h, w))],
                              -1).astype(np.float32)] * t,
    )
    packed = PackVideoInputs()(results)
    assert packed['inputs'].shape == (t, 3, h, w)
    sample = packed['data_samples']
    assert isinstance(sample, TrackDataSample)
    assert sample.key_frames_inds == [1]
    frame = sample.video_data_samples[0]
    assert frame.gt_sem_seg.data.shape == (1, h, w)
    assert frame.gt_sem_seg.data.dtype == torch.int64
    assert frame.gt_panoptic_seg.sem_seg.shape == (1, h, w)
    assert int(frame.gt_panoptic_seg.sem_seg[0, 0, 0]) == 3004
    assert frame.gt_depth.data.dtype == torch.float32
    assert frame.gt_flow.data.shape == (2, h, w)
    assert frame.gt_flow.data[0].eq(1).all() and frame.gt_flow.data[1].eq(
        -1).all()
    assert frame.video_name == 'v'
    assert frame.flow_valid and not sample.video_data_samples[1].flow_valid
    assert frame.ref_object_ids == [1, 2]
