# Copyright (c) OpenMMLab. All rights reserved.
"""VIPSegDataset + LoadPanopticMap(format='vipseg') on toy files."""
import os
import os.path as osp
import shutil

import numpy as np
import pytest
from PIL import Image

from mmvidseg.datasets import VideoDatasetError, VIPSegDataset
from mmvidseg.datasets.transforms.loading import decode_vipseg
from mmvidseg.datasets.vipseg import VIPSEG_CLASSES
from mmvidseg.testing import TOY_CLASSES, TOY_THING_CLASSES

LOAD = dict(
    type='LoadPanopticMap',
    format='vipseg',
    num_classes=len(TOY_CLASSES),
    with_instances=True)
PIPELINE = [
    dict(type='TransformBroadcaster',
         transforms=[dict(type='LoadImageFromFile'), LOAD]),
    dict(type='PackVideoInputs'),
]


def _dataset(root, pipeline=PIPELINE, **kwargs):
    kwargs.setdefault('test_mode', True)
    return VIPSegDataset(data_root=root, pipeline=pipeline, **kwargs)


def test_classes_from_categories_json(toy_vipseg):
    ds = _dataset(toy_vipseg[0], pipeline=[])
    assert ds.metainfo['classes'] == TOY_CLASSES
    assert ds.metainfo['thing_classes'] == TOY_THING_CLASSES
    assert len(ds) == 2
    frame = ds.get_data_info(0)['images'][1]
    assert frame['img_path'].endswith(
        osp.join('images', 'toy_1000', '00000001.jpg'))
    assert frame['pan_map_path'].endswith(
        osp.join('panomasks', 'toy_1000', '00000001.png'))


def test_official_classes_without_categories_json(toy_vipseg, tmp_path):
    root = str(tmp_path / 'vipseg')
    shutil.copytree(toy_vipseg[0], root)
    os.remove(osp.join(root, 'panoVIPSeg_categories.json'))
    ds = _dataset(root, pipeline=[])
    assert ds.metainfo['classes'] == VIPSEG_CLASSES
    assert len(ds.metainfo['classes']) == 124
    assert len(ds.metainfo['thing_classes']) == 58
    assert 'person' in ds.metainfo['thing_classes']
    assert 'sky' not in ds.metainfo['thing_classes']


def test_full_pipeline_matches_ground_truth(toy_vipseg, load_video,
                                            expected_panoptic):
    root, videos = toy_vipseg
    ds = _dataset(root)
    for index, video in enumerate(videos['val']):
        sample = load_video(ds, index)['data_samples']
        for t, frame in enumerate(sample.video_data_samples):
            # VIPSeg numbers instances from 0: track = stored instance + 1
            np.testing.assert_array_equal(
                frame.gt_panoptic_seg.sem_seg[0].numpy(),
                expected_panoptic(video, t, track_offset=1))
            np.testing.assert_array_equal(frame.gt_sem_seg.data[0].numpy(),
                                          video.semantic[t])
            assert sorted(frame.gt_instances.instances_ids.tolist()) == \
                sorted(video.track_label(k) * 1000 + k + 1
                       for k in video.visible_tracks(t))


def test_decode_vipseg_void_stuff_things():
    raw = np.array([[0, 200, 1, 124], [300, 301, 6100, 12399]], np.uint16)
    classes, instances, void = decode_vipseg(raw, 'x.png')
    assert void.tolist() == [[True, True, False, False],
                             [False, False, False, False]]
    assert classes[0, 2:].tolist() == [0, 123]  # stuff: value - 1
    assert classes[1].tolist() == [2, 2, 60, 122]  # things: value//100 - 1
    assert instances[1].tolist() == [1, 2, 1, 100]
    assert instances[0, 2:].tolist() == [0, 0]


def test_split_lists_unknown_video(toy_vipseg, tmp_path):
    root = str(tmp_path / 'vipseg')
    shutil.copytree(toy_vipseg[0], root)
    with open(osp.join(root, 'val.txt'), 'a') as f:
        f.write('no_such_video\n')
    with pytest.raises(FileNotFoundError, match='no_such_video'):
        _dataset(root, pipeline=[])


def test_categories_json_missing_key(toy_vipseg, tmp_path):
    root = str(tmp_path / 'vipseg')
    shutil.copytree(toy_vipseg[0], root)
    path = osp.join(root, 'panoVIPSeg_categories.json')
    with open(path, 'w') as f:
        f.write('[{"id": 0, "name": "wall"}]')
    with pytest.raises(VideoDatasetError, match='isthing') as e:
        _dataset(root, pipeline=[])
    assert path in str(e.value)


def test_thing_class_outside_list(toy_vipseg, tmp_path):
    root = str(tmp_path / 'vipseg')
    shutil.copytree(toy_vipseg[0], root)
    path = osp.join(root, 'panomasks', 'toy_1000', '00000000.png')
    pan = np.array(Image.open(path))
    pan[0, 0] = 3105  # class 30 instance 5
    Image.fromarray(pan).save(path)
    with pytest.raises(ValueError, match='class 30') as e:
        _dataset(root).prepare_data((0, 0))
    assert path in str(e.value)
