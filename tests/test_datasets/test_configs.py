# Copyright (c) OpenMMLab. All rights reserved.
"""Every ``_base_`` dataset config builds and loads a sample of toy data.

The real-dataset configs are pointed at toy files written in the same
layout, so the paths, pipelines and scoped type names they hold are all
exercised.
"""
import os.path as osp

import pytest
from mmengine.config import Config

from mmvidseg.registry import DATASETS
from mmvidseg.structures import TrackDataSample
from mmvidseg.testing import TOY_CLASSES, TOY_THING_CLASSES

TOY_META = dict(classes=TOY_CLASSES, thing_classes=TOY_THING_CLASSES)

CONFIG_DIR = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs',
    '_base_', 'datasets')

#: config -> (fixture with the toy data, dataset overrides)
CASES = {
    'kitti_step.py': ('toy_kitti_step', {}),
    'toy_kitti_step.py': ('toy_kitti_step', {}),
    'vipseg.py': ('toy_vipseg', {}),
    'toy_vipseg.py': ('toy_vipseg', {}),
    'cityscapes_dvps.py': ('toy_cityscapes_dvps', {}),
    'toy_cityscapes_dvps.py': ('toy_cityscapes_dvps', {}),
    'semkitti_dvps.py': ('toy_semkitti_dvps', {}),
    'toy_semkitti_dvps.py': ('toy_semkitti_dvps', {}),
    # its JSON names the toy categories, which must be in the class list
    'cityscapes_vps.py': ('toy_cityscapes_vps', dict(
        train=dict(metainfo=TOY_META), val=dict(metainfo=TOY_META))),
    'youtube_vis_2019.py': ('toy_youtube_vis', {}),
    'youtube_vis_2021.py': ('toy_youtube_vis_2021', {}),
    'toy_youtube_vis.py': ('toy_youtube_vis', {}),
    # OVIS has the YouTube-VIS schema under other file names
    'ovis.py': ('toy_youtube_vis', dict(
        train=dict(ann_file='train.json',
                   data_prefix=dict(img_path='train/JPEGImages')),
        val=dict(ann_file='valid.json',
                 data_prefix=dict(img_path='valid/JPEGImages')))),
    # VID + DET merged train JSON, key frames only
    'imagenet_vid.py': ('toy_imagenet_vid_det', {}),
    'toy_imagenet_vid.py': ('toy_imagenet_vid', {}),
    'davis_2017.py': ('toy_davis', {}),
    'toy_davis.py': ('toy_davis', {}),
    'youtube_vos.py': ('toy_youtube_vos', {}),
    'vspw.py': ('toy_vspw_root', {}),
    'toy_vspw.py': ('toy_vspw_root', {}),
}


def test_every_config_is_tested():
    import os
    configs = {f for f in os.listdir(CONFIG_DIR) if f.endswith('.py')}
    # mmseg image datasets (cascade segmentation) belong to other tests
    configs -= {'cityscapes.py', 'pascal_voc12_aug.py'}
    assert configs <= set(CASES), sorted(configs - set(CASES))


@pytest.mark.parametrize('name', sorted(CASES))
def test_config_loads_toy_sample(name, request):
    fixture, overrides = CASES[name]
    root = request.getfixturevalue(fixture)
    root = root[0] if isinstance(root, tuple) else root
    cfg = Config.fromfile(osp.join(CONFIG_DIR, name))
    for split in ('train', 'val'):
        loader = cfg[f'{split}_dataloader']
        assert loader.sampler.type == 'mmdet.TrackImgSampler'
        ds_cfg = loader.dataset.copy()
        ds_cfg.data_root = root
        ds_cfg.update(overrides.get(split, {}))
        dataset = DATASETS.build(ds_cfg)
        assert len(dataset) > 0
        # (video 0, frame 0): a training clip or one test frame
        packed = dataset.prepare_data((0, 0))
        sample = packed['data_samples']
        assert isinstance(sample, TrackDataSample)
        assert packed['inputs'].ndim == 4  # (T, C, H, W)
        assert len(sample) == packed['inputs'].shape[0]
        if split == 'train':
            assert sample.key_frames_inds  # a key frame is flagged
    assert cfg.val_dataloader.dataset.test_mode


def test_random_resize_uses_dense_aware_resize(toy_kitti_step):
    from mmvidseg.datasets.transforms import Resize
    cfg = Config.fromfile(osp.join(CONFIG_DIR, 'toy_kitti_step.py'))
    cfg.train_dataloader.dataset.data_root = toy_kitti_step[0]
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    broadcaster = dataset.pipeline.transforms[1]
    random_resize = broadcaster.transforms.transforms[2]
    assert isinstance(random_resize.resize, Resize)
    sample = dataset.prepare_data((0, 1))['data_samples']
    for frame in sample.video_data_samples:
        h, w = frame.img_shape
        assert frame.gt_panoptic_seg.sem_seg.shape[-2:] == (h, w)
