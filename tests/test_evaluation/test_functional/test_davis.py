# Copyright (c) OpenMMLab. All rights reserved.
"""DAVIS J&F: hand-computed cases pinning davis2017-evaluation."""
import numpy as np
import pytest

from mmvidseg.evaluation.functional.davis import (DAVISAccumulator, DAVISVideo,
                                                  boundary_radius,
                                                  db_statistics, f_measure,
                                                  seg2bmap)
from mmvidseg.testing import davis_reference


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


def test_matches_official_style_reference():
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
        ref = davis_reference(seqs)
        acc = DAVISAccumulator()
        for gt, pred in seqs:
            acc.add_video(zip(gt, pred))
        ours = acc.compute()
        for k, v in ref.items():
            assert ours[k] == pytest.approx(v, abs=1e-12)


# ----------------------------------------------------------------------
# The exact sparse disk matching against the official dilation: skimage's
# ``disk(r)`` (x^2 + y^2 <= r^2 on ``arange(-r, r + 1)``) and
# ``cv2.dilate`` of the one-pixel boundary maps, on many random masks.
def official_f(fg, gt, bound_pix):
    """davis2017-evaluation's ``f_measure`` (no void), with ``bound_pix``
    the dilation radius (``bound_th`` if >= 1, else the ceil rule)."""
    import cv2

    from mmvidseg.evaluation.functional.davis import disk
    fg_b, gt_b = seg2bmap(fg), seg2bmap(gt)
    kernel = disk(bound_pix).astype(np.uint8)
    fg_dil = cv2.dilate(fg_b.astype(np.uint8), kernel)
    gt_dil = cv2.dilate(gt_b.astype(np.uint8), kernel)
    n_fg, n_gt = np.sum(fg_b), np.sum(gt_b)
    if n_fg == 0 and n_gt > 0:
        precision, recall = 1, 0
    elif n_fg > 0 and n_gt == 0:
        precision, recall = 0, 1
    elif n_fg == 0 and n_gt == 0:
        precision, recall = 1, 1
    else:
        precision = np.sum(fg_b * gt_dil) / float(n_fg)
        recall = np.sum(gt_b * fg_dil) / float(n_gt)
    if precision + recall == 0:
        return 0
    return 2 * precision * recall / (precision + recall)


def random_mask(rng, H, W):
    """Blobs, noise, lines, single pixels, border-touching shapes."""
    kind = rng.integers(0, 6)
    m = np.zeros((H, W), bool)
    if kind == 0:
        m = rng.random((H, W)) < rng.uniform(0, 1)
    elif kind == 1:
        yy, xx = np.mgrid[:H, :W]
        for _ in range(int(rng.integers(1, 4))):
            cy, cx = rng.uniform(-2, H + 2), rng.uniform(-2, W + 2)
            ry, rx = rng.uniform(0.5, H), rng.uniform(0.5, W)
            m |= ((yy - cy) / ry)**2 + ((xx - cx) / rx)**2 < 1
    elif kind == 2:
        m[int(rng.integers(0, H)), :] = True
        m[:, int(rng.integers(0, W))] = True
    elif kind == 3:
        m[int(rng.integers(0, H)), int(rng.integers(0, W))] = True
    elif kind == 4:
        y0, x0 = rng.integers(0, H), rng.integers(0, W)
        m[y0:, x0:] = True
    return m


@pytest.mark.parametrize('bound', [0.008, 1, 2, 3, 1.5, 2.3, 4.7, 7])
def test_f_measure_equals_official_dilation(bound):
    rng = np.random.default_rng(int(bound * 1000))
    for _ in range(150):
        H, W = (int(v) for v in rng.integers(1, 60, 2))
        if rng.random() < 0.3:
            H, W = (int(v) for v in rng.integers(200, 400, 2))
        fg, gt = random_mask(rng, H, W), random_mask(rng, H, W)
        if rng.random() < 0.3:
            fg = np.roll(gt, int(rng.integers(-6, 7)),
                         axis=int(rng.integers(0, 2)))
        r = boundary_radius(H, W, bound)
        assert f_measure(fg, gt, r) == official_f(fg, gt, r), (H, W, r)


def test_disk_offsets_is_the_dilation_footprint():
    import cv2

    from mmvidseg.evaluation.functional.davis import disk, disk_offsets
    for r in (1, 2, 3, 8, 12, 1.5, 2.3, 2.5, 4.7):
        kernel = disk(r)
        size = 2 * kernel.shape[0] + 1
        src = np.zeros((size, size), np.uint8)
        c = size // 2
        src[c, c] = 1
        # the output pixels reached from one source pixel are the mirrored
        # footprint: p such that the source is at p + o
        dil = cv2.dilate(src, kernel) > 0
        runs = disk_offsets(kernel)
        want = np.zeros_like(dil)
        for dy, dx0, dx1 in runs.tolist():
            want[c - dy, c - dx1:c - dx0 + 1] = True
        assert (dil == want).all(), r
        if float(r).is_integer():
            # integer radius: exactly dx^2 + dy^2 <= r^2
            dy, dx = np.nonzero(want)
            d2 = (dy - c)**2 + (dx - c)**2
            assert d2.max() <= r * r
            assert want.sum() == np.count_nonzero(
                (np.arange(-r, r + 1)[:, None]**2 +
                 np.arange(-r, r + 1)[None]**2) <= r * r)


def test_boundary_f_all_objects_at_once_equals_one_by_one():
    from mmvidseg.evaluation.functional.davis import (boundary_f, disk,
                                                      disk_offsets)
    rng = np.random.default_rng(3)
    for _ in range(60):
        H, W = (int(v) for v in rng.integers(2, 80, 2))
        n = int(rng.integers(1, 12))
        gt = np.zeros((H, W), np.uint8)
        pred = np.zeros((H, W), np.uint8)
        for k in range(1, n + 1):
            gt[random_mask(rng, H, W)] = k  # later objects occlude
            pred[random_mask(rng, H, W)] = k
        gt[rng.random((H, W)) < 0.02] = 255  # void: background
        gt[rng.random((H, W)) < 0.02] = n + 3  # not an object
        r = boundary_radius(H, W)
        f = boundary_f(gt, pred, n, disk_offsets(disk(r)))
        for k in range(1, n + 1):
            assert f[k - 1] == official_f(pred == k, gt == k, r), (k, n)


def test_sequences_match_official_style_reference_many_objects():
    # up to 12 objects (the bincount path for J), touching objects,
    # objects leaving the scene
    rng = np.random.default_rng(11)
    seqs = []
    for _ in range(4):
        T = int(rng.integers(3, 8))
        H, W = int(rng.integers(30, 90)), int(rng.integers(30, 90))
        n = int(rng.integers(1, 13))
        gt = np.zeros((T, H, W), np.uint8)
        pred = np.zeros((T, H, W), np.uint8)
        for t in range(T):
            for k in range(1, n + 1):
                if t and rng.random() < 0.1:
                    continue
                gt[t][random_mask(rng, H, W)] = k
                pred[t][random_mask(rng, H, W)] = k
        gt[0, 0, 0] = n
        pred[1:-1, 0, 0] = n
        seqs.append((gt, pred))
    ref = davis_reference(seqs)
    acc = DAVISAccumulator()
    for gt, pred in seqs:
        acc.add_video(zip(gt, pred))
    ours = acc.compute()
    for k, v in ref.items():
        assert ours[k] == pytest.approx(v, abs=1e-12), k


def test_dtypes_and_bound_th_checks():
    gt = square((12, 12), 2, 8, 2, 8)
    pred = square((12, 12), 3, 9, 2, 8)
    ref = DAVISAccumulator()
    ref.add_video([(gt, pred)] * 3)
    for cast in (np.int32, np.int64, np.uint16, np.float32):
        acc = DAVISAccumulator()
        acc.add_video([(gt.astype(cast), pred.astype(cast))] * 3)
        assert acc.compute() == ref.compute(), cast
    with pytest.raises(ValueError, match='bound_th must be positive'):
        DAVISVideo('s', bound_th=0)
    with pytest.raises(ValueError, match='bound_th must be positive'):
        boundary_radius(10, 10, -1)
