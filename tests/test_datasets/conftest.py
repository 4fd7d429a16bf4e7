# Copyright (c) OpenMMLab. All rights reserved.
"""Toy datasets in every benchmark format, written once per test session.

Each ``toy_<format>`` fixture returns ``(root, videos)``: the directory the
toy writer filled and ``{split: [ToyVideo, ...]}``, the ground truth the
loaded samples are compared with.
"""
import json
import os
import os.path as osp

import numpy as np
import pytest

#: 32x48 frames: small enough for fast tests, large enough for 2-4 objects.
HEIGHT, WIDTH = 32, 48


def _videos(num_train=1, num_val=2, frames=4):
    from mmvidseg.testing import generate_toy_video
    return {
        'train': [
            generate_toy_video(s, num_frames=frames, height=HEIGHT,
                               width=WIDTH) for s in range(num_train)
        ],
        'val': [
            generate_toy_video(1000 + s, num_frames=frames, height=HEIGHT,
                               width=WIDTH) for s in range(num_val)
        ],
    }


@pytest.fixture(autouse=True)
def _mmvidseg_scope():
    """Run each test in the ``mmvidseg`` default scope, whatever scope an
    earlier test left current, and restore the previous scopes after."""
    from mmengine.registry import DefaultScope

    import mmvidseg.datasets  # noqa: F401 (registers the datasets)
    with DefaultScope.overwrite_default_scope('mmvidseg'):
        yield


@pytest.fixture(scope='session')
def toy_videos():
    """The ground truth of every ``toy_<format>`` fixture."""
    return _videos()


def _write(tmp_path_factory, toy_videos, name, **kwargs):
    from mmvidseg.testing import toy_formats
    root = str(tmp_path_factory.mktemp(f'toy_{name}'))
    getattr(toy_formats, f'write_{name}')(root, toy_videos, **kwargs)
    return root, toy_videos


@pytest.fixture(scope='session')
def toy_kitti_step(tmp_path_factory, toy_videos):
    return _write(tmp_path_factory, toy_videos, 'kitti_step')


@pytest.fixture(scope='session')
def toy_vipseg(tmp_path_factory, toy_videos):
    return _write(tmp_path_factory, toy_videos, 'vipseg')


@pytest.fixture(scope='session')
def toy_cityscapes_dvps(tmp_path_factory, toy_videos):
    return _write(tmp_path_factory, toy_videos, 'cityscapes_dvps')


@pytest.fixture(scope='session')
def toy_semkitti_dvps(tmp_path_factory, toy_videos):
    return _write(tmp_path_factory, toy_videos, 'semkitti_dvps')


@pytest.fixture(scope='session')
def toy_youtube_vis(tmp_path_factory, toy_videos):
    return _write(tmp_path_factory, toy_videos, 'youtube_vis')


@pytest.fixture(scope='session')
def toy_youtube_vis_2021(tmp_path_factory, toy_videos):
    return _write(
        tmp_path_factory, toy_videos, 'youtube_vis', version='2021',
        compressed_rle=True)


@pytest.fixture(scope='session')
def toy_imagenet_vid(tmp_path_factory, toy_videos):
    return _write(tmp_path_factory, toy_videos, 'imagenet_vid')


@pytest.fixture(scope='session')
def toy_davis(tmp_path_factory, toy_videos):
    return _write(tmp_path_factory, toy_videos, 'davis')


def write_cityscapes_vps(root, splits):
    """Toy videos in VPSNet's Cityscapes-VPS layout (no writer in
    ``mmvidseg.testing.toy_formats`` yet).

    ``<split>/img/{v:04d}_{t:04d}_toy_{v:06d}_{t:06d}_newImg8bit.png``,
    ``<split>/panoptic_video/..._final_mask.png`` (RGB segment ids) and
    ``panoptic_gt_<split>_city_vps.json``. Segment ids stay fixed over a
    video: ``class + 1`` on stuff, ``(class + 1) * 1000 + track`` on things;
    category ids are the toy class ids.
    """
    from mmvidseg.testing import TOY_CLASSES, TOY_THING_CLASSES
    from mmvidseg.testing.toy_formats import id2rgb, save_json, save_png
    categories = [
        dict(id=i, name=n, isthing=int(n in TOY_THING_CLASSES))
        for i, n in enumerate(TOY_CLASSES)
    ]
    for split, videos in splits.items():
        gt = dict(images=[], annotations=[], categories=categories)
        for v, video in enumerate(videos, 1):
            for t in range(video.num_frames):
                stem = f'{v:04d}_{t:04d}_toy_{v:06d}_{t:06d}'
                sem = video.semantic[t].astype(np.int64)
                inst = video.instance[t].astype(np.int64)
                ids = np.where(inst > 0, (sem + 1) * 1000 + inst, sem + 1)
                segments = [
                    dict(id=int(i), category_id=int(i // 1000 - 1 if i >= 1000
                                                    else i - 1),
                         iscrowd=0, area=int((ids == i).sum()))
                    for i in np.unique(ids)
                ]
                save_png(osp.join(root, split, 'img',
                                  stem + '_newImg8bit.png'), video.images[t])
                save_png(osp.join(root, split, 'panoptic_video',
                                  stem + '_final_mask.png'), id2rgb(ids))
                gt['images'].append(
                    dict(id=stem, width=WIDTH, height=HEIGHT,
                         file_name=stem + '_newImg8bit.png'))
                gt['annotations'].append(
                    dict(image_id=stem, file_name=stem + '_final_mask.png',
                         segments_info=segments))
        save_json(osp.join(root, f'panoptic_gt_{split}_city_vps.json'), gt)
    return root


@pytest.fixture(scope='session')
def toy_cityscapes_vps(tmp_path_factory, toy_videos):
    root = str(tmp_path_factory.mktemp('toy_cityscapes_vps'))
    return write_cityscapes_vps(root, toy_videos), toy_videos


def write_youtube_vos(root, splits):
    """Toy videos in YouTube-VOS layout (train: every frame annotated;
    valid: masks only where an object first appears)."""
    from mmvidseg.testing.toy_formats import (DAVIS_PALETTE,
                                              davis_object_ids, save_jpg,
                                              save_palette_png)
    for split, videos in splits.items():
        split = {'val': 'valid'}.get(split, split)
        meta = dict(videos={})
        for video in videos:
            ids = davis_object_ids(video, number_new_objects=True)
            lut = np.zeros(video.instance.max() + 1, np.uint8)
            for track, obj in ids.items():
                lut[track] = obj
            objects = {}
            for t in range(video.num_frames):
                name = f'{5 * t:05d}'
                save_jpg(osp.join(root, split, 'JPEGImages', video.name,
                                  name + '.jpg'), video.images[t])
                frame = lut[video.instance[t]]
                new = [o for o in np.unique(frame) if o and
                       str(o) not in objects]
                for o in np.unique(frame):
                    if o:
                        objects.setdefault(str(o), dict(
                            category='thing', frames=[]))['frames'].append(
                                name)
                if split == 'train' or new:
                    if split != 'train':  # only the new objects' masks
                        frame = np.where(np.isin(frame, new), frame, 0)
                    save_palette_png(
                        osp.join(root, split, 'Annotations', video.name,
                                 name + '.png'), frame, DAVIS_PALETTE)
            meta['videos'][video.name] = dict(objects=objects)
        os.makedirs(osp.join(root, split), exist_ok=True)
        with open(osp.join(root, split, 'meta.json'), 'w') as f:
            json.dump(meta, f)
    return root


@pytest.fixture(scope='session')
def toy_youtube_vos(tmp_path_factory, toy_videos):
    root = str(tmp_path_factory.mktemp('toy_youtube_vos'))
    return write_youtube_vos(root, toy_videos), toy_videos


@pytest.fixture
def load_video():
    """Run a test-mode dataset's pipeline on a whole video."""

    def _load(dataset, index):
        assert dataset.test_mode, 'whole videos come from test_mode datasets'
        return dataset.prepare_data(index)

    return _load


def toy_panoptic(video, t, track_offset=0):
    """Expected ``gt_panoptic_seg`` of frame ``t``: class * 1000 + track."""
    inst = video.instance[t].astype(np.int64)
    return video.semantic[t].astype(np.int64) * 1000 + np.where(
        inst > 0, inst + track_offset, 0)


@pytest.fixture
def expected_panoptic():
    return toy_panoptic
