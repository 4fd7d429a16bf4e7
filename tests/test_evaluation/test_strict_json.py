# Copyright (c) OpenMMLab. All rights reserved.
"""Scores print as strict JSON, each null with its reason (issue 17)."""
import json
import os
import os.path as osp
import shutil

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.structures import PixelData
from PIL import Image

from mmvidseg.evaluation import VSSMetric, dumps_strict, strict_metrics


def _strict_loads(text):
    """json.loads that rejects NaN / Infinity, as strict parsers do."""

    def reject(token):
        raise ValueError(f'not JSON: {token}')

    return json.loads(text, parse_constant=reject)


def test_strict_metrics():
    out = strict_metrics(
        {'a': np.float64('nan'), 'b': float('inf'), 'c': np.int64(3),
         'd': [1.0, float('nan')], 'e': 'text', 'f': np.float32(0.5)},
        reasons={'a': 'why a'})
    assert list(out) == ['a', 'a_reason', 'b', 'b_reason', 'c', 'd', 'e',
                         'f']
    assert out['a'] is None and out['a_reason'] == 'why a'
    assert out['b'] is None and out['b_reason'].startswith('infinite')
    assert out['c'] == 3 and out['d'] == [1.0, None] and out['f'] == 0.5
    assert _strict_loads(dumps_strict({'x': float('nan')})) == {
        'x': None, 'x_reason': strict_metrics({'x': float('nan')})[
            'x_reason']}
    # an existing reason key is kept, not overwritten
    assert strict_metrics({'x': float('nan'), 'x_reason': 'mine'}) == {
        'x': None, 'x_reason': 'mine'}
    assert strict_metrics({'x': float('nan')}, with_reasons=False) == {
        'x': None}


def test_psnr_identical_frames_print_null_with_reason(tmp_path, eval_offline,
                                                      capsys):
    rng = np.random.default_rng(0)
    for t in range(2):
        frame = rng.integers(0, 256, (8, 8, 3)).astype(np.uint8)
        for folder in ('gt', 'pred'):
            os.makedirs(tmp_path / folder, exist_ok=True)
            Image.fromarray(frame).save(tmp_path / folder / f'{t}.png')
    eval_offline.main(['psnr', '--gt', str(tmp_path / 'gt'), '--pred',
                       str(tmp_path / 'pred')])
    res = _strict_loads(capsys.readouterr().out)
    assert res['PSNR'] is None
    assert res['PSNR_reason'] == ('infinite: 2 of 2 frames equal the ground '
                                  'truth (PSNR = inf), so the mean is '
                                  'infinite')
    assert res['SSIM'] == pytest.approx(1.0)


def test_dvpq_absent_class_has_a_reason(tmp_path, eval_offline, capsys):
    """DVPQ with epsilon 0: a class without a true positive makes the class
    mean NaN, as the official script; the JSON says which class."""
    from mmvidseg.testing import generate_toy_videos
    from mmvidseg.testing.toy_formats import write_cityscapes_dvps
    videos = generate_toy_videos(2, seed=3, num_frames=3, height=24,
                                 width=32)
    root = write_cityscapes_dvps(str(tmp_path / 'cs'), {'val': videos})
    gt_dir = osp.join(root, 'video_sequence', 'val')
    pred = tmp_path / 'pred'
    os.makedirs(pred)
    for name in os.listdir(gt_dir):
        if name.endswith('_gtFine_instanceTrainIds.png'):
            pan = np.array(Image.open(osp.join(gt_dir, name)), np.int64)
            rgb = np.stack([pan // 1000, pan % 1000, 0 * pan], -1)
            Image.fromarray(rgb.astype(np.uint8)).save(pred / name)
        elif name.endswith('_depth.png'):
            shutil.copy(osp.join(gt_dir, name), pred / name)
    # class 6 of 7 appears nowhere: its PQ is 0/0
    eval_offline.main(['dvpq', '--gt', gt_dir, '--pred', str(pred),
                       '--num-classes', '7', '--thing-classes', '3', '4',
                       '5', '--windows', '1', '4',
                       '--depth-thresholds', '0.5'])
    res = _strict_loads(capsys.readouterr().out)
    assert res['DVPQ@1@0.5'] is None
    assert res['DVPQ@1@0.5_reason'].startswith(
        'class 6 has no true positive at window 1, depth threshold 0.5')
    assert res['DVPQ@4@0.5_reason'] == (
        'no window of 4 frames: every sequence is shorter (the longest has '
        '3 frames)')
    # things: every class matched at window 1, so only window 4 is null
    assert res['DVPQ_th_reason'] == (
        'the mean over the window sizes and depth thresholds includes null '
        'scores: DVPQ_th@4@0.5 (no window of 4 frames: every sequence is '
        'shorter (the longest has 3 frames))')
    assert res['DVPQ_reason'].startswith(
        'the mean over the window sizes and depth thresholds includes null '
        'scores: DVPQ@1@0.5, DVPQ@4@0.5 (class 6 has no true positive')


def _vss_frame(t, length, gt, pred, path=None):
    meta = dict(video_id=0, frame_id=t, ori_video_length=length,
                video_name='toy_1000')
    if path:
        meta['img_path'] = path
    s = DetDataSample(metainfo=meta)
    s.gt_sem_seg = PixelData(data=torch.from_numpy(gt)[None])
    s.pred_sem_seg = PixelData(data=torch.from_numpy(pred)[None])
    clip = TrackDataSample()
    clip.video_data_samples = [s]
    return clip


def test_vss_metric_names_the_file_and_explains_nulls():
    metric = VSSMetric(windows=(2, 8))
    metric.dataset_meta = dict(classes=('a', 'b'))
    gt = np.zeros((4, 4), np.int64)
    for t in range(3):
        metric.process({}, [_vss_frame(t, 3, gt, gt)])
    res = metric.evaluate(1)
    assert np.isnan(res['mVC8']) and res['mVC2'] == 100.0
    assert metric.null_reasons == {
        'mVC8': 'no window of 8 frames: the official loop scores the windows '
                'that end before the last frame, so a video needs more than '
                '8 frames (the longest has 3)'}
    metric.process({}, [_vss_frame(0, 2, gt, gt, 'data/toy_1000/0.jpg')])
    with pytest.raises(ValueError) as e:
        metric.process({}, [_vss_frame(1, 2, gt, gt[:2],
                                       'data/toy_1000/1.jpg')])
    assert str(e.value).startswith(
        'data/toy_1000/1.jpg (video toy_1000 frame 1): prediction shape')
