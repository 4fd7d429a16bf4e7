# Copyright (c) OpenMMLab. All rights reserved.
"""Resize / RandomCrop / RandomFlip move every dense map with the image."""
import numpy as np
import pytest
from mmcv.transforms import TransformBroadcaster

from mmvidseg.datasets.transforms import RandomCrop, RandomFlip, Resize
from mmvidseg.registry import TRANSFORMS


def _results(height=8, width=12, seed=0):
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width]
    code = (ys * 100 + xs).astype(np.int32)  # unique per pixel
    return dict(
        img=np.stack([ys, xs, np.zeros_like(xs)], -1).astype(np.uint8),
        img_shape=(height, width),
        ori_shape=(height, width),
        gt_seg_map=(code % 7).astype(np.uint8),
        gt_panoptic_map=code,
        gt_depth_map=code.astype(np.float32) / 10,
        gt_flow_map=np.stack([xs + 0.5, -ys - 0.25], -1).astype(np.float32),
        gt_bboxes=np.array([[2, 1, 6, 5]], np.float32),
        gt_bboxes_labels=np.array([1]),
        gt_ignore_flags=np.array([False]),
        seed=rng)


def test_scoped_names_resolve_to_these_classes():
    assert TRANSFORMS.get('Resize') is Resize
    assert TRANSFORMS.get('RandomCrop') is RandomCrop
    assert TRANSFORMS.get('RandomFlip') is RandomFlip


def test_resize_nearest_and_flow_scaling():
    out = Resize(scale=(24, 16), keep_ratio=False)(_results())
    assert out['img_shape'] == (16, 24)
    for key in ('gt_panoptic_map', 'gt_depth_map', 'gt_seg_map'):
        assert out[key].shape == (16, 24)
    src = _results()
    np.testing.assert_array_equal(
        out['gt_panoptic_map'],
        np.repeat(np.repeat(src['gt_panoptic_map'], 2, 0), 2, 1))
    assert out['gt_panoptic_map'].dtype == np.int32
    expected = np.repeat(np.repeat(src['gt_flow_map'], 2, 0), 2, 1) * 2
    np.testing.assert_allclose(out['gt_flow_map'], expected)
    assert isinstance(out['gt_bboxes'], np.ndarray)
    assert out['gt_bboxes'].tolist() == [[4, 2, 12, 10]]


def test_crop_cuts_the_same_window():
    np.random.seed(0)
    out = RandomCrop(crop_size=(5, 4), allow_negative_crop=True)(_results())
    pan = out['gt_panoptic_map']
    assert pan.shape == (4, 5)
    y1, x1 = divmod(int(pan[0, 0]), 100)
    src = _results()
    for key in ('gt_panoptic_map', 'gt_depth_map', 'gt_flow_map',
                'gt_seg_map'):
        np.testing.assert_array_equal(out[key],
                                      src[key][y1:y1 + 4, x1:x1 + 5])
    np.testing.assert_array_equal(out['img'],
                                  src['img'][y1:y1 + 4, x1:x1 + 5])
    # the recorded homography is the crop translation
    assert out['homography_matrix'][:2, 2].tolist() == [-x1, -y1]
    assert isinstance(out['gt_bboxes'], np.ndarray)


def test_crop_composes_homography():
    results = Resize(scale=(24, 16), keep_ratio=False)(_results())
    np.random.seed(1)
    out = RandomCrop(crop_size=(6, 6), allow_negative_crop=True)(results)
    h = out['homography_matrix']
    assert h[0, 0] == pytest.approx(2.0)  # the resize is still in there


@pytest.mark.parametrize('direction', ['horizontal', 'vertical', 'diagonal'])
def test_flip_maps_and_flow_sign(direction):
    out = RandomFlip(prob=1.0, direction=direction)(_results())
    src = _results()
    axes = dict(horizontal=(1, ), vertical=(0, ), diagonal=(0, 1))[direction]
    for key in ('gt_panoptic_map', 'gt_depth_map', 'gt_seg_map'):
        np.testing.assert_array_equal(out[key], np.flip(src[key], axes))
    flow = np.flip(src['gt_flow_map'], axes).copy()
    if 1 in axes:
        flow[..., 0] *= -1
    if 0 in axes:
        flow[..., 1] *= -1
    np.testing.assert_array_equal(out['gt_flow_map'], flow)


def test_broadcaster_shares_the_crop_over_frames():
    wrapper = TransformBroadcaster(
        transforms=[RandomCrop(crop_size=(5, 4), allow_negative_crop=True),
                    RandomFlip(prob=0.5)],
        share_random_params=True)
    frames = [_results(seed=s) for s in range(3)]
    data = {k: [f[k] for f in frames] for k in frames[0]}
    for seed in range(5):
        np.random.seed(seed)
        out = wrapper(dict(data))
        first = out['gt_panoptic_map'][0]
        for pan in out['gt_panoptic_map'][1:]:
            np.testing.assert_array_equal(pan, first)
        assert len(set(out['flip'])) == 1
