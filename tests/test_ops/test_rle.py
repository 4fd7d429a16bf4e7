# Copyright (c) OpenMMLab. All rights reserved.
"""The ``rle`` kernel (areas + grouped intersections of compressed RLEs)
against dense masks decoded by pycocotools."""
import numpy as np
import pytest
from pycocotools import mask as mask_utils

from mmvidseg.ops import load_ext
from mmvidseg.ops.rle import (InvalidRLEError, area_and_intersections,
                              area_and_intersections_reference)

needs_kernel = pytest.mark.skipif(
    load_ext('rle') is None, reason='the rle kernel is not built')


def encode(mask, as_bytes=False):
    counts = mask_utils.encode(
        np.asfortranarray(mask[..., None].astype(np.uint8)))[0]['counts']
    return counts if as_bytes else counts.decode()


def random_masks(rng, n=200, groups=15):
    """Masks of random sizes; those of one group share a size. Densities
    from empty to full, blobs and noise (long and short runs)."""
    counts, hs, ws, key, gt, dense = [], [], [], [], [], []
    sizes = {g: tuple(rng.integers(1, 60, 2)) for g in range(groups)}
    for i in range(n):
        k = int(rng.integers(-1, groups))
        h, w = sizes[k] if k >= 0 else tuple(rng.integers(1, 60, 2))
        kind = rng.integers(4)
        if kind == 0:
            m = rng.random((h, w)) < rng.choice([0, 0.03, 0.3, 1.0])
        elif kind == 1:
            m = np.zeros((h, w), bool)
            y0, x0 = rng.integers(0, h), rng.integers(0, w)
            y1 = y0 + rng.integers(1, h + 1)
            m[y0:y1, x0:x0 + rng.integers(1, w + 1)] = 1
        elif kind == 2:
            m = np.ones((h, w), bool)
        else:
            m = np.zeros((h, w), bool)
        counts.append(encode(m, as_bytes=bool(i % 3 == 0)))
        hs.append(h)
        ws.append(w)
        key.append(k)
        gt.append(bool(rng.random() < 0.4))
        dense.append(m)
    return counts, hs, ws, key, gt, dense


@needs_kernel
@pytest.mark.parametrize('trial', range(3))
def test_kernel_equals_dense_masks(trial):
    rng = np.random.default_rng()  # fresh inputs each run
    counts, hs, ws, key, gt, dense = random_masks(rng)
    area, pg, pd, inter = area_and_intersections(counts, hs, ws, key, gt)
    np.testing.assert_array_equal(area, [m.sum() for m in dense])
    expected = [(g, d, int((dense[g] & dense[d]).sum()))
                for g in range(len(key)) for d in range(len(key))
                if key[g] >= 0 and key[g] == key[d] and gt[g] and not gt[d]]
    assert sorted(zip(pg.tolist(), pd.tolist(), inter.tolist())) == \
        sorted(expected)
    # pairs come grouped by ascending key
    assert np.all(np.diff(np.asarray(key)[pg]) >= 0)
    ref = area_and_intersections_reference(counts, hs, ws, key, gt)
    for a, b in zip((area, pg, pd, inter), ref):
        np.testing.assert_array_equal(a, b)


@needs_kernel
def test_long_runs_and_large_canvas():
    # counts beyond 2^16 and negative deltas between every other count
    h, w = 1000, 700
    a = np.zeros((h, w), bool)
    a[:, 10:500] = True
    a[3, 600] = True
    b = np.zeros((h, w), bool)
    b[500:, 300:] = True
    area, pg, pd, inter = area_and_intersections(
        [encode(a), encode(b)], [h, h], [w, w], [0, 0], [True, False])
    assert area.tolist() == [a.sum(), b.sum()]
    assert inter.tolist() == [(a & b).sum()]


@needs_kernel
def test_empty_input_and_no_pairs():
    area, pg, pd, inter = area_and_intersections([], [], [], [], [])
    assert area.shape == pg.shape == pd.shape == inter.shape == (0,)
    m = np.eye(4, dtype=bool)
    # one side only: areas, no pairs
    area, pg, _, _ = area_and_intersections([encode(m)] * 2, [4, 4], [4, 4],
                                            [3, 3], [True, True])
    assert area.tolist() == [4, 4] and pg.size == 0


@pytest.mark.parametrize('impl', ['kernel', 'reference'])
def test_malformed_strings_are_reported(impl):
    if impl == 'kernel' and load_ext('rle') is None:
        pytest.skip('the rle kernel is not built')
    fn = area_and_intersections if impl == 'kernel' else \
        area_and_intersections_reference
    good = encode(np.eye(5, dtype=bool))
    short = encode(np.eye(4, dtype=bool))  # 16 pixels, not 25
    for bad in (short, '\x7f', good[:-1] + 'o', 'o'):
        with pytest.raises(InvalidRLEError, match='mask 1 is not a valid '
                           'compressed RLE of size 5x5') as e:
            fn([good, bad], [5, 5], [5, 5], [0, 0], [True, False])
        assert e.value.index == 1


def test_paired_masks_of_different_sizes():
    m = encode(np.ones((2, 3), bool))
    with pytest.raises(ValueError, match=r'masks 0 and 1 are paired but '
                       r'have different sizes \(2x3 and 3x2\)'):
        area_and_intersections([m, m], [2, 3], [3, 2], [0, 0], [True, False])
