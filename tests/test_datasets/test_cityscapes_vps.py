# Copyright (c) OpenMMLab. All rights reserved.
"""CityscapesVPSDataset (VPSNet layout) + LoadPanopticMap('coco_video')."""
import json
import os.path as osp
import shutil

import numpy as np
import pytest

from mmvidseg.datasets import CityscapesVPSDataset, VideoDatasetError
from mmvidseg.testing import TOY_CLASSES, TOY_THING_CLASSES

TOY_META = dict(classes=TOY_CLASSES, thing_classes=TOY_THING_CLASSES)
PIPELINE = [
    dict(type='TransformBroadcaster',
         transforms=[
             dict(type='LoadImageFromFile'),
             dict(type='LoadPanopticMap', format='coco_video',
                  num_classes=len(TOY_CLASSES), with_instances=True),
         ]),
    dict(type='PackVideoInputs'),
]


def _dataset(root, pipeline=PIPELINE, **kwargs):
    kwargs.setdefault('test_mode', True)
    return CityscapesVPSDataset(
        data_root=root, metainfo=TOY_META, pipeline=pipeline, **kwargs)


def test_groups_frames_into_videos(toy_cityscapes_vps):
    ds = _dataset(toy_cityscapes_vps[0], pipeline=[])
    assert len(ds) == 2
    info = ds.get_data_info(1)
    assert info['video_name'] == '0002'
    assert info['video_length'] == 4
    frame = info['images'][2]
    assert frame['img_path'].endswith(
        osp.join('val', 'img', '0002_0002_toy_000002_000002_newImg8bit.png'))
    # track ids: things numbered by first appearance, stuff 0
    tracks = [s['track_id'] for f in info['images']
              for s in f['segments_info']]
    assert 0 in tracks and max(tracks) >= 1


def test_full_pipeline_matches_ground_truth(toy_cityscapes_vps, load_video):
    root, videos = toy_cityscapes_vps
    ds = _dataset(root)
    for index, video in enumerate(videos['val']):
        sample = load_video(ds, index)['data_samples']
        seen = {}  # toy track -> loaded track: one-to-one over the video
        for t, frame in enumerate(sample.video_data_samples):
            pan = frame.gt_panoptic_seg.sem_seg[0].numpy()
            np.testing.assert_array_equal(pan // 1000, video.semantic[t])
            for track in video.visible_tracks(t):
                loaded = np.unique(pan[video.instance[t] == track])
                assert len(loaded) == 1
                assert seen.setdefault(track, int(loaded[0])) == loaded[0]
            assert (pan[video.instance[t] == 0] % 1000 == 0).all()
        assert len(set(seen.values())) == len(seen)


def _edit_json(root, tmp_path, edit):
    copy = str(tmp_path / 'vps')
    shutil.copytree(root, copy)
    path = osp.join(copy, 'panoptic_gt_val_city_vps.json')
    with open(path) as f:
        gt = json.load(f)
    edit(gt)
    with open(path, 'w') as f:
        json.dump(gt, f)
    return copy, path


def test_json_missing_key(toy_cityscapes_vps, tmp_path):
    root, path = _edit_json(toy_cityscapes_vps[0], tmp_path,
                            lambda gt: gt.pop('categories'))
    with pytest.raises(VideoDatasetError, match='"categories"') as e:
        _dataset(root)
    assert path in str(e.value)
    root, path = _edit_json(
        toy_cityscapes_vps[0], tmp_path / 'b',
        lambda gt: gt['annotations'][3].pop('segments_info'))
    with pytest.raises(VideoDatasetError, match='segments_info') as e:
        _dataset(root)
    assert path in str(e.value)


def test_category_outside_class_list(toy_cityscapes_vps, tmp_path):

    def edit(gt):
        gt['categories'].append(dict(id=40, name='zeppelin', isthing=1))

    root, path = _edit_json(toy_cityscapes_vps[0], tmp_path, edit)
    with pytest.raises(VideoDatasetError, match='zeppelin') as e:
        _dataset(root)
    assert path in str(e.value)

    def edit_segment(gt):
        gt['annotations'][0]['segments_info'][0]['category_id'] = 77

    root, path = _edit_json(toy_cityscapes_vps[0], tmp_path / 'b',
                            edit_segment)
    with pytest.raises(VideoDatasetError, match='category_id 77'):
        _dataset(root)


def test_png_segment_missing_from_json(toy_cityscapes_vps, tmp_path):

    def edit(gt):
        gt['annotations'][0]['segments_info'].pop(0)

    root, path = _edit_json(toy_cityscapes_vps[0], tmp_path, edit)
    with pytest.raises(ValueError, match='segments_info does not list'):
        _dataset(root).prepare_data((0, 0))
