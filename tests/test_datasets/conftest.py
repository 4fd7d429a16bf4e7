# Copyright (c) OpenMMLab. All rights reserved.
"""Toy datasets in every benchmark format, written once per test session.

Each ``toy_<format>`` fixture returns ``(root, videos)``: the directory the
toy writer filled and ``{split: [ToyVideo, ...]}``, the ground truth the
loaded samples are compared with.
"""
import os.path as osp

import numpy as np
import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

#: 32x48 frames: small enough for fast tests, large enough for 2-4 objects.
HEIGHT, WIDTH = 32, 48


def _videos(num_train=1, num_val=2, frames=4):
    from mmvidseg.testing import generate_toy_video
    return {
        'train': [
            generate_toy_video(
                s, num_frames=frames, height=HEIGHT, width=WIDTH)
            for s in range(num_train)
        ],
        'val': [
            generate_toy_video(
                1000 + s, num_frames=frames, height=HEIGHT, width=WIDTH)
            for s in range(num_val)
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
def toy_vspw(tmp_path_factory, toy_videos):
    return _write(tmp_path_factory, toy_videos, 'vspw')


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
        tmp_path_factory,
        toy_videos,
        'youtube_vis',
        version='2021',
        compressed_rle=True)


@pytest.fixture(scope='session')
def toy_imagenet_vid(tmp_path_factory, toy_videos):
    return _write(tmp_path_factory, toy_videos, 'imagenet_vid')


@pytest.fixture(scope='session')
def toy_imagenet_vid_det(tmp_path_factory, toy_videos):
    """Toy ImageNet VID with toy DET images merged into its train JSON by
    ``tools/dataset_converters/imagenet_det2cocovid.py --merge-with`` (the
    real config's training recipe)."""
    import importlib.util

    from mmvidseg.testing.toy_formats import (TOY_VID_WNIDS,
                                              write_imagenet_det,
                                              write_imagenet_vid)
    root = str(tmp_path_factory.mktemp('toy_imagenet_vid_det'))
    write_imagenet_vid(root, toy_videos)
    write_imagenet_det(
        root, {'train': toy_videos['train']}, wnids=TOY_VID_WNIDS)
    path = osp.join(REPO, 'tools', 'dataset_converters',
                    'imagenet_det2cocovid.py')
    spec = importlib.util.spec_from_file_location('_det2cocovid', path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    tool.main([
        root, '--merge-with',
        osp.join(root, 'annotations', 'imagenet_vid_train.json')
    ])
    return root, toy_videos


@pytest.fixture(scope='session')
def toy_davis(tmp_path_factory, toy_videos):
    return _write(tmp_path_factory, toy_videos, 'davis')


@pytest.fixture(scope='session')
def toy_cityscapes_vps(tmp_path_factory, toy_videos):
    return _write(tmp_path_factory, toy_videos, 'cityscapes_vps')


@pytest.fixture(scope='session')
def toy_youtube_vos(tmp_path_factory, toy_videos):
    return _write(tmp_path_factory, toy_videos, 'youtube_vos')


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
