# Copyright (c) OpenMMLab. All rights reserved.
"""``eval_offline.py`` against the official definitions on adversarial
cases: ``vss`` (VSPW's mean over the classes with ground truth) and
``dvpq --layout semkitti`` (ViP-DeepLab's ``semkitti-dvps/eval_dvpq.py``:
its file layout, ids, void, things, epsilon and one stream of windows)."""
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from mmvidseg.testing.reference_evaluators import (dvpq_reference,
                                                   vspw_miou_reference)

M = 2**20
LAMS = (0.5, 0.25, 0.1)


def _save(path, array, dtype):
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.fromarray(np.asarray(array).astype(dtype)).save(path)


# ---------------------------------------------------------------- VSPW
def test_vss_equals_the_official_formula(tmp_path, run_cli):
    rng = np.random.default_rng(0)
    videos = {}
    for v in range(3):
        frames = []
        for t in range(int(rng.integers(2, 6))):
            gt = rng.integers(0, 4, (4, 5))  # class 3: never predicted
            pred = np.where(rng.random(gt.shape) < 0.6, np.minimum(gt, 2),
                            rng.choice([0, 1, 2, 4], gt.shape))  # 4: pred
            void = rng.random(gt.shape) < 0.15
            if v == 2 and t == 0:
                void[:] = True  # a frame void everywhere
            gt = np.where(void, rng.choice([124, 253, 255]), gt)
            pred = np.where(void, rng.integers(0, 256, gt.shape), pred)
            frames.append((gt, pred))
        videos[f'v{v}'] = frames
    for video, frames in videos.items():
        for t, (gt, pred) in enumerate(frames):
            _save(str(tmp_path / 'gt' / 'data' / video / 'mask' /
                      f'{t:08d}.png'), gt, np.uint8)
            _save(str(tmp_path / 'pred' / video / f'{t:08d}.png'), pred,
                  np.uint8)
    res = run_cli('vss', '--gt', tmp_path / 'gt', '--pred',
                  tmp_path / 'pred', '--num-classes', 5)
    ref = vspw_miou_reference(list(videos.values()), 5)
    assert np.isnan(ref['IoU'][4]) and ref['IoU'][3] == 0.0
    assert res['mIoU'] == pytest.approx(ref['mIoU'], abs=1e-15)


# -------------------------------------------------------- SemKITTI-DVPS
def _block(rng, values):
    return np.kron(rng.choice(values, (2, 4)), np.ones((3, 2), np.int64))


def _semkitti_case(rng, num_seqs=2):
    """Sequences of (class, instance, pred cat, pred ins, depth gt, depth
    pred): class 3 only predicted, 4 nowhere, a frame void everywhere."""
    seqs = []
    for s in range(num_seqs):
        frames = []
        for t in range(int(rng.integers(2, 5))):
            cls = _block(rng, [0, 1, 2])
            cls = np.where(rng.random(cls.shape) < 0.1, 255, cls)
            if s == 0 and t == 1:
                cls[:] = 255
            ins = np.where(cls < 2, _block(rng, [1, 2, 65535]), 0)
            keep = (rng.random(cls.shape) < 0.8) & (cls != 255)
            pcat = np.where(keep, cls, _block(rng, [0, 1, 3]))
            pins = np.where(keep, ins, _block(rng, [0, 5, 65534]))
            dg = rng.integers(0, 300, cls.shape)
            dg[rng.random(cls.shape) < 0.2] = 0
            dp = np.clip(dg + rng.integers(-60, 60, cls.shape), 0, None)
            frames.append((cls, ins, pcat, pins, dg, dp))
        seqs.append(frames)
    return seqs


def _write_semkitti(root, seqs):
    gt, pred, depth = (osp.join(root, d) for d in ('gt', 'pred', 'depth'))
    for s, frames in enumerate(seqs):
        for t, (cls, ins, pcat, pins, dg, dp) in enumerate(frames):
            stem = f'{s:06d}_{t:06d}'
            _save(osp.join(gt, f'{stem}_gtFine_class.png'), cls, np.uint8)
            _save(osp.join(gt, f'{stem}_gtFine_instance.png'), ins,
                  np.uint16)
            _save(osp.join(gt, f'{stem}_depth_718.8560180664062.png'), dg,
                  np.uint16)
            _save(osp.join(pred, f'{stem}_leftImg8bit_cat.png'), pcat,
                  np.uint8)
            _save(osp.join(pred, f'{stem}_leftImg8bit_ins.png'), pins,
                  np.uint16)
            _save(osp.join(depth, f'{stem}_leftImg8bit.png'), dp, np.uint16)
    return gt, pred, depth


def _reference(seqs, windows, num_classes=5, things=(0, 1)):
    frames = [[(cls * M + ins, pcat * M + pins, dg, dp)
               for cls, ins, pcat, pins, dg, dp in seq] for seq in seqs]
    return dvpq_reference(frames, windows, LAMS, num_classes, things,
                          rules='semkitti')


@pytest.mark.parametrize('seed', range(2))
def test_dvpq_semkitti_layout_equals_the_official_definition(
        seed, tmp_path, run_cli):
    seqs = _semkitti_case(np.random.default_rng(seed))
    gt, pred, depth = _write_semkitti(str(tmp_path), seqs)
    res = run_cli('dvpq', '--layout', 'semkitti', '--gt', gt, '--pred', pred,
                  '--pred-depth', depth, '--num-classes', 5,
                  '--thing-classes', 0, 1, '--windows', 1, 2, 3)
    ref = _reference(seqs, (1, 2, 3))
    assert len(res) == 3 + 3 * 3
    for key, value in res.items():
        assert value is not None  # epsilon 1e-10: absent classes are 0
        assert value == pytest.approx(ref[key], abs=1e-9), key
    # windows cross the sequence boundary, as the official script's do:
    # scoring the sequences apart gives other numbers at window 2
    apart = [_reference([s], (2, )) for s in seqs]
    assert all(a['DVPQ@2@0.5'] != pytest.approx(res['DVPQ@2@0.5'])
               for a in apart)


def test_dvpq_semkitti_defaults_and_errors(tmp_path, run_cli, eval_offline):
    seqs = _semkitti_case(np.random.default_rng(3), num_seqs=1)
    gt, pred, depth = _write_semkitti(str(tmp_path), seqs)
    # the official defaults: 19 classes, things 0..7, windows 1 5 10 20;
    # here no window of 5 or more frames: null with a reason
    res = run_cli('dvpq', '--layout', 'semkitti', '--gt', gt, '--pred', pred,
                  '--pred-depth', depth)
    ref = _reference(seqs, (1, ), 19, range(8))
    assert res['DVPQ@1@0.5'] == pytest.approx(ref['DVPQ@1@0.5'], abs=1e-9)
    assert res['DVPQ@5@0.5'] is None and res['DVPQ'] is None
    assert 'no window of 5 frames' in res['DVPQ@5@0.5_reason']

    def run():
        eval_offline.main(['dvpq', '--layout', 'semkitti', '--gt', gt,
                           '--pred', pred, '--pred-depth', depth])

    ins = osp.join(pred, '000000_000001_leftImg8bit_ins.png')
    os.rename(ins, ins + '.bak')
    with pytest.raises(ValueError, match='no predicted instance'):
        run()
    os.rename(ins + '.bak', ins)
    os.remove(osp.join(gt, '000000_000000_gtFine_instance.png'))
    with pytest.raises(FileNotFoundError,
                       match='000000_000000_gtFine_instance.png'):
        run()
