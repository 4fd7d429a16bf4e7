# Copyright (c) OpenMMLab. All rights reserved.
"""Cityscapes / PASCAL VOC images (cascade segmentation) are mmseg's
datasets, reached from the ``mmvidseg`` scope by the ``mmseg.`` prefix:
mmvidseg has no copy of them.

A config writes e.g. ``dataset=dict(type='mmseg.CityscapesDataset', ...)``
with ``pipeline=[dict(type='mmseg.LoadAnnotations'), ...,
dict(type='mmseg.PackSegInputs')]``.
"""
import numpy as np
from PIL import Image

from mmvidseg.registry import DATASETS, TRANSFORMS


def test_scoped_names_reach_mmseg():
    from mmseg.datasets import (CityscapesDataset, PackSegInputs,
                                PascalVOCDataset)
    assert DATASETS.get('mmseg.CityscapesDataset') is CityscapesDataset
    assert DATASETS.get('mmseg.PascalVOCDataset') is PascalVOCDataset
    assert TRANSFORMS.get('mmseg.PackSegInputs') is PackSegInputs
    assert DATASETS.get('CityscapesDataset') is None  # no copy here


def _write_cityscapes(tmp_path):
    """One 8x16 Cityscapes-layout frame: class 7 on top, void below."""
    img_dir = tmp_path / 'leftImg8bit' / 'val' / 'toy'
    ann_dir = tmp_path / 'gtFine' / 'val' / 'toy'
    img_dir.mkdir(parents=True)
    ann_dir.mkdir(parents=True)
    Image.fromarray(np.zeros((8, 16, 3), np.uint8)).save(
        img_dir / 'toy_000000_000019_leftImg8bit.png')
    labels = np.full((8, 16), 255, np.uint8)
    labels[:4] = 7
    Image.fromarray(labels).save(
        ann_dir / 'toy_000000_000019_gtFine_labelTrainIds.png')


def test_cityscapes_layout_builds_from_mmvidseg_scope(tmp_path):
    _write_cityscapes(tmp_path)
    dataset = DATASETS.build(
        dict(
            type='mmseg.CityscapesDataset',
            data_root=str(tmp_path),
            data_prefix=dict(
                img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
            pipeline=[
                dict(type='mmseg.LoadImageFromFile'),
                dict(type='mmseg.LoadAnnotations'),
                dict(type='mmseg.PackSegInputs'),
            ]))
    assert len(dataset) == 1
    sample = dataset[0]['data_samples']
    seg = sample.gt_sem_seg.data[0].numpy()
    assert (seg[:4] == 7).all() and (seg[4:] == 255).all()


def test_cityscapes_config_pipelines_run(tmp_path):
    """``configs/_base_/datasets/cityscapes.py`` mixes ``mmseg.`` transforms
    with unprefixed ``RandomResize`` / ``RandomFlip`` / ``Resize``, which
    resolve to mmvidseg's dense-aware versions in this scope."""
    import os.path as osp

    from mmengine.config import Config
    repo = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    path = osp.join(repo, 'configs', '_base_', 'datasets', 'cityscapes.py')
    if not osp.isfile(path):
        import pytest
        pytest.skip('cityscapes.py is not in this checkout')
    cfg = Config.fromfile(path)
    _write_cityscapes(tmp_path)
    for split in ('train', 'val'):
        ds_cfg = cfg[f'{split}_dataloader'].dataset
        ds_cfg.data_root = str(tmp_path)
        ds_cfg.data_prefix = dict(
            img_path='leftImg8bit/val', seg_map_path='gtFine/val')
        sample = DATASETS.build(ds_cfg)[0]['data_samples']
        seg = sample.gt_sem_seg.data[0].numpy()
        assert set(np.unique(seg)) <= {7, 255}
        assert seg.shape == tuple(sample.img_shape if split == 'train' else
                                  sample.ori_shape)
