# Copyright (c) OpenMMLab. All rights reserved.
"""KITTISTEPDataset + LoadPanopticMap(format='kitti_step') on toy files."""
import os
import os.path as osp
import shutil

import numpy as np
import pytest
from PIL import Image

from mmvidseg.datasets import KITTISTEPDataset, VideoDatasetError
from mmvidseg.structures import TrackDataSample
from mmvidseg.testing import TOY_CLASSES, TOY_PALETTE, TOY_THING_CLASSES

TOY_META = dict(
    classes=TOY_CLASSES, thing_classes=TOY_THING_CLASSES, palette=TOY_PALETTE)
LOAD = dict(
    type='LoadPanopticMap',
    format='kitti_step',
    num_classes=len(TOY_CLASSES),
    with_instances=True)


def _dataset(root, pipeline=None, split='val', **kwargs):
    kwargs.setdefault('test_mode', True)
    kwargs.setdefault('metainfo', TOY_META)
    if pipeline is None:
        pipeline = [
            dict(type='TransformBroadcaster',
                 transforms=[dict(type='LoadImageFromFile'), LOAD]),
            dict(type='PackVideoInputs'),
        ]
    return KITTISTEPDataset(
        data_root=root,
        data_prefix=dict(img_path=f'video_sequence/{split}'),
        pipeline=pipeline,
        **kwargs)


def test_default_metainfo_is_kitti_step(toy_kitti_step):
    ds = _dataset(toy_kitti_step[0], pipeline=[], metainfo=None)
    assert len(ds.metainfo['classes']) == 19
    assert ds.metainfo['thing_classes'] == ('person', 'car')
    assert ds.metainfo['classes'][11] == 'person'
    assert ds.metainfo['classes'][13] == 'car'
    # the class attribute is never touched by an instance's metainfo
    toy = _dataset(toy_kitti_step[0], pipeline=[])
    assert toy.metainfo['classes'] == TOY_CLASSES
    assert len(KITTISTEPDataset.METAINFO['classes']) == 19


def test_lists_sequences(toy_kitti_step):
    root, videos = toy_kitti_step
    ds = _dataset(root, pipeline=[])
    assert len(ds) == len(videos['val'])
    info = ds.get_data_info(1)
    assert info['video_name'] == '000001'
    assert info['video_length'] == 4
    frame = info['images'][2]
    assert frame['img_path'].endswith('000001_000002_leftImg8bit.png')
    assert frame['pan_map_path'].endswith('000001_000002_panoptic.png')


def test_full_pipeline_matches_ground_truth(toy_kitti_step, load_video,
                                            expected_panoptic):
    root, videos = toy_kitti_step
    ds = _dataset(root)
    for index, video in enumerate(videos['val']):
        sample = load_video(ds, index)['data_samples']
        assert isinstance(sample, TrackDataSample)
        assert len(sample) == video.num_frames
        for t, frame in enumerate(sample.video_data_samples):
            pan = frame.gt_panoptic_seg.sem_seg[0].numpy()
            np.testing.assert_array_equal(pan, expected_panoptic(video, t))
            np.testing.assert_array_equal(frame.gt_sem_seg.data[0].numpy(),
                                          video.semantic[t])
            inst = frame.gt_instances
            tracks = video.visible_tracks(t)
            expected_ids = sorted(
                video.track_label(k) * 1000 + k for k in tracks)
            assert inst.instances_ids.tolist() == expected_ids
            assert inst.labels.tolist() == [i // 1000 for i in expected_ids]
            for k, pid in enumerate(expected_ids):
                np.testing.assert_array_equal(
                    inst.masks.masks[k], video.instance[t] == pid % 1000)
                assert inst.bboxes[k].tolist() == list(
                    video.box(t, pid % 1000))


def test_training_clip_with_crop_and_flip(toy_kitti_step):
    root, videos = toy_kitti_step
    pipeline = [
        dict(type='VideoFrameSample', num_frames=3, mode='consecutive'),
        dict(type='TransformBroadcaster', share_random_params=True,
             transforms=[
                 dict(type='LoadImageFromFile'), LOAD,
                 dict(type='RandomCrop', crop_size=(40, 24),  # (w, h)
                      allow_negative_crop=True),
                 dict(type='RandomFlip', prob=1.0),
             ]),
        dict(type='PackVideoInputs'),
    ]
    ds = _dataset(root, pipeline=pipeline, test_mode=False)
    sample = ds.prepare_data((0, 1))['data_samples']
    video = videos['val'][0]
    assert len(sample) == 3
    for frame in sample.video_data_samples:
        t = frame.frame_id
        pan = frame.gt_panoptic_seg.sem_seg[0].numpy()
        assert pan.shape == (24, 40)
        # one crop window for the whole clip: find it from frame 0's map
        sem = frame.gt_sem_seg.data[0].numpy()
        np.testing.assert_array_equal(pan // 1000, sem)
        full = (video.semantic[t].astype(np.int64) * 1000 +
                video.instance[t])[:, ::-1]
        hits = [(y, x) for y in range(32 - 24 + 1) for x in range(48 - 40 + 1)
                if (full[y:y + 24, x:x + 40] == pan).all()]
        assert hits, 'the cropped, flipped map is not a window of the GT'
        for k, pid in enumerate(frame.gt_instances.instances_ids.tolist()):
            np.testing.assert_array_equal(
                frame.gt_instances.masks.masks[k], pan == pid)


def test_test_split_without_gt(toy_kitti_step, tmp_path):
    root = str(tmp_path / 'kitti')
    shutil.copytree(toy_kitti_step[0], root)
    folder = osp.join(root, 'video_sequence', 'val')
    for name in os.listdir(folder):
        if name.endswith('_panoptic.png'):
            os.remove(osp.join(folder, name))
    with pytest.raises(FileNotFoundError, match='panoptic'):
        _dataset(root, pipeline=[])
    ds = _dataset(root, pipeline=[], with_gt=False)
    assert 'pan_map_path' not in ds.get_data_info(0)['images'][0]


def test_bad_names_and_thing_classes(toy_kitti_step, tmp_path):
    root = str(tmp_path / 'kitti')
    shutil.copytree(toy_kitti_step[0], root)
    bad = osp.join(root, 'video_sequence', 'val', 'frame_leftImg8bit.png')
    shutil.copy(
        osp.join(root, 'video_sequence', 'val',
                 '000000_000000_leftImg8bit.png'), bad)
    with pytest.raises(VideoDatasetError, match='<sequence>_<frame>') as e:
        _dataset(root, pipeline=[])
    assert bad in str(e.value)
    with pytest.raises(ValueError, match='thing_classes'):
        # the default things (person, car) are not in this class list
        _dataset(toy_kitti_step[0], pipeline=[],
                 metainfo=dict(classes=('road', 'sky')))


def test_missing_sequence_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match='video_sequence'):
        _dataset(str(tmp_path), pipeline=[])


def _corrupt(root, tmp_path, edit):
    """Copy the dataset, rewrite frame 0's panoptic PNG with ``edit``."""
    copy = str(tmp_path / 'kitti')
    shutil.copytree(root, copy)
    path = osp.join(copy, 'video_sequence', 'val',
                    '000000_000000_panoptic.png')
    edit(path)
    return copy, path


def test_class_outside_class_list(toy_kitti_step, tmp_path):

    def edit(path):
        rgb = np.array(Image.open(path))
        rgb[0, 0, 0] = 7  # a 19-class id in a 6-class dataset
        Image.fromarray(rgb).save(path)

    root, path = _corrupt(toy_kitti_step[0], tmp_path, edit)
    with pytest.raises(ValueError, match='class 7') as e:
        _dataset(root).prepare_data((0, 0))
    assert path in str(e.value) and '6-class' in str(e.value)


def test_panoptic_size_differs(toy_kitti_step, tmp_path):

    def edit(path):
        Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(path)

    root, path = _corrupt(toy_kitti_step[0], tmp_path, edit)
    with pytest.raises(ValueError, match='30x20') as e:
        _dataset(root).prepare_data((0, 0))
    assert path in str(e.value)


def test_panoptic_not_rgb(toy_kitti_step, tmp_path):

    def edit(path):
        Image.fromarray(np.zeros((32, 48), np.uint8)).save(path)

    root, path = _corrupt(toy_kitti_step[0], tmp_path, edit)
    with pytest.raises(ValueError, match='RGB') as e:
        _dataset(root).prepare_data((0, 0))
    assert path in str(e.value)


def test_truncated_panoptic(toy_kitti_step, tmp_path):

    def edit(path):
        with open(path, 'rb') as f:
            data = f.read()
        with open(path, 'wb') as f:
            f.write(data[:100])

    root, path = _corrupt(toy_kitti_step[0], tmp_path, edit)
    with pytest.raises(ValueError, match='cannot be decoded') as e:
        _dataset(root).prepare_data((0, 0))
    assert path in str(e.value)
