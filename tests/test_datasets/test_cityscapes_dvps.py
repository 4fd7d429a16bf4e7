# Copyright (c) OpenMMLab. All rights reserved.
"""CityscapesDVPSDataset + panoptic and depth loading on toy files."""
import os.path as osp
import shutil

import numpy as np
import pytest
from PIL import Image

from mmvidseg.datasets import CityscapesDVPSDataset
from mmvidseg.testing import TOY_CLASSES, TOY_PALETTE, TOY_THING_CLASSES

TOY_META = dict(
    classes=TOY_CLASSES, thing_classes=TOY_THING_CLASSES, palette=TOY_PALETTE)
LOADERS = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadPanopticMap', format='cityscapes_dvps',
         num_classes=len(TOY_CLASSES), with_instances=True),
    dict(type='LoadDepthMap'),
]


def _dataset(root, pipeline=None, **kwargs):
    kwargs.setdefault('test_mode', True)
    if pipeline is None:
        pipeline = [dict(type='TransformBroadcaster', transforms=LOADERS),
                    dict(type='PackVideoInputs')]
    return CityscapesDVPSDataset(
        data_root=root, metainfo=TOY_META, pipeline=pipeline, **kwargs)


def test_default_metainfo():
    meta = CityscapesDVPSDataset.METAINFO
    assert len(meta['classes']) == 19
    assert meta['thing_classes'] == ('person', 'rider', 'car', 'truck', 'bus',
                                     'train', 'motorcycle', 'bicycle')


def test_lists_sequences(toy_cityscapes_dvps):
    ds = _dataset(toy_cityscapes_dvps[0], pipeline=[])
    assert len(ds) == 2
    frame = ds.get_data_info(1)['images'][3]
    assert osp.basename(frame['img_path']) == \
        '000001_000003_toy_000001_000003_leftImg8bit.png'
    assert frame['pan_map_path'].endswith('_gtFine_instanceTrainIds.png')
    assert frame['depth_map_path'].endswith('000003_depth.png')


def test_full_pipeline_matches_ground_truth(toy_cityscapes_dvps, load_video,
                                            expected_panoptic):
    root, videos = toy_cityscapes_dvps
    ds = _dataset(root)
    for index, video in enumerate(videos['val']):
        sample = load_video(ds, index)['data_samples']
        for t, frame in enumerate(sample.video_data_samples):
            np.testing.assert_array_equal(
                frame.gt_panoptic_seg.sem_seg[0].numpy(),
                expected_panoptic(video, t))
            depth = frame.gt_depth.data[0].numpy()
            assert depth.dtype == np.float32
            # stored as round(metres * 256)
            np.testing.assert_allclose(depth, video.depth[t], atol=0.5 / 256)
            assert (depth[video.depth[t] == 0] == 0).all()


def test_depth_follows_resize_crop_flip(toy_cityscapes_dvps):
    root, videos = toy_cityscapes_dvps
    pipeline = [
        dict(type='VideoFrameSample', num_frames=2, mode='offsets',
             offsets=[1]),
        dict(type='TransformBroadcaster', share_random_params=True,
             transforms=LOADERS + [
                 dict(type='Resize', scale=(96, 64), keep_ratio=True),
                 dict(type='RandomCrop', crop_size=(80, 48),
                      allow_negative_crop=True),
                 dict(type='RandomFlip', prob=1.0),
             ]),
        dict(type='PackVideoInputs'),
    ]
    ds = _dataset(root, pipeline=pipeline, test_mode=False)
    packed = ds.prepare_data((1, 0))
    video = videos['val'][1]
    for frame in packed['data_samples'].video_data_samples:
        t = frame.frame_id
        depth = frame.gt_depth.data[0].numpy()
        pan = frame.gt_panoptic_seg.sem_seg[0].numpy()
        assert depth.shape == pan.shape == (48, 80)
        # nearest-neighbour x2 upsampling, then the same crop and flip:
        # each (depth, panoptic) pair must exist in the ground truth
        big_depth = np.repeat(np.repeat(video.depth[t], 2, 0), 2, 1)[:, ::-1]
        big_pan = np.repeat(np.repeat(
            video.semantic[t].astype(np.int64) * 1000 + video.instance[t],
            2, 0), 2, 1)[:, ::-1]
        hits = [(y, x) for y in range(64 - 48 + 1) for x in range(96 - 80 + 1)
                if (big_pan[y:y + 48, x:x + 80] == pan).all() and np.allclose(
                    big_depth[y:y + 48, x:x + 80], depth, atol=0.5 / 256)]
        assert hits


def test_missing_depth_file(toy_cityscapes_dvps, tmp_path):
    import os
    root = str(tmp_path / 'cs')
    shutil.copytree(toy_cityscapes_dvps[0], root)
    path = osp.join(root, 'video_sequence', 'val',
                    '000000_000002_toy_000000_000002_depth.png')
    os.remove(path)
    with pytest.raises(FileNotFoundError) as e:
        _dataset(root)
    assert path in str(e.value)
    assert len(_dataset(root, with_depth=False)) == 2


def test_depth_not_single_channel(toy_cityscapes_dvps, tmp_path):
    root = str(tmp_path / 'cs')
    shutil.copytree(toy_cityscapes_dvps[0], root)
    path = osp.join(root, 'video_sequence', 'val',
                    '000000_000000_toy_000000_000000_depth.png')
    Image.fromarray(np.zeros((32, 48, 3), np.uint8)).save(path)
    with pytest.raises(ValueError, match='single-channel') as e:
        _dataset(root).prepare_data((0, 0))
    assert path in str(e.value)


def test_void_class_32(toy_cityscapes_dvps, tmp_path):
    root = str(tmp_path / 'cs')
    shutil.copytree(toy_cityscapes_dvps[0], root)
    path = osp.join(root, 'video_sequence', 'val',
                    '000000_000000_toy_000000_000000_'
                    'gtFine_instanceTrainIds.png')
    pan = np.array(Image.open(path))
    pan[0, :2] = (32000, 3000 + 7)  # void, car instance 7
    Image.fromarray(pan).save(path)
    frame = _dataset(root).prepare_data((0, 0))['data_samples'][0]
    assert frame.gt_panoptic_seg.sem_seg[0, 0, :2].tolist() == [255000, 3007]
    assert frame.gt_sem_seg.data[0, 0, :2].tolist() == [255, 3]
