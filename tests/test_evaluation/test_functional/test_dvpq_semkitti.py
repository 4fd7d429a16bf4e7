# Copyright (c) OpenMMLab. All rights reserved.
"""DVPQ with SemKITTI-DVPS' rules against an oracle written from ViP-DeepLab's
``semkitti-dvps/eval_dvpq.py`` (see :mod:`mmvidseg.testing.reference_
evaluators.dvpq`), on adversarial cases; Cityscapes-DVPS rules unchanged."""
import math

import numpy as np
import pytest

from mmvidseg.evaluation.functional.dvpq import (DVPQ_RULES, DVPQAccumulator,
                                                 _pair_table,
                                                 dvpq_null_reasons, dvpq_rules)
from mmvidseg.testing.reference_evaluators import dvpq_reference

M = 2**20  # SemKITTI's class multiplier
C, THINGS = 5, (0, 1)
ABSENT, ONLY_PRED = 4, 3  # never anywhere / only predicted
LAMS = (0.5, 0.25, 0.1)


def block(rng, values, shape=(2, 4), cell=(3, 2)):
    return np.kron(rng.choice(values, shape), np.ones(cell, np.int64))


def semkitti_frame(rng, void_all=False):
    """(gt, pred, depth gt, depth pred) in SemKITTI's ids: classes 0..2 in
    the ground truth, 3 only predicted, 4 nowhere, void 255 sprinkled (or
    everywhere), instance ids up to 2**20 - 1."""
    cls = block(rng, [0, 1, 2])
    cls = np.where(rng.random(cls.shape) < 0.1, 255, cls)
    if void_all:
        cls[:] = 255
    ins = block(rng, [1, 2, M - 1])
    gt = cls * M + np.where(cls < 2, ins, 0)
    noise = block(rng, [0, 1, ONLY_PRED]) * M + block(rng, [0, 1, M - 1])
    keep = (rng.random(gt.shape) < 0.8) & (cls != 255)
    pred = np.where(keep, gt, noise)
    dg = rng.integers(0, 300, gt.shape).astype(np.uint16)
    dg[rng.random(gt.shape) < 0.2] = 0
    dp = np.clip(dg.astype(int) + rng.integers(-60, 60, gt.shape), 0,
                 None).astype(np.uint16)
    return gt, pred, dg, dp


def semkitti_sequences(rng, num=2):
    seqs = []
    for s in range(num):
        n = int(rng.integers(2, 6))
        seqs.append([semkitti_frame(rng, void_all=(s == 0 and t == 1))
                     for t in range(n)])
    return seqs


def ours_semkitti(seqs, windows):
    acc = DVPQAccumulator.from_rules('semkitti', num_classes=C,
                                     thing_classes=THINGS, windows=windows)
    video = acc.new_video('stream')  # the official windows: one stream
    for seq in seqs:
        for frame in seq:
            video.add_frame(*frame)
    acc.add(video.finish())
    return acc


def assert_same(ours, ref):
    compared = 0
    for key, value in ref.items():
        if math.isnan(value):
            assert math.isnan(ours[key]), key
        else:
            assert ours[key] == pytest.approx(value, abs=1e-9), key
            compared += 1
    return compared


@pytest.mark.parametrize('seed', range(4))
def test_semkitti_rules_equal_the_official_definition(seed):
    rng = np.random.default_rng(seed)
    seqs = semkitti_sequences(rng)
    windows = (1, 2, 3)
    acc = ours_semkitti(seqs, windows)
    res = acc.compute()
    ref = dvpq_reference(seqs, windows, LAMS, C, THINGS, rules='semkitti')
    assert assert_same(res, ref) == len(ref)  # epsilon 1e-10: no NaN
    # the absent and the predicted-only classes count as 0 in the mean
    tp = acc.stats[0].sums[1, 0.5][1]
    assert tp[ABSENT] == 0 and tp[ONLY_PRED] == 0
    assert acc.stats[0].sums[1, 0.5][3, ONLY_PRED] > 0  # its FPs
    assert not dvpq_null_reasons(acc.stats, C, THINGS, windows, LAMS,
                                 acc.epsilon)


def test_absent_class_counts_as_zero_only_with_semkitti_rules():
    # class 0 perfect, class 1 nowhere
    gt = np.zeros((2, 3), np.int64)
    frame = (gt, gt.copy(), None, None)
    sk = DVPQAccumulator.from_rules('semkitti', num_classes=2,
                                    thing_classes=(1, ), windows=(1, ),
                                    depth_thresholds=(0, ))
    sk.add_video([frame])
    cs = DVPQAccumulator.from_rules('cityscapes', num_classes=2,
                                    thing_classes=(1, ), windows=(1, ),
                                    depth_thresholds=(0, ))
    cs.add_video([frame])
    assert sk.compute()['DVPQ'] == pytest.approx(50.0)
    assert sk.compute()['DVPQ_th'] == pytest.approx(0.0)
    assert math.isnan(cs.compute()['DVPQ'])
    ref = dvpq_reference([[frame]], (1, ), (0.0, ), 2, (1, ),
                         rules='semkitti')
    assert ref['DVPQ'] == pytest.approx(50.0)


def test_depth_threshold_and_void_everywhere():
    # car (class 0, a thing) of 4 pixels, 2 of them 30 % off in depth
    car = 0 * M + 7
    gt = np.array([[car, car, car, car, 8 * M, 8 * M]])
    dg = np.full(gt.shape, 100, np.uint16)
    dp = np.array([[100, 100, 130, 130, 100, 100]], np.uint16)
    void = np.full(gt.shape, 255 * M)
    seqs = [[(gt, gt.copy(), dg, dp), (void, gt.copy(), dg, dp)]]
    # 9 classes (things 0..7): the car and class 8 present
    acc = DVPQAccumulator.from_rules('semkitti', num_classes=9,
                                     windows=(1, 2))
    acc.add_video(seqs[0])
    res = acc.compute()
    ref = dvpq_reference(seqs, (1, 2), LAMS, 9, range(8), rules='semkitti')
    assert assert_same(res, ref) == len(ref)
    # at 0.5 both segments match in frame 0; the all-void frame adds
    # nothing (its predictions lie on void: not FPs)
    assert res['DVPQ@1@0.5'] == pytest.approx(200 / 9)
    # at 0.25 the car keeps 2 of 4 pixels: no match (IoU 1/2), PQ 0
    assert res['DVPQ@1@0.25'] == pytest.approx(100 / 9)


def test_rules_table_and_cityscapes_unchanged():
    assert dvpq_rules('semkitti')['epsilon'] == 1e-10
    assert dvpq_rules('semkitti')['thing_classes'] == tuple(range(8))
    assert dvpq_rules('semkitti')['windows'] == (1, 5, 10, 20)
    assert dvpq_rules('semkitti')['void_class'] == 255
    assert dvpq_rules('cityscapes')['epsilon'] == 0.0
    with pytest.raises(ValueError, match='unknown DVPQ rules'):
        dvpq_rules('kitti')
    a, b = DVPQAccumulator(), DVPQAccumulator.from_rules('cityscapes')
    assert vars(a) == vars(b)
    assert DVPQ_RULES['cityscapes']['one_stream'] is False
    # the Cityscapes oracle still equals the defaults
    rng = np.random.default_rng(7)
    seqs = []
    for _ in range(2):
        frames = []
        for _ in range(3):
            cls = block(rng, [0, 1, 2, 32])
            gt = cls * 1000 + np.where(cls == 1, block(rng, [1, 2]), 0)
            pred = np.where(rng.random(gt.shape) < 0.8,
                            np.where(cls == 32, 0, gt),
                            block(rng, [0, 1, 3]) * 1000)
            frames.append((gt, pred, None, None))
        seqs.append(frames)
    acc = DVPQAccumulator(4, (1, ), (1, 2), (0.0, ))
    for s in seqs:
        acc.add_video(s)
    ref = dvpq_reference(seqs, (1, 2), (0.0, ), 4, (1, ))
    assert_same(acc.compute(), ref)
    # class 3 is only predicted: no TP, so the Cityscapes mean is NaN
    assert math.isnan(acc.compute()['DVPQ'])


def test_window_longer_than_every_sequence_is_nan():
    gt = np.zeros((2, 2), np.int64)
    acc = DVPQAccumulator.from_rules('semkitti', num_classes=1,
                                     thing_classes=(), windows=(1, 5),
                                     depth_thresholds=(0, ))
    acc.add_video([(gt, gt, None, None)] * 3)
    res = acc.compute()
    assert res['DVPQ@1@0.0'] == pytest.approx(100.0)
    assert math.isnan(res['DVPQ@5@0.0']) and math.isnan(res['DVPQ'])
    reasons = dvpq_null_reasons(acc.stats, 1, (), (1, 5), (0, ), 1e-10)
    assert 'no window of 5 frames' in reasons['DVPQ@5@0.0']


def test_pair_table_with_ids_beyond_62_bits():
    g = np.array([3 << 40, 3 << 40, 5, 5, 5], np.int64)
    p = np.array([1 << 33, 1 << 33, 2, 2, 9], np.int64)
    lv = np.array([0, 0, 1, 1, 2], np.int64)
    g2, p2, l2, c = _pair_table(g, p, lv)
    got = sorted(zip(g2.tolist(), p2.tolist(), l2.tolist(), c.tolist()))
    assert got == [(5, 2, 1, 2), (5, 9, 2, 1), (3 << 40, 1 << 33, 0, 2)]
