# Copyright (c) OpenMMLab. All rights reserved.
import numpy as np
import pytest

from mmvidseg.evaluation.functional import (VSSAccumulator, confusion_matrix,
                                            vss_summarize, vss_video_stats)


def _official_style_vc(gts, preds, n):
    """VC_n as VSPW's VC_perclip.py defines it, written as plain loops."""
    out = []
    for i in range(len(gts) - n):
        g = np.ones(gts[0].shape, bool)
        p = np.ones(gts[0].shape, bool)
        for j in range(1, n):
            g &= gts[i] == gts[i + j]
            p &= preds[i] == preds[i + j]
        out.append((p & g).sum() / g.sum() if g.sum() else np.nan)
    return out


def _official_style_miou(gts, preds, c):
    from mmvidseg.testing.reference_evaluators import vspw_miou_reference
    return vspw_miou_reference([list(zip(gts, preds))], c)['mIoU']


def _random_video(rng, t, shape=(6, 7), c=4, p_change=0.15):
    first = rng.integers(0, c, shape)
    frames = [first]
    for _ in range(t - 1):
        change = rng.random(shape) < p_change
        frames.append(np.where(change, rng.integers(0, c, shape), frames[-1]))
    return frames


@pytest.mark.parametrize('t', [3, 8, 9, 17, 25])
def test_vc_and_miou_match_the_official_formulas(t):
    rng = np.random.default_rng()  # fresh inputs every run
    gts, preds = _random_video(rng, t), _random_video(rng, t)
    gts[1][0, 0] = 255  # a void pixel: ignored by mIoU, kept by VC
    stats = vss_video_stats(zip(gts, preds), 4, windows=(2, 8, 16))
    for n in (2, 8, 16):
        ref = _official_style_vc(gts, preds, n)
        np.testing.assert_allclose(stats.vc[n], ref, rtol=0, atol=1e-12)
    scores = vss_summarize([stats], 4, windows=(2, 8, 16))
    assert scores['mIoU'] == pytest.approx(
        _official_style_miou(gts, preds, 4), abs=1e-12)


def test_hand_computed_case():
    # 2 classes, 3 frames of 1x2 pixels
    gts = [np.array([[0, 1]])] * 3
    preds = [np.array([[0, 0]]), np.array([[0, 1]]), np.array([[0, 1]])]
    acc = VSSAccumulator(num_classes=2, windows=(2, ))
    acc.add_video(zip(gts, preds), name='v')
    out = acc.compute()
    # class 0: TP 3, FP 1 -> 3/4; class 1: TP 2, FN 1 -> 2/3
    assert out['mIoU'] == pytest.approx((3 / 4 + 2 / 3) / 2)
    # windows of 2 frames start at 0 .. T-2-1 = 0: only (f0, f1);
    # pixel 1 changes its prediction -> VC = 1/2
    assert out['mVC2'] == pytest.approx(0.5)


def test_short_videos_give_no_window_and_nan_mvc():
    gts = [np.zeros((2, 2), int)] * 8
    stats = vss_video_stats(zip(gts, gts), 2, windows=(8, ))
    assert stats.vc[8] == []  # T <= n: skipped, as officially
    assert np.isnan(vss_summarize([stats], 2, windows=(8, ))['mVC8'])


def test_class_only_predicted_is_not_averaged():
    gts = [np.array([[0, 0]])]
    preds = [np.array([[0, 1]])]
    out = vss_summarize([vss_video_stats(zip(gts, preds), 3, (2, ))], 3,
                        (2, ))
    # class 0: 1/2 (the pixel predicted as 1 is its FN); class 1 has no
    # ground truth (only predicted) and class 2 never occurs: both NaN and
    # left out of the mean, as VSPW's Mean_Intersection_over_Union does
    assert out['mIoU'] == pytest.approx(0.5)
    assert np.isnan(out['IoU'][1]) and np.isnan(out['IoU'][2])


def test_bad_input_names_the_frame():
    with pytest.raises(ValueError, match='vid frame 0: predicted class 7'):
        vss_video_stats([(np.zeros((2, 2), int), np.full((2, 2), 7))], 3,
                        name='vid')
    with pytest.raises(ValueError, match='vid frame 1: prediction shape'):
        vss_video_stats([(np.zeros((2, 2), int), np.zeros((2, 2), int)),
                         (np.zeros((2, 2), int), np.zeros((3, 2), int))],
                        3, name='vid')
    with pytest.raises(ValueError, match="video 'empty' has no frames"):
        vss_video_stats([], 3, name='empty')
    with pytest.raises(ValueError, match='prediction shape'):
        confusion_matrix(np.zeros((2, 2)), np.zeros((2, 3)), 2)


def test_prediction_on_void_pixels_is_not_checked():
    gts = [np.array([[255, 0]])]
    preds = [np.array([[99, 0]])]  # 99 is out of range but on void GT
    out = vss_summarize([vss_video_stats(zip(gts, preds), 2, (2, ))], 2,
                        (2, ))
    assert out['mIoU'] == 1.0
