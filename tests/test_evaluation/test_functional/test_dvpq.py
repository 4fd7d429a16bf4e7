# Copyright (c) OpenMMLab. All rights reserved.
"""DVPQ: hand-computed cases pinning ViP-DeepLab's Cityscapes-DVPS code."""
import math

import numpy as np
import pytest

from mmvidseg.evaluation.functional.dvpq import (DVPQAccumulator, DVPQVideo,
                                                 dvpq_summarize)
from mmvidseg.testing import dvpq_reference

# two classes: 0 = road (stuff), 1 = car (thing); the depth-drop class is 2
ROAD, CAR = 0, 1000


def acc(windows=(1, ), lams=(0.5, 0.25, 0.1), epsilon=0.0):
    return DVPQAccumulator(num_classes=2, thing_classes=(1, ),
                           windows=windows, depth_thresholds=lams,
                           epsilon=epsilon)


def row(*values):
    return np.array([values], np.int64)


def test_depth_threshold_moves_pixels_out_of_their_segment():
    gt = row(ROAD, ROAD, ROAD, ROAD, CAR + 1, CAR + 1, CAR + 1, CAR + 1)
    dg = row(*[100] * 8).astype(np.uint16)
    # two car pixels are 30 % off: beyond 0.25 and 0.1, within 0.5
    dp = row(100, 100, 100, 100, 130, 130, 100, 100).astype(np.uint16)
    for eps in (0.0, 1e-10):
        a = acc(epsilon=eps)
        a.add_video([(gt, gt.copy(), dg, dp)])
        res = a.compute()
        assert res['DVPQ@1@0.5'] == pytest.approx(100.0)
        # at 0.25 the car keeps 2 of 4 pixels: IoU 2/4 is not > 0.5
        if eps == 0:
            # no TP for the car: SQ = 0/0, and the class mean is NaN
            assert math.isnan(res['DVPQ@1@0.25'])
            assert math.isnan(res['DVPQ_th@1@0.1']) and math.isnan(res['DVPQ'])
            assert res['DVPQ_st@1@0.1'] == pytest.approx(100.0)
        else:
            assert res['DVPQ@1@0.25'] == pytest.approx(50.0)
            assert res['DVPQ@1@0.1'] == pytest.approx(50.0)
            assert res['DVPQ'] == pytest.approx(200 / 3)


def test_depth_is_subtracted_signed_not_wrapped():
    # uint16 PNG values: 90 - 100 wraps to 65526 in uint16 arithmetic
    # (Pillow >= 10.3 in the official script); the intended error is 0.1
    gt = row(ROAD, ROAD, CAR + 1, CAR + 1)
    dg = row(100, 100, 100, 100).astype(np.uint16)
    dp = row(100, 100, 90, 90).astype(np.uint16)
    a = acc(lams=(0.25, ))
    a.add_video([(gt, gt.copy(), dg, dp)])
    assert a.compute()['DVPQ'] == pytest.approx(100.0)
    # no ground-truth depth (0): never moved, whatever the prediction
    a = acc(lams=(0.1, ))
    a.add_video([(gt, gt.copy(), row(0, 0, 0, 0), row(5, 5, 5, 5))])
    assert a.compute()['DVPQ'] == pytest.approx(100.0)


def test_void_and_no_crowd():
    void = 32000
    # the car prediction covers 2 void pixels: they leave the union
    gt = row(void, void, CAR + 0, CAR + 0, ROAD, ROAD)
    pred = row(CAR + 5, CAR + 5, CAR + 5, CAR + 5, ROAD, ROAD)
    a = acc(lams=(0, ))  # no depth: plain VPQ
    a.add_video([(gt, pred, None, None)])
    # instance 0 of a thing is an ordinary segment (no crowd): a TP
    assert a.compute()['DVPQ'] == pytest.approx(100.0)
    # a prediction more than half on void is not a false positive
    gt = row(void, void, void, ROAD, ROAD, CAR + 1)
    pred = row(CAR + 7, CAR + 7, CAR + 7, ROAD, ROAD, CAR + 1)
    a = acc(lams=(0, ))
    a.add_video([(gt, pred, None, None)])
    assert a.compute()['DVPQ'] == pytest.approx(100.0)


def test_windows_and_sequences():
    f0 = (row(CAR + 1, CAR + 1, ROAD, ROAD), row(CAR + 1, CAR + 1, ROAD,
                                                 ROAD), None, None)
    f1 = (row(CAR + 1, CAR + 1, ROAD, ROAD), row(CAR + 2, CAR + 2, ROAD,
                                                 ROAD), None, None)
    a = acc(windows=(1, 2), lams=(0, ), epsilon=1e-10)
    a.add_video([f0, f1])
    res = a.compute()
    assert res['DVPQ@1@0.0'] == pytest.approx(100.0)
    # window 2: the switch halves the car tube: FN 1, FP 2 -> car PQ 0
    assert res['DVPQ@2@0.0'] == pytest.approx(50.0)
    assert res['DVPQ'] == pytest.approx(75.0)
    assert res['DVPQ_th'] == pytest.approx(50.0)
    # statistics of separate sequences simply add up (epsilon aside)
    s1 = a.stats[0]
    twice = dvpq_summarize([s1, s1], 2, (1, ), (1, 2), (0, ), 1e-10)
    assert set(twice) == set(res)
    for k, v in res.items():
        assert twice[k] == pytest.approx(v, rel=1e-9)


def test_bad_input():
    v = DVPQVideo(num_classes=2, windows=(1, ), depth_thresholds=(0.5, ))
    good = row(ROAD, CAR + 1)
    depth = row(1, 1)
    with pytest.raises(ValueError, match='f.png: predicted class 5'):
        v.add_frame(good, row(ROAD, 5001), depth, depth, where='f.png')
    with pytest.raises(ValueError, match='ground-truth class 7'):
        v.add_frame(row(ROAD, 7001), good, depth, depth)
    with pytest.raises(ValueError, match='shape'):
        v.add_frame(good, row(ROAD, CAR, CAR), depth, depth)
    with pytest.raises(ValueError, match='need both'):
        v.add_frame(good, good, None, None)
    with pytest.raises(ValueError, match='no frames'):
        DVPQVideo(2, name='empty').finish()


def test_matches_official_style_reference():
    rng = np.random.default_rng(0)
    compared = 0
    for _ in range(12):
        seqs = []
        for _ in range(3):
            frames = []
            for _ in range(int(rng.integers(1, 5))):
                cls = np.kron(rng.integers(0, 3, (4, 5)), np.ones((3, 3),
                                                                  int))
                cls = np.where(rng.random(cls.shape) < 0.1, 32, cls)
                ins = np.kron(rng.integers(0, 3, (4, 5)), np.ones((3, 3),
                                                                  int))
                gt = cls * 1000 + np.where((cls >= 1) & (cls < 3), ins, 0)
                noise = np.kron(rng.integers(0, 4, (4, 5)), np.ones((3, 3),
                                                                    int))
                pred = np.where(rng.random(gt.shape) < 0.8,
                                np.where(cls == 32, 0, gt), noise * 1000)
                dg = rng.integers(0, 300, gt.shape).astype(np.uint16)
                dp = np.clip(dg + rng.integers(-40, 40, gt.shape), 0,
                             None).astype(np.uint16)
                frames.append((gt, pred, dg, dp))
            seqs.append(frames)
        ref = dvpq_reference(seqs, (1, 2, 3), (0.5, 0.25, 0.1), 3, (1, 2))
        a = DVPQAccumulator(3, (1, 2), (1, 2, 3), (0.5, 0.25, 0.1))
        for s in seqs:
            a.add_video(s)
        ours = a.compute()
        for k, v in ref.items():
            if math.isnan(v):
                assert math.isnan(ours[k])
            else:
                compared += 1
                assert ours[k] == pytest.approx(v, abs=1e-9)
    assert compared > 40
