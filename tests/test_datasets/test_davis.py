# Copyright (c) OpenMMLab. All rights reserved.
"""DAVISDataset / YouTubeVOSDataset + VOS masks and .flo flow."""
import os
import os.path as osp
import shutil

import numpy as np
import pytest

from mmvidseg.datasets import (DAVISDataset, VideoDatasetError,
                               YouTubeVOSDataset)
from mmvidseg.testing.toy_formats import davis_object_ids


def _pipeline(binary=False, flow=False):
    loaders = [dict(type='LoadImageFromFile'),
               dict(type='LoadVOSAnnotation', binary=binary)]
    if flow:
        loaders.append(dict(type='LoadOpticalFlow'))
    return [dict(type='TransformBroadcaster', transforms=loaders),
            dict(type='PackVideoInputs')]


def _davis(root, flow=False, **kwargs):
    kwargs.setdefault('test_mode', True)
    kwargs.setdefault('pipeline', _pipeline(flow=flow))
    prefix = dict(img_path='JPEGImages/480p', seg_map_path='Annotations/480p')
    if flow:
        prefix['flow_path'] = 'Flow/480p'
    return DAVISDataset(data_root=root, data_prefix=prefix, **kwargs)


def _check_flow(frame, video, t):
    """Frame ``t`` carries the toy video's exact forward flow (none for the
    last frame)."""
    flow = frame.gt_flow.data.numpy()
    if t < video.num_frames - 1:
        assert frame.flow_valid
        np.testing.assert_array_equal(flow, video.flow[t].transpose(2, 0, 1))
    else:
        assert not frame.flow_valid and not flow.any()


def test_lists_sequences_and_references(toy_davis):
    root, videos = toy_davis
    ds = _davis(root, pipeline=[], flow=True)
    assert len(ds) == 2
    info = ds.get_data_info(0)
    video = videos['val'][0]
    first = info['images'][0]
    assert first['ref_object_ids'] == sorted(
        davis_object_ids(video).values())
    assert all(f['ref_object_ids'] == [] for f in info['images'][1:])
    assert first['flow_path'].endswith(
        osp.join('Flow', '480p', 'toy_1000', '00000.flo'))
    assert info['images'][-1]['flow_path'] is None


def test_full_pipeline_matches_ground_truth(toy_davis, load_video):
    root, videos = toy_davis
    ds = _davis(root, flow=True)
    for index, video in enumerate(videos['val']):
        ids = davis_object_ids(video)
        lut = np.zeros(video.instance.max() + 1, np.int64)
        for track, obj in ids.items():
            lut[track] = obj
        sample = load_video(ds, index)['data_samples']
        for t, frame in enumerate(sample.video_data_samples):
            expected = lut[video.instance[t]]
            np.testing.assert_array_equal(frame.gt_sem_seg.data[0].numpy(),
                                          expected)
            objects = [o for o in np.unique(expected) if o]
            assert frame.gt_instances.instances_ids.tolist() == objects
            if t == 0:
                assert frame.ref_object_ids == sorted(ids.values())
            assert frame.gt_flow.data.shape == (2, 32, 48)
            _check_flow(frame, video, t)


def test_davis_2016_is_binary(toy_davis):
    root, videos = toy_davis
    ds = _davis(root, version='2016', pipeline=_pipeline(binary=True))
    assert ds.get_data_info(0)['images'][0]['ref_object_ids'] == [1]
    frame = ds.prepare_data((0, 1))['data_samples'][0]
    seg = frame.gt_sem_seg.data[0].numpy()
    assert set(np.unique(seg)) <= {0, 1}
    video = videos['val'][0]
    first = set(davis_object_ids(video))
    np.testing.assert_array_equal(seg, np.isin(video.instance[1],
                                               list(first)))


def test_flow_follows_resize_and_flip(toy_davis):
    root, videos = toy_davis
    pipeline = [
        dict(type='VideoFrameSample', num_frames=1, mode='consecutive'),
        dict(type='TransformBroadcaster', share_random_params=True,
             transforms=[
                 dict(type='LoadImageFromFile'),
                 dict(type='LoadOpticalFlow'),
                 dict(type='Resize', scale=(96, 64), keep_ratio=True),
                 dict(type='RandomFlip', prob=1.0),
             ]),
        dict(type='PackVideoInputs'),
    ]
    ds = _davis(root, flow=True, pipeline=pipeline, test_mode=False)
    frame = ds.prepare_data((0, 1))['data_samples'][0]
    flow = frame.gt_flow.data.numpy()
    truth = videos['val'][0].flow[1]
    expected = np.repeat(np.repeat(truth, 2, 0), 2, 1)[:, ::-1] * 2
    expected[..., 0] *= -1  # horizontal flip negates dx
    np.testing.assert_allclose(flow, expected.transpose(2, 0, 1), atol=1e-5)


def test_bad_flow_file(toy_davis, tmp_path):
    root = str(tmp_path / 'davis')
    shutil.copytree(toy_davis[0], root)
    path = osp.join(root, 'Flow', '480p', 'toy_1000', '00000.flo')
    with open(path, 'rb') as f:
        data = f.read()
    with open(path, 'wb') as f:
        f.write(data[:-8])
    with pytest.raises(ValueError, match='truncated') as e:
        _davis(root, flow=True).prepare_data((0, 0))
    assert path in str(e.value)
    with open(path, 'wb') as f:
        f.write(b'NOPE' + data[4:])
    with pytest.raises(ValueError, match='magic') as e:
        _davis(root, flow=True).prepare_data((0, 0))
    os.remove(path)
    with pytest.raises(FileNotFoundError, match='00000.flo'):
        _davis(root, flow=True)


def test_missing_and_rgb_masks(toy_davis, tmp_path):
    from PIL import Image
    root = str(tmp_path / 'davis')
    shutil.copytree(toy_davis[0], root)
    path = osp.join(root, 'Annotations', '480p', 'toy_1001', '00002.png')
    os.remove(path)
    with pytest.raises(FileNotFoundError) as e:
        _davis(root)
    assert path in str(e.value)
    # test-dev: only the first frame needs a mask
    ds = _davis(root, with_gt=False)
    assert ds.get_data_info(1)['images'][2]['seg_map_path'] is None
    frame = ds.prepare_data((1, 2))['data_samples'][0]
    assert (frame.gt_sem_seg.data == 255).all()
    assert len(frame.gt_instances) == 0
    first = osp.join(root, 'Annotations', '480p', 'toy_1001', '00000.png')
    Image.fromarray(np.zeros((32, 48, 3), np.uint8)).save(first)
    with pytest.raises(VideoDatasetError, match='object ids') as e:
        _davis(root, with_gt=False)
    assert first in str(e.value)


def test_empty_sequence(toy_davis, tmp_path):
    root = str(tmp_path / 'davis')
    shutil.copytree(toy_davis[0], root)
    folder = osp.join(root, 'JPEGImages', '480p', 'toy_1000')
    for name in os.listdir(folder):
        os.remove(osp.join(folder, name))
    with pytest.raises(VideoDatasetError, match='empty video') as e:
        _davis(root)
    assert folder in str(e.value)


# ---------------------------------------------------------------- YouTube-VOS


def _ytvos(root, **kwargs):
    kwargs.setdefault('test_mode', True)
    kwargs.setdefault('pipeline', _pipeline())
    return YouTubeVOSDataset(data_root=root, **kwargs)


def test_youtube_vos_references(toy_youtube_vos, load_video):
    root, videos = toy_youtube_vos
    ds = _ytvos(root)
    assert len(ds) == 2
    for index, video in enumerate(videos['val']):
        ids = davis_object_ids(video, number_new_objects=True)
        first_seen = {}
        for t in range(video.num_frames):
            for track in video.visible_tracks(t):
                first_seen.setdefault(ids[track], t)
        info = ds.get_data_info(index)
        for t, frame in enumerate(info['images']):
            refs = sorted(o for o, s in first_seen.items() if s == t)
            assert frame['ref_object_ids'] == refs
            assert (frame['seg_map_path'] is None) == (not refs)
        sample = load_video(ds, index)['data_samples']
        for t, frame in enumerate(sample.video_data_samples):
            seg = frame.gt_sem_seg.data[0].numpy()
            if frame.ref_object_ids:  # only the new objects are drawn
                assert set(np.unique(seg)) - {0} == set(frame.ref_object_ids)
            else:
                assert (seg == 255).all()


def test_youtube_vos_train_split(toy_youtube_vos):
    root, _ = toy_youtube_vos
    ds = _ytvos(root, ann_file='train/meta.json',
                data_prefix=dict(img_path='train/JPEGImages',
                                 seg_map_path='train/Annotations'))
    assert all(f['seg_map_path'] is not None
               for f in ds.get_data_info(0)['images'])


def test_youtube_vos_bad_meta(toy_youtube_vos, tmp_path):
    import json
    root = str(tmp_path / 'ytvos')
    shutil.copytree(toy_youtube_vos[0], root)
    path = osp.join(root, 'valid', 'meta.json')
    with open(path, 'w') as f:
        json.dump({'video': {}}, f)
    with pytest.raises(VideoDatasetError, match='"videos"') as e:
        _ytvos(root)
    assert path in str(e.value)


def _ytvos_flow(root, split='valid', **kwargs):
    return _ytvos(
        root, ann_file=f'{split}/meta.json',
        data_prefix=dict(img_path=f'{split}/JPEGImages',
                         seg_map_path=f'{split}/Annotations',
                         flow_path=f'{split}/Flow'), **kwargs)


def test_youtube_vos_flow_to_next_listed_frame(toy_youtube_vos, load_video):
    """``Flow/<video>/<stem>.flo`` is the flow to the next frame of the
    sorted list (00000 -> 00005 in the every-5th-frame naming); the toy
    writer's flows are exact, so the loaded flow is the toy's."""
    root, videos = toy_youtube_vos
    for split, key in (('valid', 'val'), ('train', 'train')):
        ds = _ytvos_flow(root, split, pipeline=_pipeline(flow=True))
        for index, video in enumerate(videos[key]):
            images = ds.get_data_info(index)['images']
            for t, frame in enumerate(images[:-1]):
                assert frame['flow_path'].endswith(
                    osp.join(split, 'Flow', video.name, f'{5 * t:05d}.flo'))
            assert images[-1]['flow_path'] is None
            sample = load_video(ds, index)['data_samples']
            for t, frame in enumerate(sample.video_data_samples):
                _check_flow(frame, video, t)
    # without a flow_path prefix no frame gets one
    info = _ytvos(root, pipeline=[]).get_data_info(0)
    assert all('flow_path' not in f for f in info['images'])


def test_youtube_vos_written_without_flow(tmp_path, toy_youtube_vos):
    from mmvidseg.testing.toy_formats import write_youtube_vos
    root = write_youtube_vos(str(tmp_path), {'val': toy_youtube_vos[1]['val']},
                             with_flow=False)
    assert not osp.exists(osp.join(root, 'valid', 'Flow'))
    assert len(_ytvos(root, pipeline=[])) == 2
    with pytest.raises(FileNotFoundError, match='00000.flo'):
        _ytvos_flow(root)


def test_youtube_vos_bad_flow_files(toy_youtube_vos, tmp_path):
    root = str(tmp_path / 'ytvos')
    shutil.copytree(toy_youtube_vos[0], root)
    video = toy_youtube_vos[1]['val'][0].name
    flow_dir = osp.join(root, 'valid', 'Flow', video)
    frame_dir = osp.join('valid', 'JPEGImages', video)
    # a flow for a frame that does not exist (00007 is no frame)
    extra = osp.join(flow_dir, '00007.flo')
    shutil.copy(osp.join(flow_dir, '00005.flo'), extra)
    with pytest.raises(FileNotFoundError) as e:
        _ytvos_flow(root)
    assert extra in str(e.value) and video in str(e.value)
    assert osp.join(frame_dir, '00007.jpg') in str(e.value)
    os.remove(extra)
    # a forward flow from the last frame (00015): the frame after it is gone
    last = osp.join(flow_dir, '00015.flo')
    shutil.copy(osp.join(flow_dir, '00005.flo'), last)
    with pytest.raises(FileNotFoundError, match='after 00015.jpg') as e:
        _ytvos_flow(root)
    assert last in str(e.value) and video in str(e.value)
    os.remove(last)
    # a missing flow file
    missing = osp.join(flow_dir, '00005.flo')
    os.remove(missing)
    with pytest.raises(FileNotFoundError) as e:
        _ytvos_flow(root)
    assert missing in str(e.value) and video in str(e.value)
    # check_files=False defers it to LoadOpticalFlow, which names the file
    ds = _ytvos_flow(root, check_files=False, pipeline=_pipeline(flow=True))
    with pytest.raises(FileNotFoundError, match='00005.flo'):
        ds.prepare_data(0)
