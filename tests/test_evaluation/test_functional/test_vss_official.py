# Copyright (c) OpenMMLab. All rights reserved.
"""VSS mIoU against VSPW's official definition on adversarial cases.

The oracle, :func:`vspw_miou_reference`, follows VSPW_code ``utils.py``
(``Mean_Intersection_over_Union``, lines 74-80): the mean IoU over the
classes with ground-truth pixels.
"""
import math

import numpy as np
import pytest

from mmvidseg.evaluation.functional import vss_summarize, vss_video_stats
from mmvidseg.testing.reference_evaluators import (vspw_miou_reference,
                                                   vspw_vc_reference)

C = 5
ONLY_PRED, ONLY_GT = 4, 3


def adversarial_videos(rng, num_videos=3, shape=(4, 5)):
    """Videos where class 4 is only predicted, class 3 only in the ground
    truth, one frame is void everywhere (with junk predicted there) and
    void (255, 253) is sprinkled elsewhere."""
    videos = []
    for v in range(num_videos):
        frames = []
        for t in range(int(rng.integers(3, 11))):
            gt = rng.integers(0, ONLY_PRED, shape)  # classes 0..3
            pred = rng.choice([0, 1, 2, ONLY_PRED], shape)
            pred = np.where(rng.random(shape) < 0.6, np.minimum(gt, 2), pred)
            gt = np.where(rng.random(shape) < 0.15, rng.choice([253, 255]),
                          gt)
            pred = np.where(gt >= C, rng.integers(0, 256, shape), pred)
            if v == 0 and t == 1:  # void everywhere
                gt = np.full(shape, 255)
                pred = rng.integers(0, 256, shape)
            frames.append((gt, pred))
        videos.append(frames)
    return videos


def ours(videos, windows=(2, 3)):
    stats = [vss_video_stats(f, C, windows) for f in videos]
    return vss_summarize(stats, C, windows), stats


@pytest.mark.parametrize('seed', range(6))
def test_random_adversarial_cases_equal_the_official_formula(seed):
    rng = np.random.default_rng(seed)
    videos = adversarial_videos(rng)
    got, stats = ours(videos)
    ref = vspw_miou_reference(videos, C)
    # the case is what it claims to be
    assert got['confusion'][ONLY_PRED].sum() == 0
    assert got['confusion'][:, ONLY_PRED].sum() > 0
    assert got['confusion'][:, ONLY_GT].sum() == 0
    assert got['confusion'][ONLY_GT].sum() > 0
    assert got['mIoU'] == pytest.approx(ref['mIoU'], abs=1e-15)
    assert got['aAcc'] == pytest.approx(ref['aAcc'], abs=1e-15)
    np.testing.assert_allclose(got['IoU'], ref['IoU'], rtol=0, atol=1e-15)
    assert math.isnan(got['IoU'][ONLY_PRED])
    assert got['IoU'][ONLY_GT] == 0.0  # counted, never right
    # mVC is unchanged by the mIoU fix: still the official get_common
    for s, frames in zip(stats, videos):
        for n in (2, 3):
            ref_vc = vspw_vc_reference(*zip(*frames), n)
            np.testing.assert_allclose(s.vc[n], ref_vc, rtol=0, atol=1e-15)


def test_the_only_predicted_class_no_longer_drags_the_mean():
    gt = np.array([[0, 0, 1, 1]])
    pred = np.array([[0, 2, 1, 1]])
    got, _ = ours([[(gt, pred)]])
    # class 0: 1 / 2, class 1: 2 / 2; class 2 (only predicted) is out
    assert got['mIoU'] == pytest.approx(0.75)
    assert vspw_miou_reference([[(gt, pred)]], C)['mIoU'] == \
        pytest.approx(0.75)


def test_empty_and_nearly_empty():
    void = np.full((2, 3), 255)
    got, _ = ours([[(void, np.zeros((2, 3), int))]])
    assert math.isnan(got['mIoU']) and math.isnan(got['aAcc'])
    assert math.isnan(vspw_miou_reference([[(void, void)]], C)['mIoU'])
    assert np.isnan(got['IoU']).all()
    # one counted pixel, predicted as another class
    gt = void.copy()
    gt[0, 0] = 2
    pred = np.full((2, 3), 77)  # junk on void is neither checked nor counted
    pred[0, 0] = 1
    got, _ = ours([[(gt, pred)]])
    ref = vspw_miou_reference([[(gt, pred)]], C)
    assert got['mIoU'] == ref['mIoU'] == 0.0
    assert math.isnan(got['IoU'][1])  # predicted only
