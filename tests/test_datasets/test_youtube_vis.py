# Copyright (c) OpenMMLab. All rights reserved.
"""YouTubeVISDataset on toy files in the official JSON schema."""
import json
import os.path as osp
import shutil

import numpy as np
import pytest

from mmvidseg.datasets import VideoDatasetError, YouTubeVISDataset
from mmvidseg.datasets.youtube_vis import (YTVIS_2019_CLASSES,
                                           YTVIS_2021_CLASSES)
from mmvidseg.testing import TOY_CLASSES, TOY_THING_CLASSES

PIPELINE = [
    dict(type='TransformBroadcaster',
         transforms=[
             dict(type='LoadImageFromFile'),
             dict(type='LoadVideoInstances', with_mask=True),
         ]),
    dict(type='PackVideoInputs'),
]


def _dataset(root, version='2019', pipeline=PIPELINE, **kwargs):
    kwargs.setdefault('test_mode', True)
    ann = 'valid.json' if version == '2019' else 'valid/instances.json'
    return YouTubeVISDataset(
        data_root=root,
        ann_file=ann,
        data_prefix=dict(img_path='valid/JPEGImages'),
        pipeline=pipeline,
        **kwargs)


def test_both_class_lists_in_one_process(toy_youtube_vis):
    root = toy_youtube_vis[0]
    a = _dataset(root, pipeline=[], dataset_version='2019')
    b = _dataset(root, pipeline=[], dataset_version='2021')
    c = _dataset(root, pipeline=[])  # from the JSON's categories
    assert a.metainfo['classes'] == YTVIS_2019_CLASSES
    assert b.metainfo['classes'] == YTVIS_2021_CLASSES
    assert c.metainfo['classes'] == TOY_THING_CLASSES
    assert a.metainfo['classes'] == YTVIS_2019_CLASSES  # unchanged by b
    assert YouTubeVISDataset.METAINFO['classes'] is None
    assert len(YTVIS_2019_CLASSES) == len(YTVIS_2021_CLASSES) == 40
    # 'person' is a class of both lists, 'ball' of neither: its tracks go
    labels = {i['bbox_label'] for f in a.get_data_info(0)['images']
              for i in f['instances']}
    assert labels <= {YTVIS_2019_CLASSES.index('person')}
    with pytest.raises(ValueError, match='dataset_version'):
        _dataset(root, pipeline=[], dataset_version='2020')


def test_lists_videos(toy_youtube_vis):
    ds = _dataset(toy_youtube_vis[0], pipeline=[])
    assert len(ds) == 2
    info = ds.get_data_info(0)
    assert info['video_id'] == 1  # the JSON's id
    assert info['video_name'] == 'toy_1000'
    frame = info['images'][2]
    assert frame['img_path'].endswith(
        osp.join('valid', 'JPEGImages', 'toy_1000', '00010.jpg'))
    assert (frame['height'], frame['width']) == (32, 48)


@pytest.mark.parametrize('fixture',
                         ['toy_youtube_vis', 'toy_youtube_vis_2021'])
def test_full_pipeline_matches_ground_truth(fixture, request, load_video):
    root, videos = request.getfixturevalue(fixture)
    version = '2019' if fixture == 'toy_youtube_vis' else '2021'
    ds = _dataset(root, version)
    for index, video in enumerate(videos['val']):
        sample = load_video(ds, index)['data_samples']
        track_of = {}  # JSON annotation id -> toy track (one-to-one)
        for t, frame in enumerate(sample.video_data_samples):
            inst = frame.gt_instances
            tracks = video.visible_tracks(t)
            assert len(inst) == len(tracks)
            for k in range(len(inst)):
                mask = inst.masks.masks[k].astype(bool)
                track = int(np.bincount(video.instance[t][mask]).argmax())
                np.testing.assert_array_equal(mask,
                                              video.instance[t] == track)
                ann_id = int(inst.instances_ids[k])
                assert track_of.setdefault(ann_id, track) == track
                label = TOY_THING_CLASSES[int(inst.labels[k])]
                assert TOY_CLASSES.index(label) == video.track_label(track)
                assert inst.bboxes[k].tolist() == list(video.box(t, track))


def _edit(root, tmp_path, edit):
    copy = str(tmp_path / 'ytvis')
    shutil.copytree(root, copy)
    path = osp.join(copy, 'valid.json')
    with open(path) as f:
        ann = json.load(f)
    edit(ann)
    with open(path, 'w') as f:
        json.dump(ann, f)
    return copy, path


@pytest.mark.parametrize('edit,match', [
    (lambda a: a.pop('videos'), '"videos"'),
    (lambda a: a['videos'][1].pop('file_names'), '"file_names"'),
    (lambda a: a['annotations'][0].pop('segmentations'), '"segmentations"'),
])
def test_json_missing_key(toy_youtube_vis, tmp_path, edit, match):
    root, path = _edit(toy_youtube_vis[0], tmp_path, edit)
    with pytest.raises(VideoDatasetError, match=match) as e:
        _dataset(root)
    assert path in str(e.value)


def test_missing_annotations_only_in_test_mode(toy_youtube_vis, tmp_path):
    root, path = _edit(toy_youtube_vis[0], tmp_path,
                       lambda a: a.pop('annotations'))
    assert len(_dataset(root, pipeline=[])) == 2  # test_mode
    with pytest.raises(VideoDatasetError, match='"annotations"'):
        _dataset(root, pipeline=[], test_mode=False)


def test_bad_annotations(toy_youtube_vis, tmp_path):

    def wrong_size(ann):
        for segm in ann['annotations'][0]['segmentations']:
            if segm is not None:
                segm['size'] = [16, 16]

    root, path = _edit(toy_youtube_vis[0], tmp_path, wrong_size)
    with pytest.raises(VideoDatasetError, match='16x16') as e:
        _dataset(root)
    assert path in str(e.value)

    def unknown_category(ann):
        ann['annotations'][0]['category_id'] = 99

    root, path = _edit(toy_youtube_vis[0], tmp_path / 'b', unknown_category)
    with pytest.raises(VideoDatasetError, match='category_id 99'):
        _dataset(root)

    def short_track(ann):
        ann['annotations'][0]['segmentations'].pop()

    root, path = _edit(toy_youtube_vis[0], tmp_path / 'c', short_track)
    with pytest.raises(VideoDatasetError, match='for the 4 frames'):
        _dataset(root)

    def empty_video(ann):
        ann['videos'][0]['file_names'] = []

    root, path = _edit(toy_youtube_vis[0], tmp_path / 'd', empty_video)
    with pytest.raises(VideoDatasetError, match='empty video'):
        _dataset(root)


def test_missing_frame(toy_youtube_vis, tmp_path):
    import os
    root = str(tmp_path / 'ytvis')
    shutil.copytree(toy_youtube_vis[0], root)
    path = osp.join(root, 'valid', 'JPEGImages', 'toy_1001', '00005.jpg')
    os.remove(path)
    with pytest.raises(FileNotFoundError) as e:
        _dataset(root)
    assert path in str(e.value)


def test_frame_size_differs_from_json(toy_youtube_vis, tmp_path):

    def edit(ann):
        ann['videos'][0]['height'] = 40
        for a in ann['annotations']:
            if a['video_id'] == 1:
                for segm in a['segmentations']:
                    if segm is not None:
                        segm['size'] = [40, 48]

    root, path = _edit(toy_youtube_vis[0], tmp_path, edit)
    with pytest.raises(ValueError, match='declares 48x40') as e:
        _dataset(root).prepare_data((0, 0))
    assert path in str(e.value) and '00000.jpg' in str(e.value)
