# Copyright (c) OpenMMLab. All rights reserved.
"""SemKITTIDVPSDataset on toy files."""
import os
import os.path as osp
import shutil

import numpy as np
import pytest

from mmvidseg.datasets import SemKITTIDVPSDataset, VideoDatasetError
from mmvidseg.testing import TOY_CLASSES, TOY_THING_CLASSES

TOY_META = dict(classes=TOY_CLASSES, thing_classes=TOY_THING_CLASSES)
PIPELINE = [
    dict(type='TransformBroadcaster',
         transforms=[
             dict(type='LoadImageFromFile'),
             dict(type='LoadPanopticMap', format='semkitti_dvps',
                  num_classes=len(TOY_CLASSES), with_instances=True),
             dict(type='LoadDepthMap'),
         ]),
    dict(type='PackVideoInputs'),
]


def _dataset(root, pipeline=PIPELINE, **kwargs):
    kwargs.setdefault('test_mode', True)
    return SemKITTIDVPSDataset(
        data_root=root, metainfo=TOY_META, pipeline=pipeline, **kwargs)


def test_default_metainfo():
    meta = SemKITTIDVPSDataset.METAINFO
    assert len(meta['classes']) == 19
    assert meta['thing_classes'][0] == 'car'
    assert meta['thing_classes'][-1] == 'motorcyclist'
    assert len(meta['thing_classes']) == 8


def test_lists_frames_and_focal_length(toy_semkitti_dvps):
    ds = _dataset(toy_semkitti_dvps[0], pipeline=[])
    assert len(ds) == 2
    frame = ds.get_data_info(0)['images'][1]
    assert frame['seg_map_path'].endswith('000000_000001_gtFine_class.png')
    assert frame['inst_map_path'].endswith(
        '000000_000001_gtFine_instance.png')
    assert frame['depth_map_path'].endswith(
        '000000_000001_depth_718.8560180664062.png')
    assert frame['focal_length'] == 718.8560180664062


def test_full_pipeline_matches_ground_truth(toy_semkitti_dvps, load_video,
                                            expected_panoptic):
    root, videos = toy_semkitti_dvps
    ds = _dataset(root)
    for index, video in enumerate(videos['val']):
        sample = load_video(ds, index)['data_samples']
        for t, frame in enumerate(sample.video_data_samples):
            assert frame.focal_length == 718.8560180664062
            np.testing.assert_array_equal(
                frame.gt_panoptic_seg.sem_seg[0].numpy(),
                expected_panoptic(video, t))
            np.testing.assert_allclose(
                frame.gt_depth.data[0].numpy(), video.depth[t],
                atol=0.5 / 256)


def test_depth_name_errors(toy_semkitti_dvps, tmp_path):
    root = str(tmp_path / 'sk')
    shutil.copytree(toy_semkitti_dvps[0], root)
    folder = osp.join(root, 'video_sequence', 'val')
    old = osp.join(folder, '000000_000001_depth_718.8560180664062.png')
    os.remove(old)
    with pytest.raises(FileNotFoundError, match='000000_000001_depth_'):
        _dataset(root, pipeline=[])
    bad = osp.join(folder, '000000_000001_depth_abc.png')
    shutil.copy(osp.join(folder, '000000_000000_leftImg8bit.png'), bad)
    with pytest.raises(VideoDatasetError, match='focal length') as e:
        _dataset(root, pipeline=[])
    assert bad in str(e.value)


def test_instance_map_size_differs(toy_semkitti_dvps, tmp_path):
    from PIL import Image
    root = str(tmp_path / 'sk')
    shutil.copytree(toy_semkitti_dvps[0], root)
    path = osp.join(root, 'video_sequence', 'val',
                    '000000_000000_gtFine_instance.png')
    Image.fromarray(np.zeros((10, 10), np.uint16)).save(path)
    with pytest.raises(ValueError, match='10x10') as e:
        _dataset(root).prepare_data((0, 0))
    assert path in str(e.value)
