# Copyright (c) OpenMMLab. All rights reserved.
"""DAVIS J&F: hand-computed cases pinning davis2017-evaluation."""
import numpy as np
import pytest

from mmvidseg.evaluation.functional.davis import (DAVISAccumulator,
                                                  DAVISVideo,
                                                  boundary_radius,
                                                  db_statistics, f_measure,
                                                  seg2bmap)


def square(shape, y0, y1, x0, x1, value=1):
    m = np.zeros(shape, np.uint8)
    m[y0:y1, x0:x1] = value
    return m


def test_first_and_last_frames_are_not_scored():
    gt = square((8, 8), 2, 6, 2, 6)
    wrong = np.zeros((8, 8), np.uint8)
    acc = DAVISAccumulator()
    acc.add_video([(gt, wrong), (gt, gt), (gt, wrong)], name='s')
    res = acc.compute()
    assert res['J&F'] == 1.0 and res['J-Mean'] == 1.0
    assert res['F-Mean'] == 1.0 and res['J-Recall'] == 1.0


def test_empty_gt_and_empty_prediction_score_one():
    gt0 = square((8, 8), 2, 6, 2, 6)
    empty = np.zeros((8, 8), np.uint8)
    acc = DAVISAccumulator()
    # the object leaves the scene in the scored frame, and so does the
    # prediction: J = F = 1
    acc.add_video([(gt0, gt0), (empty, empty), (gt0, gt0)])
    assert acc.compute()['J&F'] == 1.0
    # an empty prediction for a visible object: J = 0, F = 0
    acc = DAVISAccumulator()
    acc.add_video([(gt0, gt0), (gt0, empty), (gt0, gt0)])
    res = acc.compute()
    assert res['J-Mean'] == 0.0 and res['F-Mean'] == 0.0


def test_hand_computed_j_and_f():
    # 10x10 frame: tolerance ceil(0.008 * sqrt(200)) = 1 pixel
    assert boundary_radius(10, 10) == 1.0
    gt = np.zeros((10, 10), np.uint8)
    gt[4, 4] = 1
    pred = np.zeros((10, 10), np.uint8)
    pred[4, 6] = 1
    # one pixel has the 4 boundary pixels (3..4, 3..4) (offset to the
    # origin); 2 of them lie within 1 px of the other pixel's boundary
    assert np.argwhere(seg2bmap(gt)).tolist() == [[3, 3], [3, 4], [4, 3],
                                                  [4, 4]]
    assert f_measure(pred.astype(bool), gt.astype(bool), 1.0) == 0.5
    acc = DAVISAccumulator()
    acc.add_video([(gt, gt), (gt, pred), (gt, gt)])
    res = acc.compute()
    assert res == {
        'J&F': 0.25, 'J-Mean': 0.0, 'J-Recall': 0.0, 'J-Decay': 0.0,
        'F-Mean': 0.5, 'F-Recall': 0.0, 'F-Decay': 0.0
    }


def test_half_overlap_recall_and_decay():
    gt = square((8, 8), 2, 6, 2, 6)
    half = square((8, 8), 2, 6, 2, 4)
    # 6 frames, scored 1..4 with J = 1, 1, 0.5, 0.5
    frames = [(gt, gt)] * 3 + [(gt, half)] * 3
    video = DAVISVideo('s')
    for g, p in frames:
        video.add_frame(g, p)
    s = video.finish()
    # bins from round(linspace(1, 4, 5) + 1e-10) - 1 = [0, 1, 1, 2, 3]:
    # first bin v[0:2] = [1, 1], last bin v[2:4] = [0.5, 0.5]
    assert s.j[0].tolist() == [0.75, 0.5, 0.5]
    assert db_statistics(np.array([1, 1, .5, .5])) == (0.75, 0.5, 0.5)


def test_object_count_from_first_frame_and_bad_input():
    first = square((8, 8), 0, 2, 0, 2, 1)
    later = first.copy()
    later[5:7, 5:7] = 2  # object 2 is not in the first frame: background
    acc = DAVISAccumulator()
    acc.add_video([(first, first), (later, first), (first, first)])
    assert acc.compute()['J-Mean'] == 1.0
    video = DAVISVideo('s')
    video.add_frame(first, first)
    with pytest.raises(ValueError, match='object id 2 is higher than the '
                       'number of objects'):
        video.add_frame(first, later, where='s/00001.png')
    with pytest.raises(ValueError, match='at least 3'):
        short = DAVISVideo('short')
        short.add_frame(first, first)
        short.add_frame(first, first)
        short.finish()
    with pytest.raises(ValueError, match='palette or index'):
        DAVISVideo('rgb').add_frame(first, np.zeros((8, 8, 3), np.uint8))
    # 255 in the ground truth is void, i.e. background
    void = first.copy()
    void[7, 7] = 255
    acc = DAVISAccumulator()
    acc.add_video([(void, first), (void, first), (void, first)])
    assert acc.compute()['J-Mean'] == 1.0


def test_missing_object_in_prediction_scores_empty():
    two = square((8, 8), 0, 2, 0, 2, 1)
    two[5:7, 5:7] = 2
    one = square((8, 8), 0, 2, 0, 2, 1)
    acc = DAVISAccumulator()
    acc.add_video([(two, two), (two, one), (two, two)])
    res = acc.compute()
    assert res['J-Mean'] == 0.5  # object 1: J = 1, object 2: J = 0


def test_matches_official_style_reference(benchmark_metrics):
    rng = np.random.default_rng(0)
    for _ in range(5):
        seqs = []
        for _ in range(3):
            T = int(rng.integers(3, 7))
            H, W = int(rng.integers(20, 50)), int(rng.integers(20, 50))
            n = int(rng.integers(1, 4))
            gt = np.zeros((T, H, W), np.uint8)
            pred = np.zeros((T, H, W), np.uint8)
            for t in range(T):
                for k in range(1, n + 1):
                    for arr in (gt, pred):
                        y, x = rng.integers(0, H - 3), rng.integers(0, W - 3)
                        h, w = rng.integers(2, H // 2), rng.integers(2, W // 2)
                        arr[t, y:y + h, x:x + w] = k
            gt[0, 0, 0] = n
            pred[1:-1, 0, 0] = n
            seqs.append((gt, pred))
        ref = benchmark_metrics.davis_reference(seqs)
        acc = DAVISAccumulator()
        for gt, pred in seqs:
            acc.add_video(zip(gt, pred))
        ours = acc.compute()
        for k, v in ref.items():
            assert ours[k] == pytest.approx(v, abs=1e-12)
