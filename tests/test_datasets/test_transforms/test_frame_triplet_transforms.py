# Copyright (c) OpenMMLab. All rights reserved.
"""Random rescale / rotation / flip of frame triplets: one draw for the 3
frames (a moving blob keeps its linear motion), shapes, ranges, borders,
argument errors, and the UCF-101 config's training pipeline."""
import copy
import math
import os.path as osp
import random

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.dataset import Compose

from mmvidseg.datasets.transforms import (TripletRandomCrop, TripletRandomFlip,
                                          TripletRandomRescale,
                                          TripletRandomRotate, TripletResize)
from mmvidseg.registry import DATASETS, TRANSFORMS

REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
UCF_CFG = osp.join(REPO, 'configs', 'deep_voxel_flow',
                   'dvf_unet-ms3_1xb32-400e_ucf101-triplets.py')

#: the blob's centre in frame 0 and its motion per frame, (x, y) pixels
START, STEP = (30.0, 26.0), (3.0, -2.0)


def _blob_triplet(height=60, width=72, mask=True):
    """Float32 (H, W, 3) frames of a Gaussian blob moving by ``STEP`` per
    frame (frame t+1 = frame t shifted), and a motion mask on frame 1."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    imgs = []
    for t in range(3):
        cx, cy = START[0] + t * STEP[0], START[1] + t * STEP[1]
        blob = 200 * np.exp(-((xs - cx)**2 + (ys - cy)**2) / (2 * 3.0**2))
        imgs.append(
            np.stack([blob, 0.5 * blob, 0.25 * blob], -1).astype(np.float32))
    masks = [None, (imgs[1][..., 0] > 20).astype(np.uint8), None]
    return dict(
        img=imgs,
        img_shape=[(height, width)] * 3,
        gt_motion_mask=masks if mask else [None] * 3,
        key_frame_flags=[False, True, False])


def _centroids(imgs):
    """Intensity-weighted (x, y) centre of each frame's first channel."""
    out = []
    for img in imgs:
        w = img[..., 0].astype(np.float64)
        ys, xs = np.mgrid[0:w.shape[0], 0:w.shape[1]]
        out.append(np.array([(w * xs).sum(), (w * ys).sum()]) / w.sum())
    return np.stack(out)


def _clockwise(vec, degrees):
    """Rotate (x, y) vectors clockwise on screen (y points down)."""
    a = math.radians(degrees)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    return vec @ rot.T


def test_registered():
    for cls in (TripletRandomRescale, TripletRandomRotate):
        assert TRANSFORMS.get(cls.__name__) is cls


@pytest.mark.parametrize('seed', range(4))
def test_one_draw_for_the_three_frames(seed):
    """Frame t+1 stays frame t shifted, by the transformed shift."""
    random.seed(seed)
    pipeline = [
        TripletRandomRescale((0.8, 1.3)),
        TripletRandomRotate(12, prob=1.0),
        TripletRandomFlip(prob=1.0),
    ]
    results = _blob_triplet()
    for transform in pipeline:
        results = transform(results)
    centres = _centroids(results['img'])
    moves = np.diff(centres, axis=0)
    # same transform for all frames: the motion stays linear ...
    np.testing.assert_allclose(moves[0], moves[1], atol=0.15)
    # ... and is the original one, rescaled, rotated and flipped
    ratio = results['rescale_ratio']
    shape = (round(60 * ratio), round(72 * ratio))
    assert results['img_shape'] == [shape] * 3
    scaled = np.array(STEP) * [round(72 * ratio) / 72, round(60 * ratio) / 60]
    expected = _clockwise(scaled, results['rotate_angle']) * [-1, 1]
    np.testing.assert_allclose(moves[0], expected, atol=0.15)
    assert results['flip'] == [True] * 3
    # the mask moved with its frame
    mask = results['gt_motion_mask'][1].astype(bool)
    assert set(np.unique(mask)) <= {False, True}
    assert mask[tuple(np.round(centres[1][::-1]).astype(int))]


def test_rotation_about_the_centre():
    results = _blob_triplet(mask=False)
    before = _centroids(results['img'])
    random.seed(0)
    out = TripletRandomRotate((7.0, 7.0), prob=1.0)(results)
    assert out['rotate_angle'] == 7.0
    centre = np.array([(72 - 1) / 2, (60 - 1) / 2])
    expected = _clockwise(before - centre, 7.0) + centre
    np.testing.assert_allclose(_centroids(out['img']), expected, atol=0.1)
    assert out['gt_motion_mask'] == [None] * 3


def test_rotation_by_zero_is_identity():
    for dtype in (np.uint8, np.float32):
        results = _blob_triplet()
        results['img'] = [img.astype(dtype) for img in results['img']]
        ref = copy.deepcopy(results)
        out = TripletRandomRotate(0, prob=1.0, border_value=99)(results)
        assert out['rotate_angle'] == 0.0
        for a, b in zip(ref['img'], out['img']):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(ref['gt_motion_mask'][1],
                                      out['gt_motion_mask'][1])
    # prob 0: never rotated
    results = _blob_triplet()
    ref = copy.deepcopy(results)
    for _ in range(5):
        out = TripletRandomRotate(10, prob=0.0)(results)
        assert out['rotate_angle'] == 0.0
        np.testing.assert_array_equal(ref['img'][2], out['img'][2])


def test_rotation_border_value_per_channel():
    results = dict(
        img=[np.full((20, 30, 3), 200, np.float32) for _ in range(3)],
        gt_motion_mask=[None, np.ones((20, 30), np.uint8), None])
    out = TripletRandomRotate((10, 10), prob=1.0, border_value=127.5)(results)
    for img in out['img']:
        np.testing.assert_array_equal(img[0, 0], [127.5] * 3)  # corner
        np.testing.assert_array_equal(img[10, 15], [200] * 3)  # centre
    mask = out['gt_motion_mask'][1]
    assert mask[0, 0] == 0 and mask[10, 15] == 1
    out = TripletRandomRotate((10, 10), prob=1.0, border_value=(1, 2, 3))(
        _blob_triplet())
    np.testing.assert_array_equal(out['img'][1][0, 0], [1, 2, 3])


def test_random_draws_stay_in_range():
    random.seed(1)
    ratios, angles = [], []
    for _ in range(40):
        out = TripletRandomRescale((1.07, 1.5))(_blob_triplet(30, 40))
        ratio = out['rescale_ratio']
        ratios.append(ratio)
        shape = (round(30 * ratio), round(40 * ratio))
        assert out['img_shape'] == [shape] * 3
        assert out['gt_motion_mask'][1].shape == shape
        out = TripletRandomRotate(10, prob=0.5)(_blob_triplet(30, 40))
        angles.append(out['rotate_angle'])
    assert 1.07 <= min(ratios) and max(ratios) <= 1.5
    assert max(ratios) - min(ratios) > 0.2
    assert all(-10 <= a <= 10 for a in angles)
    rotated = [a for a in angles if a != 0]
    assert 0 < len(rotated) < len(angles)  # prob 0.5
    assert min(rotated) < 0 < max(rotated)
    out = TripletRandomRescale((1.5, 1.5))(_blob_triplet(30, 40))
    assert out['img'][0].shape == (45, 60, 3)


def test_rescale_then_crop_gives_the_crop_size():
    """The release's declared recipe: 256x256, x[1.07, 1.5], 256 crop."""
    random.seed(0)
    results = _blob_triplet(240, 320)
    for transform in (TripletResize(
        (256, 256)), TripletRandomRescale(
            (1.07, 1.5)), TripletRandomCrop((256, 256))):
        results = transform(results)
    assert [img.shape for img in results['img']] == [(256, 256, 3)] * 3
    assert results['gt_motion_mask'][1].shape == (256, 256)


@pytest.mark.parametrize('make, match', [
    (lambda: TripletRandomRescale((1.5, 1.07)), 'ratio_range'),
    (lambda: TripletRandomRescale((0, 1.5)), 'ratio_range'),
    (lambda: TripletRandomRescale(1.2), 'ratio_range'),
    (lambda: TripletRandomRescale((1.0, 'a')), 'ratio_range'),
    (lambda: TripletRandomRotate(-1), 'degree'),
    (lambda: TripletRandomRotate((10, -10)), 'degree'),
    (lambda: TripletRandomRotate((1, 2, 3)), 'degree'),
    (lambda: TripletRandomRotate('10'), 'degree'),
    (lambda: TripletRandomRotate(10, prob=1.5), 'prob'),
    (lambda: TripletRandomRotate(10, border_value='x'), 'border_value'),
    (lambda: TripletRandomRotate(10, border_value=(1, ) * 5), 'border_value'),
    (lambda: TripletRandomRotate(10, interpolation='cubic'), 'interpolation'),
])
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_border_value_channels_must_match():
    rotate = TripletRandomRotate(10, prob=1.0, border_value=(1, 2))
    with pytest.raises(ValueError, match='border_value .* 3 channels'):
        rotate(_blob_triplet())


# ------------------------------------------------------------------ config
@pytest.mark.parametrize('height, width', [(256, 256), (240, 320)])
def test_ucf101_config_train_pipeline(tmp_path, height, width):
    """The config's train pipeline on toy triplets of the release's test
    size (256x256) and of UCF-101's frames (320x240) packs 256x256 frames,
    with the release's flip and rotation."""
    from mmvidseg.testing import generate_toy_video
    from mmvidseg.testing.toy_formats import write_triplets
    from mmvidseg.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(UCF_CFG)
    steps = {t['type']: t for t in cfg.train_pipeline}
    assert steps['TripletRandomFlip']['direction'] == 'horizontal'
    rotate = TRANSFORMS.build(steps['TripletRandomRotate'])
    assert rotate.degree == (-10.0, 10.0) and rotate.prob == 0.5
    assert rotate.border_value == 127.5  # the normalisation mean
    assert cfg.model.data_preprocessor.mean == [127.5] * 3

    root = str(tmp_path)
    video = generate_toy_video(0, num_frames=4, height=height, width=width)
    write_triplets(root, {'train': [video]})
    ds_cfg = copy.deepcopy(cfg.train_dataloader.dataset)
    ds_cfg.data_root = root
    ds_cfg.ann_file = osp.join(root, 'videos_train.txt')
    dataset = DATASETS.build(ds_cfg)
    random.seed(0)
    for idx in range(len(dataset)):
        for _ in range(3):
            packed = dataset[idx]
            assert packed['inputs'].shape == (3, 3, 256, 256)
    # the same pipeline, rotating every time, still gives 256x256
    steps = copy.deepcopy(cfg.train_pipeline)
    for step in steps:
        if step['type'] == 'TripletRandomRotate':
            step['prob'] = 1.0
    pipeline = Compose([TRANSFORMS.build(s) for s in steps])
    packed = pipeline(dataset.get_data_info(0))
    assert packed['inputs'].shape == (3, 3, 256, 256)
