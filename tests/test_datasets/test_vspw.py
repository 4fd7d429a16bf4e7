# Copyright (c) OpenMMLab. All rights reserved.
"""VSPWDataset on toy files: loading, the full pipeline, and bad input."""
import os
import os.path as osp
import shutil

import numpy as np
import pytest
from PIL import Image

from mmvidseg.datasets import VideoDatasetError, VSPWDataset
from mmvidseg.registry import TRANSFORMS
from mmvidseg.structures import TrackDataSample
from mmvidseg.testing import TOY_CLASSES, generate_toy_video

LOAD_MASK = dict(
    type='LoadSemSegMap',
    num_classes=len(TOY_CLASSES),
    reduce_zero_label=True,
    ignore_values=(0, 253, 255))
TEST_PIPELINE = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=(96, 64), keep_ratio=True),
            LOAD_MASK,
        ]),
    dict(type='PackVideoInputs'),
]


def _dataset(root, split='val', pipeline=TEST_PIPELINE, **kwargs):
    kwargs.setdefault('test_mode', True)
    return VSPWDataset(
        data_root=root, ann_file=f'{split}.txt', pipeline=pipeline, **kwargs)


@pytest.fixture
def vspw_copy(toy_vspw_root, tmp_path):
    """A writable copy of the toy VSPW dataset."""
    root = str(tmp_path / 'vspw')
    shutil.copytree(toy_vspw_root, root)
    return root


def test_lists_videos_and_classes(toy_vspw_root):
    ds = _dataset(toy_vspw_root, pipeline=[])
    assert ds.metainfo['classes'] == TOY_CLASSES  # from the JSON
    assert len(ds) == 2
    video = ds.get_data_info(0)
    assert video['video_name'] == 'toy_1000'
    assert video['video_length'] == 10
    frame = video['images'][3]
    assert frame['frame_id'] == 3
    assert frame['img_path'].endswith(
        osp.join('data', 'toy_1000', 'origin', '00000003.jpg'))
    assert frame['seg_map_path'].endswith(
        osp.join('data', 'toy_1000', 'mask', '00000003.png'))
    # image ids are unique over the dataset
    ids = [f['img_id'] for v in range(len(ds))
           for f in ds.get_data_info(v)['images']]
    assert len(set(ids)) == len(ids) == 20


def test_full_pipeline_matches_ground_truth(toy_vspw_root, load_video):
    ds = _dataset(toy_vspw_root)
    packed = load_video(ds, 1)
    sample = packed['data_samples']
    assert isinstance(sample, TrackDataSample)
    # frames are resized 32x48 -> 64x96; masks keep the original size
    assert packed['inputs'].shape == (10, 3, 64, 96)
    truth = generate_toy_video(1001, num_frames=10, height=32, width=48)
    for t, frame in enumerate(sample.video_data_samples):
        assert frame.frame_id == t
        assert frame.ori_shape == (32, 48)
        np.testing.assert_array_equal(frame.gt_sem_seg.data[0].numpy(),
                                      truth.semantic[t])


def test_training_sample(toy_vspw_root):
    pipeline = [
        dict(type='VideoFrameSample', num_frames=3, mode='offsets',
             offsets=[-1, 1]),
        dict(type='TransformBroadcaster', share_random_params=True,
             transforms=[dict(type='LoadImageFromFile'), LOAD_MASK,
                         dict(type='RandomFlip', prob=1.0)]),
        dict(type='PackVideoInputs'),
    ]
    ds = _dataset(toy_vspw_root, split='train', pipeline=pipeline,
                  test_mode=False)
    packed = ds.prepare_data((0, 2))  # (video, key frame)
    sample = packed['data_samples']
    assert [f.frame_id for f in sample.video_data_samples] == [1, 2, 3]
    assert sample.key_frames_inds == [1]
    truth = generate_toy_video(0, num_frames=6, height=32, width=48)
    for frame, t in zip(sample.video_data_samples, [1, 2, 3]):
        assert frame.flip
        np.testing.assert_array_equal(frame.gt_sem_seg.data[0].numpy(),
                                      truth.semantic[t][:, ::-1])


# ----------------------------------------------------------------- bad input


def test_missing_frame_mask(vspw_copy):
    missing = osp.join(vspw_copy, 'data', 'toy_1001', 'mask', '00000004.png')
    os.remove(missing)
    with pytest.raises(FileNotFoundError, match='does not exist') as e:
        _dataset(vspw_copy)
    assert missing in str(e.value)


def test_empty_video(vspw_copy):
    folder = osp.join(vspw_copy, 'data', 'toy_1000', 'origin')
    for name in os.listdir(folder):
        os.remove(osp.join(folder, name))
    with pytest.raises(VideoDatasetError, match='empty video') as e:
        _dataset(vspw_copy)
    assert folder in str(e.value)


def test_missing_split_file(vspw_copy):
    with pytest.raises(FileNotFoundError, match='test.txt'):
        _dataset(vspw_copy, split='test')


def test_class_json_missing(vspw_copy):
    path = osp.join(vspw_copy, 'label_num_dic_final.json')
    os.remove(path)
    with pytest.raises(FileNotFoundError, match='label_num_dic_final.json'):
        _dataset(vspw_copy)


def test_class_json_malformed(vspw_copy):
    path = osp.join(vspw_copy, 'label_num_dic_final.json')
    with open(path, 'w') as f:
        f.write('["wall", "floor"]')
    with pytest.raises(VideoDatasetError, match='label_num_dic_final.json'):
        _dataset(vspw_copy)


def _load_frame(ds, t=0):
    """Run the test pipeline of video 0 frame ``t`` (1-frame sample)."""
    return ds.prepare_data((0, t))


def test_mask_size_differs_from_frame(vspw_copy):
    path = osp.join(vspw_copy, 'data', 'toy_1000', 'mask', '00000000.png')
    Image.fromarray(np.ones((16, 48), np.uint8)).save(path)
    ds = _dataset(vspw_copy)
    with pytest.raises(ValueError, match='48x16') as e:
        _load_frame(ds)
    assert path in str(e.value) and '48x32' in str(e.value)


def test_id_outside_class_list(vspw_copy):
    path = osp.join(vspw_copy, 'data', 'toy_1000', 'mask', '00000000.png')
    mask = np.array(Image.open(path))
    mask[0, 0] = 40  # class 39 of a 6-class list
    Image.fromarray(mask).save(path)
    with pytest.raises(ValueError, match='value 40') as e:
        _load_frame(_dataset(vspw_copy))
    assert path in str(e.value)


def test_void_values_are_ignored(vspw_copy):
    path = osp.join(vspw_copy, 'data', 'toy_1000', 'mask', '00000000.png')
    mask = np.array(Image.open(path))
    mask[0, :3] = (0, 253, 255)
    Image.fromarray(mask).save(path)
    frame = _load_frame(_dataset(vspw_copy))['data_samples'][0]
    assert frame.gt_sem_seg.data[0, 0, :3].tolist() == [255, 255, 255]


def test_truncated_png(vspw_copy):
    path = osp.join(vspw_copy, 'data', 'toy_1000', 'mask', '00000000.png')
    with open(path, 'rb') as f:
        data = f.read()
    with open(path, 'wb') as f:
        f.write(data[:len(data) // 2])
    with pytest.raises(ValueError, match='cannot be decoded') as e:
        _load_frame(_dataset(vspw_copy))
    assert path in str(e.value)


def test_load_sem_seg_map_rejects_rgb(tmp_path):
    path = str(tmp_path / 'rgb.png')
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(path)
    load = TRANSFORMS.build(LOAD_MASK)
    with pytest.raises(ValueError, match='single-channel'):
        load(dict(seg_map_path=path))
