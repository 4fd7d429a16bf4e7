# Copyright (c) OpenMMLab. All rights reserved.
"""ImageNetVIDDataset on toy CocoVID files."""
import json
import os.path as osp
import random
import shutil

import pytest

from mmvidseg.datasets import ImageNetVIDDataset, VideoDatasetError
from mmvidseg.testing import TOY_CLASSES, TOY_THING_CLASSES

PIPELINE = [
    dict(type='TransformBroadcaster',
         transforms=[
             dict(type='LoadImageFromFile'),
             dict(type='LoadVideoInstances'),
         ]),
    dict(type='PackVideoInputs'),
]


def _dataset(root, split='val', pipeline=PIPELINE, **kwargs):
    kwargs.setdefault('test_mode', True)
    return ImageNetVIDDataset(
        data_root=root,
        ann_file=f'annotations/imagenet_vid_{split}.json',
        pipeline=pipeline,
        **kwargs)


def test_lists_videos(toy_imagenet_vid):
    ds = _dataset(toy_imagenet_vid[0], pipeline=[])
    assert ds.metainfo['classes'] == TOY_THING_CLASSES
    assert len(ds) == 2
    info = ds.get_data_info(1)
    assert info['video_id'] == 2
    assert info['video_name'] == 'val/toy_1001'
    frame = info['images'][3]
    assert frame['frame_id'] == 3
    assert frame['img_path'].endswith(
        osp.join('Data', 'VID', 'val', 'toy_1001', '000003.JPEG'))
    train = _dataset(toy_imagenet_vid[0], split='train', pipeline=[])
    flags = [f['is_vid_train_frame']
             for f in train.get_data_info(0)['images']]
    assert any(flags)


def test_full_pipeline_matches_ground_truth(toy_imagenet_vid, load_video):
    root, videos = toy_imagenet_vid
    ds = _dataset(root)
    for index, video in enumerate(videos['val']):
        sample = load_video(ds, index)['data_samples']
        ids = {}
        for t, frame in enumerate(sample.video_data_samples):
            inst = frame.gt_instances
            boxes = {}
            for k in video.visible_tracks(t):
                x1, y1, x2, y2 = video.box(t, k)
                # ILSVRC boxes are inclusive; the CocoVID box is one pixel
                # narrower than the visible extent (as mmtracking's)
                if x2 - x1 > 1 and y2 - y1 > 1:
                    boxes[k] = [x1, y1, x2 - 1, y2 - 1]
            assert len(inst) == len(boxes)
            for k in range(len(inst)):
                box = inst.bboxes[k].tolist()
                track = next(tr for tr, b in boxes.items() if b == box)
                assert ids.setdefault(int(inst.instances_ids[k]),
                                      track) == track
                assert TOY_CLASSES.index(TOY_THING_CLASSES[int(
                    inst.labels[k])]) == video.track_label(track)


def test_det_images_become_single_frame_videos(toy_imagenet_vid, tmp_path):
    root = str(tmp_path / 'vid')
    shutil.copytree(toy_imagenet_vid[0], root)
    path = osp.join(root, 'annotations', 'imagenet_vid_val.json')
    with open(path) as f:
        coco = json.load(f)
    for image in coco['images'][:3]:
        del image['video_id']
    with open(path, 'w') as f:
        json.dump(coco, f)
    ds = _dataset(root, pipeline=[])
    assert len(ds) == 2 + 3
    singles = [ds.get_data_info(i) for i in range(len(ds))
               if ds.get_data_info(i)['video_id'] < 0]
    assert len(singles) == 3
    assert all(v['video_length'] == 1 for v in singles)


@pytest.mark.parametrize('edit,match', [
    (lambda c: c.pop('images'), '"images"'),
    (lambda c: c['images'][2].pop('file_name'), '"file_name"'),
    (lambda c: c['annotations'][0].pop('bbox'), '"bbox"'),
    (lambda c: c['annotations'][0].update(category_id=31), 'category_id 31'),
    (lambda c: c['images'][0].update(video_id=9), 'video 9'),
])
def test_bad_json(toy_imagenet_vid, tmp_path, edit, match):
    root = str(tmp_path / 'vid')
    shutil.copytree(toy_imagenet_vid[0], root)
    path = osp.join(root, 'annotations', 'imagenet_vid_val.json')
    with open(path) as f:
        coco = json.load(f)
    edit(coco)
    with open(path, 'w') as f:
        json.dump(coco, f)
    with pytest.raises(VideoDatasetError, match=match) as e:
        _dataset(root, pipeline=[])
    assert path in str(e.value)


def test_not_json(toy_imagenet_vid, tmp_path):
    path = str(tmp_path / 'broken.json')
    with open(path, 'w') as f:
        f.write('{"images": [')
    with pytest.raises(VideoDatasetError, match='not valid JSON') as e:
        ImageNetVIDDataset(ann_file=path, data_root=toy_imagenet_vid[0])
    assert path in str(e.value)
    with pytest.raises(FileNotFoundError, match='nothing.json'):
        ImageNetVIDDataset(ann_file=str(tmp_path / 'nothing.json'))


# ------------------------------------------------------------- key frames


def _flagged_copy(toy_imagenet_vid, tmp_path, flags):
    """A copy of the toy val set with ``is_vid_train_frame`` set on the
    frames ``flags[video index]`` only."""
    root = str(tmp_path / 'vid')
    shutil.copytree(toy_imagenet_vid[0], root)
    path = osp.join(root, 'annotations', 'imagenet_vid_val.json')
    with open(path) as f:
        coco = json.load(f)
    for image in coco['images']:
        image['is_vid_train_frame'] = \
            image['frame_id'] in flags[image['video_id'] - 1]
    with open(path, 'w') as f:
        json.dump(coco, f)
    return root


@pytest.mark.parametrize('serialize_data', [True, False])
def test_key_frames_only(toy_imagenet_vid, tmp_path, serialize_data):
    """Keys from the flagged frames (1 and 3 of video 1; none in video 2,
    which is dropped), references from the whole video."""
    from mmdet.datasets.samplers import TrackImgSampler
    root = _flagged_copy(toy_imagenet_vid, tmp_path, [(1, 3), ()])
    kwargs = dict(test_mode=False, serialize_data=serialize_data)
    every = _dataset(root, pipeline=[], **kwargs)
    assert len(every) == 2 and every.get_len_per_video(0) == 4
    assert [every.get_data_info(i)['key_frame_indices']
            for i in range(2)] == [[1, 3], []]

    ds = _dataset(root, pipeline=[], key_frames_only=True, **kwargs)
    assert len(ds) == 1 and ds.get_len_per_video(0) == 2
    sampler = TrackImgSampler(ds, seed=0)
    assert sorted(sampler) == [(0, 0), (0, 1)]
    for k, key in enumerate([1, 3]):
        info = ds.prepare_data((0, k))
        assert info['key_frame_id'] == key
        assert info['video_length'] == 4 and len(info['images']) == 4
    # an integer index (DefaultSampler) draws a flagged frame at random
    random.seed(0)
    keys = [ds.prepare_data(0)['key_frame_id'] for _ in range(20)]
    assert set(keys) == {1, 3}

    # with a frame sampler, the references include unflagged frames
    sample = _dataset(
        root, key_frames_only=True,
        pipeline=[dict(type='VideoFrameSample', num_frames=4,
                       mode='strided')], **kwargs).prepare_data((0, 1))
    assert sample['frame_id'] == [0, 1, 2, 3]
    assert sample['key_frame_flags'] == [False, False, False, True]
    assert sample['is_vid_train_frame'] == [False, True, False, True]


def test_key_frames_only_ignored_in_test_mode(toy_imagenet_vid, tmp_path):
    root = _flagged_copy(toy_imagenet_vid, tmp_path, [(1, 3), ()])
    ds = _dataset(root, pipeline=[], key_frames_only=True)
    assert ds.test_mode and len(ds) == 2
    assert [ds.get_len_per_video(i) for i in range(2)] == [4, 4]
    assert len(ds.prepare_data(1)['img_path']) == 4
