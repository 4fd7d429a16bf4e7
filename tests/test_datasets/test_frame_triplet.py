# Copyright (c) OpenMMLab. All rights reserved.
"""FrameTripletDataset, its transforms and the toy triplet writer."""
import os
import os.path as osp
import random
import shutil

import mmcv
import numpy as np
import pytest
import torch

from mmvidseg.datasets import FrameTripletDataset, VideoDatasetError
from mmvidseg.datasets.transforms import (LoadFrameTriplet, PackTripletInputs,
                                          TripletRandomCrop, TripletRandomFlip,
                                          TripletResize, TripletTemporalFlip)
from mmvidseg.testing import generate_toy_video
from mmvidseg.testing.toy_formats import write_triplets
from mmvidseg.testing.toy_formats.triplets import motion_mask

H, W = 24, 32


@pytest.fixture(scope='module')
def toy(tmp_path_factory):
    splits = {
        'train': [
            generate_toy_video(s, num_frames=5, height=H, width=W)
            for s in range(2)
        ],
        'val': [generate_toy_video(1000, num_frames=4, height=H, width=W)],
    }
    root = str(tmp_path_factory.mktemp('toy_triplets'))
    return write_triplets(root, splits), splits


def _dvf(root, split='train', **kwargs):
    kwargs.setdefault('data_prefix', dict(img_path='ucf101_triplets'))
    return FrameTripletDataset(
        data_root=root,
        ann_file=f'data_list/ucf101_{split}_files_frame1.txt',
        pipeline=[],
        **kwargs)


def _copy(root, tmp_path):
    dst = str(tmp_path / 'copy')
    shutil.copytree(root, dst)
    return dst


# ------------------------------------------------------------------ writer
def test_writer_layouts(toy):
    root, splits = toy
    lines = {
        k: open(osp.join(root, 'data_list',
                         f'ucf101_train_files_frame{k}.txt')).read().split()
        for k in (1, 2, 3)
    }
    assert lines[1][:2] == ['1/frame_1.png', '2/frame_1.png']
    assert len(lines[1]) == len(lines[3]) == 2 * (5 - 2)
    # triplet ids continue over splits: val starts after the 6 train ones
    val = open(osp.join(root, 'data_list',
                        'ucf101_val_files_frame2.txt')).read().split()
    assert val == ['7/frame_2.png', '8/frame_2.png']
    video = splits['train'][1]
    # triplet 5 = video 1, frames 1, 2, 3
    for k in (1, 2, 3):
        img = mmcv.imread(
            osp.join(root, 'ucf101_triplets', f'5/frame_{k}.png'),
            channel_order='rgb')
        np.testing.assert_array_equal(img, video.images[k])
    mask = mmcv.imread(osp.join(root, 'motion_masks', '5', 'motion_mask.png'),
                       flag='unchanged')
    np.testing.assert_array_equal(mask, motion_mask(video, 2))
    assert set(np.unique(mask)) <= {0, 255}
    speed = np.linalg.norm(video.flow[2], axis=-1)
    assert ((mask > 0) == (speed >= 1.0)).all()
    pairs = open(osp.join(root, 'videos_train.txt')).read().splitlines()
    assert pairs[:4] == ['toy_0000 0', 'toy_0000 1', 'toy_0000 2',
                         'toy_0001 0']
    assert sorted(os.listdir(osp.join(root, 'videos', 'toy_1000'))) == [
        f'{t:06d}.png' for t in range(4)
    ]


# ------------------------------------------------------------------ dataset
def test_dvf_lists(toy):
    root, _ = toy
    ds = _dvf(root, data_prefix=dict(img_path='ucf101_triplets',
                                     mask_path='motion_masks'))
    assert len(ds) == 6
    info = ds.get_data_info(4)
    assert [osp.relpath(p, root) for p in info['img_path']] == [
        f'ucf101_triplets/5/frame_{k}.png' for k in (1, 2, 3)
    ]
    assert info['key_frame_flags'] == [False, True, False]
    assert info['motion_mask_path'][0] is None
    assert info['motion_mask_path'][1].endswith('motion_masks/5/'
                                                'motion_mask.png')
    extra = _dvf(root, synthesis='extra')
    assert extra.get_data_info(0)['key_frame_flags'] == [False, False, True]
    assert extra.get_data_info(0)['motion_mask_path'] == [None] * 3


def test_folder_modes(toy):
    root, _ = toy
    ds = FrameTripletDataset(data_root=root, list_format='folder',
                             data_prefix=dict(img_path='videos'), pipeline=[])
    assert len(ds) == 3 + 3 + 2  # every consecutive triple of 3 videos
    assert [osp.basename(p) for p in ds.get_data_info(0)['img_path']] == [
        '000000.png', '000001.png', '000002.png'
    ]
    with pytest.warns(UserWarning, match='toy_1000 has 4 frames'):
        wide = FrameTripletDataset(data_root=root, list_format='folder',
                                   frame_interval=2, triplet_stride=1,
                                   data_prefix=dict(img_path='videos'),
                                   pipeline=[])
    assert len(wide) == 1 + 1  # 5-frame videos: (0, 2, 4); 4 frames: none
    assert [osp.basename(p) for p in wide.get_data_info(0)['img_path']] == [
        '000000.png', '000002.png', '000004.png'
    ]
    listed = FrameTripletDataset(data_root=root, list_format='folder',
                                 ann_file='videos_val.txt',
                                 data_prefix=dict(img_path='videos'),
                                 pipeline=[])
    assert len(listed) == 2
    assert listed.get_data_info(1)['img_path'][2].endswith(
        'toy_1000/000003.png')


def test_dataset_errors(toy, tmp_path):
    root, _ = toy
    with pytest.raises(FileNotFoundError, match='ucf101_test_files_frame1'):
        _dvf(root, split='test')
    with pytest.raises(ValueError, match='list_format'):
        FrameTripletDataset(list_format='csv', pipeline=[])
    with pytest.raises(VideoDatasetError, match='"frame1"'):
        FrameTripletDataset(data_root=root, ann_file='videos_val.txt',
                            pipeline=[])
    copy = _copy(root, tmp_path)
    lists = osp.join(copy, 'data_list')
    # a bad line names the file and the line number
    with open(osp.join(lists, 'ucf101_train_files_frame2.txt'), 'a') as f:
        f.write('7/frame_2.png 3\n')
    for k in (1, 3):
        with open(osp.join(lists, f'ucf101_train_files_frame{k}.txt'),
                  'a') as f:
            f.write(f'7/frame_{k}.png\n')
    with pytest.raises(VideoDatasetError,
                       match=r'ucf101_train_files_frame2.txt:7'):
        _dvf(copy)
    # lists of different lengths
    with open(osp.join(lists, 'ucf101_val_files_frame3.txt'), 'a') as f:
        f.write('9/frame_3.png\n')
    with pytest.raises(VideoDatasetError, match='differ in length'):
        _dvf(copy, split='val')
    # a missing frame is named at construction
    os.remove(osp.join(copy, 'ucf101_triplets', '2', 'frame_3.png'))
    with open(osp.join(lists, 'ucf101_train_files_frame2.txt'), 'w') as f:
        f.write('1/frame_2.png\n2/frame_2.png\n')
    for k in (1, 3):
        with open(osp.join(lists, f'ucf101_train_files_frame{k}.txt'),
                  'w') as f:
            f.write(f'1/frame_{k}.png\n2/frame_{k}.png\n')
    with pytest.raises(FileNotFoundError, match='2/frame_3.png'):
        _dvf(copy)
    assert len(_dvf(copy, check_files=False)) == 2
    # folder mode list lines
    with open(osp.join(copy, 'bad.txt'), 'w') as f:
        f.write('toy_1000 0\ntoy_1000\n')
    with pytest.raises(VideoDatasetError, match=r'bad.txt:2'):
        FrameTripletDataset(data_root=copy, list_format='folder',
                            ann_file='bad.txt',
                            data_prefix=dict(img_path='videos'), pipeline=[])


def test_is_a_video_dataset_of_one_sample_triplets(toy):
    """A BaseVideoDataset whose items go to the pipeline as they are; a
    frame-level sampler visits each triplet once."""
    from mmdet.datasets.samplers import TrackImgSampler

    from mmvidseg.datasets import BaseVideoDataset
    root, _ = toy
    ds = _dvf(root)
    assert isinstance(ds, BaseVideoDataset)
    assert [ds.get_len_per_video(i) for i in range(len(ds))] == [1] * 6
    indices = list(TrackImgSampler(ds, seed=0))
    assert sorted(indices) == [(i, 0) for i in range(6)]
    assert ds.prepare_data((4, 0)) == ds.prepare_data(4) == \
        ds.get_data_info(4)
    assert ds[4]['key_frame_flags'] == [False, True, False]


# ------------------------------------------------------------ transforms
def _loaded(root, idx=4, **kwargs):
    ds = _dvf(root, data_prefix=dict(img_path='ucf101_triplets',
                                     mask_path='motion_masks'), **kwargs)
    return LoadFrameTriplet().transform(ds.get_data_info(idx))


def test_load_and_pack(toy):
    root, splits = toy
    results = _loaded(root)
    assert len(results['img']) == 3 and results['img_shape'][0] == (H, W)
    video = splits['train'][1]
    np.testing.assert_array_equal(results['img'][0][..., ::-1],
                                  video.images[1])  # BGR as mmcv loads
    assert results['gt_motion_mask'][0] is None
    np.testing.assert_array_equal(results['gt_motion_mask'][1],
                                  motion_mask(video, 2) > 0)
    packed = PackTripletInputs(pack_frames='all').transform(results)
    assert packed['inputs'].shape == (3, 3, H, W)
    sample = packed['data_samples']
    assert sample.key_frames_inds == [1] and sample.ref_frames_inds == [0, 2]
    for i in range(3):  # gt_frame is RGB
        np.testing.assert_array_equal(
            sample[i].gt_frame.data.numpy().transpose(1, 2, 0),
            video.images[1 + i])
    assert sample[1].gt_motion_mask.data.shape == (1, H, W)
    assert 'gt_motion_mask' not in sample[0]
    key_only = PackTripletInputs(pack_frames='key').transform(_loaded(root))
    assert 'gt_frame' not in key_only['data_samples'][0]
    assert 'gt_frame' in key_only['data_samples'][1]
    none = PackTripletInputs(pack_frames='none').transform(_loaded(root))
    assert all('gt_frame' not in s for s in none['data_samples'])
    with pytest.raises(ValueError, match='pack_frames'):
        PackTripletInputs(pack_frames='some')


def test_load_errors(toy, tmp_path):
    root, _ = toy
    copy = _copy(root, tmp_path)
    small = np.zeros((H // 2, W, 3), np.uint8)
    mmcv.imwrite(small, osp.join(copy, 'ucf101_triplets', '1', 'frame_3.png'))
    ds = _dvf(copy, data_prefix=dict(img_path='ucf101_triplets',
                                     mask_path='motion_masks'))
    with pytest.raises(ValueError, match=r'1/frame_3.png 12x32'):
        LoadFrameTriplet().transform(ds.get_data_info(0))
    mmcv.imwrite(small[..., 0],
                 osp.join(copy, 'motion_masks', '2', 'motion_mask.png'))
    with pytest.raises(ValueError, match=r'motion mask .*2/motion_mask.png'):
        LoadFrameTriplet().transform(ds.get_data_info(1))
    os.remove(osp.join(copy, 'ucf101_triplets', '3', 'frame_1.png'))
    with pytest.raises(FileNotFoundError, match='3/frame_1.png'):
        LoadFrameTriplet().transform(ds.get_data_info(2))


def test_geometric_transforms_are_joint(toy):
    root, _ = toy
    base = _loaded(root)
    frames = [f.copy() for f in base['img']]
    mask = base['gt_motion_mask'][1].copy()
    random.seed(3)
    out = TripletRandomCrop((16, 20)).transform(_loaded(root))
    crops = out['img']
    # find the crop offset from frame 0 and check the others and the mask
    hits = [(y, x) for y in range(H - 15) for x in range(W - 19)
            if np.array_equal(frames[0][y:y + 16, x:x + 20], crops[0])]
    assert hits
    y, x = hits[0]
    for f, c in zip(frames, crops):
        np.testing.assert_array_equal(f[y:y + 16, x:x + 20], c)
    np.testing.assert_array_equal(mask[y:y + 16, x:x + 20],
                                  out['gt_motion_mask'][1])
    assert out['img_shape'] == [(16, 20)] * 3
    with pytest.raises(ValueError, match='larger than the frames'):
        TripletRandomCrop((H + 1, W)).transform(_loaded(root))

    out = TripletRandomFlip(prob=1.0, direction='vertical').transform(
        _loaded(root))
    for f, c in zip(frames, out['img']):
        np.testing.assert_array_equal(f[::-1], c)
    np.testing.assert_array_equal(mask[::-1], out['gt_motion_mask'][1])
    assert out['flip'] == [True] * 3

    out = TripletResize((16, 12)).transform(_loaded(root))
    assert out['img'][2].shape == (12, 16, 3)
    assert out['gt_motion_mask'][1].shape == (12, 16)
    assert set(np.unique(out['gt_motion_mask'][1])) <= {0, 1}


def test_temporal_flip(toy):
    root, _ = toy
    results = _loaded(root)
    paths = list(results['img_path'])
    out = TripletTemporalFlip(prob=1.0).transform(results)
    assert out['img_path'] == paths[::-1]
    assert out['key_frame_flags'] == [False, True, False]
    packed = PackTripletInputs().transform(out)
    assert torch.equal(
        packed['inputs'][0],
        torch.from_numpy(mmcv.imread(paths[2]).transpose(2, 0, 1).copy()))
    with pytest.raises(ValueError, match='interpolation'):
        TripletTemporalFlip(prob=1.0).transform(
            _loaded(root, synthesis='extra'))


def test_dataset_with_pipeline(toy):
    root, _ = toy
    ds = FrameTripletDataset(
        data_root=root,
        ann_file='data_list/ucf101_val_files_frame1.txt',
        data_prefix=dict(img_path='ucf101_triplets',
                         mask_path='motion_masks'),
        test_mode=True,
        pipeline=[
            dict(type='LoadFrameTriplet'),
            dict(type='PackTripletInputs', pack_frames='all')
        ])
    item = ds[1]
    assert item['inputs'].shape == (3, 3, H, W)
    assert item['inputs'].dtype == torch.uint8
    assert 'gt_motion_mask' in item['data_samples'][1]
