# Copyright (c) OpenMMLab. All rights reserved.
"""STQ: hand-computed cases pinning deeplab2's numpy evaluator."""
import math

import numpy as np
import pytest

from mmvidseg.evaluation.functional.stq import (STQAccumulator, STQVideo,
                                                stq_summarize)
from mmvidseg.testing import STQReference

SHIFT = 16


def pan(sem, inst):
    return (np.asarray(sem, np.int64) << SHIFT) + np.asarray(inst, np.int64)


def stq(frames_per_seq, num_classes=2, things=(0, ), **kw):
    acc = STQAccumulator(num_classes, things, 255, SHIFT, 2**24, **kw)
    for i, frames in enumerate(frames_per_seq):
        acc.add_video(frames, name=str(i))
    return acc.compute()


@pytest.mark.parametrize('pred, aq', [
    ([[1, 1, 1, 1, 1]], 1.0),
    ([[1, 1, 2, 2, 2]], (2 * 2 / 5 + 3 * 3 / 5) / 5),  # 0.52
    ([[1, 2, 2, 2, 2]], (1 / 5 + 4 * 4 / 5) / 5),  # 0.68
    ([[1, 2, 3, 4, 5]], 5 * (1 / 5) / 5),  # 0.2
])
def test_association_quality_single_track(pred, aq):
    # class 0 is a thing: the panoptic id is the track id
    res = stq([[(np.array([[1, 1, 1, 1, 1]]), np.array(pred))]])
    assert res['AQ'] == pytest.approx(aq, abs=1e-6)
    assert res['SQ'] == 1.0
    assert res['STQ'] == pytest.approx(math.sqrt(aq), abs=1e-6)


def test_crowd_is_excluded_on_both_sides():
    # first pixel is crowd (thing, instance 0): ignored for AQ everywhere
    gt = np.array([[0, 1, 1, 1, 1, 1]])
    res = stq([[(gt, np.array([[2, 2, 2, 2, 1, 1]]))]])
    # gt 1 (5 px): pred 2 overlaps 3 of its 4 non-crowd px, pred 1 two
    assert res['AQ'] == pytest.approx((3 * 3 / 5 + 2 * 2 / 5) / 5, abs=1e-6)
    # a stuff prediction on the crowd pixel: class IoU drops, AQ does not
    pred = pan([[0, 0, 1, 0, 0, 0]], [[2, 2, 0, 1, 1, 1]])
    res = stq([[(gt, pred)]])
    assert res['AQ'] == pytest.approx((1 * 1 / 5 + 3 * 3 / 5) / 5, abs=1e-6)
    # thing: 5/6, stuff class 1: union 1, intersection 0
    assert res['SQ'] == pytest.approx((5 / 6 + 0) / 2, abs=1e-12)


def test_prediction_on_void_counts_in_its_size_not_in_iou():
    gt = pan([[0, 0, 255, 255]], [[1, 1, 0, 0]])
    pred = pan([[0, 0, 0, 0]], [[1, 1, 1, 1]])
    res = stq([[(gt, pred)]])
    # AQ = 1/2 * 2 * 2 / (2 + 2 + 0): the 2 void pixels are in |pred|
    assert res['AQ'] == pytest.approx(0.5, abs=1e-6)
    # ground-truth void rows are dropped: IoU of class 0 is 2 / 2
    assert res['SQ'] == 1.0


def test_predicting_the_ignore_label_adds_a_zero_class():
    # stuff class 1 everywhere; half of it predicted as void (255)
    gt = pan([[1, 1, 1, 1]], [[0, 0, 0, 0]])
    pred = pan([[1, 1, 255, 255]], [[0, 0, 0, 0]])
    res = stq([[(gt, pred)]])
    # class 1 IoU 2/4; the void column has union 2 -> one more class, IoU 0
    assert res['SQ'] == pytest.approx(0.25, abs=1e-12)
    assert res['AQ'] == 0.0  # no thing tubes at all


def test_float32_area_accumulation():
    # one gt tube of 2**24 + 1 pixels over two frames: 2**24 matched by
    # track A in frame 0, 1 pixel by track B in frame 1
    tube, a, b = pan(0, 1), pan(0, 2), pan(0, 3)
    results = {}
    for f32 in (True, False):
        video = STQVideo(2, [0], 255, SHIFT, float32_areas=f32)
        video.add_table([tube], [a], [2**24])
        video.add_table([tube], [b], [1])
        results[f32] = stq_summarize([video.finish()], 2, 255)['AQ']
    # float32: 2**24 + 1 rounds to 2**24 and AQ becomes exactly 1
    assert results[True] == 1.0
    n = 2**24
    exact = (n * n / (n + 1) + 1 / (n + 1)) / (n + 1)
    assert results[False] == pytest.approx(exact, rel=1e-15)
    assert results[False] < 1.0


def test_sequences_are_independent_and_mergeable():
    rng = np.random.default_rng(0)
    seqs = []
    for _ in range(4):
        frames = []
        for _ in range(3):
            sem = rng.integers(0, 3, (5, 6))
            frames.append((pan(sem, rng.integers(0, 3, (5, 6))),
                           pan(rng.integers(0, 3, (5, 6)),
                               rng.integers(0, 3, (5, 6)))))
        seqs.append(frames)
    full = stq(seqs, num_classes=3, things=(1, 2))
    # two "ranks", each with half of the sequences, merged in order
    stats = []
    for part in (seqs[0::2], seqs[1::2]):
        for frames in part:
            video = STQVideo(3, (1, 2), 255, SHIFT)
            for yt, yp in frames:
                video.add_frame(yt, yp)
            stats.append(video.finish())
    order = [0, 2, 1, 3]
    merged = stq_summarize([stats[order.index(i)] for i in range(4)], 3)
    for k in ('STQ', 'AQ', 'SQ'):
        assert merged[k] == full[k]
    # a track id reused in another sequence is another tube
    same = stq([[seqs[0][0]], [seqs[0][0]]], num_classes=3, things=(1, 2))
    single = stq([[seqs[0][0]]], num_classes=3, things=(1, 2))
    assert same['AQ'] == pytest.approx(single['AQ'], abs=1e-7)


def test_bad_input_errors():
    with pytest.raises(ValueError, match='predicted class 7 is beyond'):
        stq([[(pan([[0]], [[1]]), pan([[7]], [[1]]))]])
    with pytest.raises(ValueError, match='ground-truth class 9'):
        stq([[(pan([[9]], [[1]]), pan([[0]], [[1]]))]])
    with pytest.raises(ValueError, match='shape'):
        stq([[(pan([[0]], [[1]]), pan([[0, 0]], [[1, 1]]))]])
    with pytest.raises(ValueError, match='no frames'):
        STQVideo(2, [0], name='empty').finish()
    with pytest.raises(ValueError, match='offset'):
        STQAccumulator(300, [0], 255, 16, offset=2**24)


def test_matches_official_style_reference():
    rng = np.random.default_rng(2)
    for _ in range(10):
        nc, things = 5, [3, 4]
        ref = STQReference(nc, things, 255, SHIFT, 2**24)
        acc = STQAccumulator(nc, things, 255, SHIFT, 2**24)
        for s in range(3):
            frames = []
            for _ in range(int(rng.integers(1, 5))):
                pair = []
                for _ in range(2):
                    sem = np.kron(rng.integers(0, nc, (4, 6)),
                                  np.ones((3, 3), int))
                    sem = np.where(rng.random(sem.shape) < 0.05, 255, sem)
                    ins = np.kron(rng.integers(0, 3, (4, 6)),
                                  np.ones((3, 3), int))
                    pair.append(pan(sem, ins))
                ref.update_state(pair[0], pair[1], s)
                frames.append(tuple(pair))
            acc.add_video(frames, name=str(s))
        expected, ours = ref.result(), acc.compute()
        for k in ('STQ', 'AQ', 'SQ'):
            assert ours[k] == expected[k]
