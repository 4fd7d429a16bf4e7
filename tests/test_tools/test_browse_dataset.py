# Copyright (c) OpenMMLab. All rights reserved.
"""tools/analysis_tools/browse_dataset.py writes annotated frames."""
import importlib.util
import os.path as osp

import mmcv
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData, PixelData

from mmvidseg.structures import DetDataSample

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = osp.join(REPO, 'configs', '_base_', 'datasets')


@pytest.fixture(scope='module')
def browse():
    path = osp.join(REPO, 'tools', 'analysis_tools', 'browse_dataset.py')
    spec = importlib.util.spec_from_file_location('_browse_dataset', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def toy_root(tmp_path_factory):
    from mmvidseg.testing import generate_toy_video, toy_formats
    root = tmp_path_factory.mktemp('browse')
    videos = {
        split: [generate_toy_video(seed, num_frames=3, height=32, width=48)]
        for split, seed in (('train', 5), ('val', 1005))
    }
    for fmt in ('cityscapes_dvps', 'davis', 'youtube_vis'):
        getattr(toy_formats, f'write_{fmt}')(str(root / fmt), videos)
    return root


@pytest.mark.parametrize('config,fmt,split,panels', [
    ('toy_cityscapes_dvps.py', 'cityscapes_dvps', 'train', 2),  # + depth
    ('toy_cityscapes_dvps.py', 'cityscapes_dvps', 'val', 2),
    ('toy_davis.py', 'davis', 'val', 2),  # + flow
    ('toy_youtube_vis.py', 'youtube_vis', 'train', 1),
])
def test_writes_frames(browse, toy_root, tmp_path, config, fmt, split,
                       panels):
    out = str(tmp_path / 'out')
    browse.main([
        osp.join(CONFIGS, config), '--split', split, '--output-dir', out,
        '--num-samples', '1', '--data-root', str(toy_root / fmt)
    ])
    files = sorted(p for p in (tmp_path / 'out').rglob('*.png'))
    assert files
    for path in files:
        img = mmcv.imread(str(path))
        assert img.shape[1] % panels == 0
        width = img.shape[1] // panels
        if split != 'train':  # val frames are drawn at the original size
            assert img.shape[:2] == (32, 48 * panels)
        if panels == 2:  # the depth / flow panel is not the frame again
            assert not (img[:, :width] == img[:, width:]).all()
        assert img.std() > 0  # something was drawn


def _frame(pan, boxes=None, ids=None):
    frame = DetDataSample(metainfo=dict(frame_id=0, video_id=0))
    frame.gt_panoptic_seg = PixelData(sem_seg=torch.as_tensor(pan)[None])
    if boxes is not None:
        frame.gt_instances = InstanceData(
            bboxes=torch.tensor(boxes, dtype=torch.float32),
            labels=torch.tensor([3] * len(ids)),
            instances_ids=torch.tensor(ids))
    return frame


def _visualizer():
    from mmvidseg.visualization import VideoLocalVisualizer
    vis = VideoLocalVisualizer(name='test_browse', draw_text=False)
    vis.dataset_meta = dict(classes=tuple('abcdef'),
                            palette=[(10, 20, 30)] * 6)
    return vis


def test_draws_with_the_visualizer(browse):
    """The tool's drawing is the visualizer's (what tools/test.py
    --show-dir and the demos draw), frame by frame."""
    vis = _visualizer()
    pan = np.zeros((8, 8), np.int64)
    pan[:4] = 3007
    bgr = np.random.default_rng(0).integers(0, 255, (1, 8, 8, 3), np.uint8)
    drawn, = browse.draw_sample(vis, bgr, [_frame(pan)])
    expected = vis.draw_frame(np.ascontiguousarray(bgr[0, ..., ::-1]),
                              _frame(pan), draw_gt=True, draw_pred=False)
    assert (drawn == expected).all()


def test_colours_follow_ids_across_frames(browse):
    from mmvidseg.visualization import track_color
    vis = _visualizer()
    black = np.zeros((2, 8, 8, 3), np.uint8)
    pan0 = np.zeros((8, 8), np.int64)
    pan0[:4] = 3007  # track 7 of class 3 at the top
    pan1 = np.zeros((8, 8), np.int64)
    pan1[4:] = 3007  # ... moved to the bottom in the next frame
    a, b = browse.draw_sample(vis, black, [_frame(pan0), _frame(pan1)])
    assert (a[1, 1] == b[6, 1]).all()  # same track, same colour
    assert (a[6, 1] == b[1, 1]).all()  # same stuff class, same colour
    assert not (a[1, 1] == a[6, 1]).all()
    stuff = np.round(vis.alpha * np.array((10, 20, 30)))  # RGB
    assert np.abs(a[6, 1].astype(int) - stuff).max() <= 1
    track = np.round(vis.alpha * np.array(track_color(7)))
    assert np.abs(a[1, 1].astype(int) - track).max() <= 1


def test_val_frames_drawn_at_annotation_size(browse):
    vis = _visualizer()
    img = np.zeros((1, 16, 24, 3), np.uint8)  # resized by the pipeline
    drawn, = browse.draw_sample(vis, img, [_frame(np.zeros((8, 12)))],
                                at_original_size=True)
    assert drawn.shape == (8, 12, 3)
