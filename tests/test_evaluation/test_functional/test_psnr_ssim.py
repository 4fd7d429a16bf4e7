# Copyright (c) OpenMMLab. All rights reserved.
"""PSNR / SSIM as Deep Voxel Flow's ``eval_voxelflow.m`` computes them."""
import math

import numpy as np
import pytest

from mmvidseg.evaluation.functional import psnr, ssim
from mmvidseg.evaluation.functional.psnr_ssim import (prepare_mask, rgb2gray,
                                                      rgb2y, to_uint8)


def _images(seed=0, h=20, w=24):
    rng = np.random.default_rng(seed)
    gt = rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)
    noise = rng.integers(-20, 21, size=(h, w, 3))
    pred = np.clip(gt.astype(int) + noise, 0, 255).astype(np.uint8)
    return pred, gt


def test_matlab_conversions():
    # MATLAB: rgb2gray(uint8([255 0 0])) = 76, green 150, blue 29
    px = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]]],
                  np.uint8)
    assert rgb2gray(px).tolist() == [[76, 150, 29, 255]]
    # rgb2ycbcr luma: 16 (black) .. 235 (white)
    assert rgb2y(np.zeros((1, 1, 3), np.uint8))[0, 0] == 16
    assert rgb2y(np.full((1, 1, 3), 255, np.uint8))[0, 0] == 235
    # uint8() rounds halves away from zero and saturates
    assert to_uint8(np.array([2.5, 3.5, -4.0, 300.0])).tolist() == [
        3, 4, 0, 255
    ]


def test_psnr_values():
    gt = np.full((8, 10, 3), 100, np.uint8)
    pred = gt + 10
    assert psnr(pred, gt) == pytest.approx(20 * math.log10(255) - 20)
    assert psnr(gt, gt) == float('inf')
    # floats on the 0-255 scale are rounded like a saved PNG
    assert psnr(gt.astype(np.float32) + 0.4, gt) == float('inf')
    # luma only: a pure-blue error moves Y by 24.966 / 255 per level
    blue = gt.copy()
    blue[..., 2] += 51
    y_err = 51 * 24.966 / 255
    assert psnr(blue, gt, channel='y') == pytest.approx(
        20 * math.log10(255) - 20 * math.log10(round(y_err)))


def test_psnr_inside_mask():
    pred, gt = _images()
    mask = np.zeros(gt.shape[:2], bool)
    mask[5:15, 3:20] = True
    # errors outside the mask do not count
    pred2 = pred.copy()
    pred2[~mask] = 255 - gt[~mask]
    assert psnr(pred2, gt, mask) == pytest.approx(psnr(pred, gt, mask))
    # the official mse: sum over the mask / (3 * mask area)
    diff = (pred.astype(float) - gt)[mask]
    mse = np.sum(diff**2) / (3 * mask.sum())
    assert psnr(pred, gt, mask) == pytest.approx(
        20 * math.log10(255) - 10 * math.log10(mse))
    # a 0/255 uint8 motion_mask.png means the same as the boolean mask
    assert psnr(pred, gt, mask.astype(np.uint8) * 255) == pytest.approx(
        psnr(pred, gt, mask))
    assert math.isnan(psnr(pred, gt, np.zeros_like(mask)))


def _ssim_brute_force(a, b):
    """SSIM with an explicit 11x11 Gaussian window over replicate-padded
    images, averaged over every pixel (MATLAB ssim's defaults)."""
    sigma, r = 1.5, 5
    x = np.arange(-r, r + 1)
    g = np.exp(-x**2 / (2 * sigma**2))
    win = np.outer(g, g)
    win /= win.sum()
    a = np.pad(a.astype(float), r, mode='edge')
    b = np.pad(b.astype(float), r, mode='edge')
    c1, c2 = (0.01 * 255)**2, (0.03 * 255)**2
    h, w = a.shape[0] - 2 * r, a.shape[1] - 2 * r
    vals = []
    for i in range(h):
        for j in range(w):
            pa = a[i:i + 2 * r + 1, j:j + 2 * r + 1]
            pb = b[i:i + 2 * r + 1, j:j + 2 * r + 1]
            ma, mb = (win * pa).sum(), (win * pb).sum()
            va = (win * pa * pa).sum() - ma**2
            vb = (win * pb * pb).sum() - mb**2
            cov = (win * pa * pb).sum() - ma * mb
            vals.append((2 * ma * mb + c1) * (2 * cov + c2) /
                        ((ma**2 + mb**2 + c1) * (va + vb + c2)))
    return float(np.mean(vals))


def test_ssim_matches_definition():
    pred, gt = _images(1, 14, 17)
    assert ssim(pred, gt) == pytest.approx(
        _ssim_brute_force(rgb2gray(pred), rgb2gray(gt)), abs=1e-10)
    assert ssim(gt, gt) == pytest.approx(1.0)
    per_channel = np.mean(
        [_ssim_brute_force(pred[..., k], gt[..., k]) for k in range(3)])
    assert ssim(pred, gt, channel='rgb') == pytest.approx(per_channel)


def test_ssim_of_masked_images():
    pred, gt = _images(2, 16, 16)
    mask = np.zeros((16, 16), np.uint8)
    mask[4:12, 2:9] = 255
    m = mask[..., None] / 255.0
    expect = _ssim_brute_force(
        rgb2gray(to_uint8(m * pred)), rgb2gray(to_uint8(m * gt)))
    assert ssim(pred, gt, mask) == pytest.approx(expect, abs=1e-10)
    assert math.isnan(ssim(pred, gt, np.zeros((16, 16), bool)))


def test_input_errors():
    pred, gt = _images()
    with pytest.raises(ValueError, match='differ in shape'):
        psnr(pred, gt[:-1])
    with pytest.raises(ValueError, match=r'\(H, W, 3\)'):
        ssim(pred[..., 0], gt[..., 0])
    with pytest.raises(ValueError, match='mask must be'):
        psnr(pred, gt, np.ones((3, 3), bool))
    with pytest.raises(ValueError, match=r'\[0, 1\]'):
        prepare_mask(np.full(gt.shape[:2], 2.0), gt.shape[:2])
    with pytest.raises(ValueError, match='channel'):
        psnr(pred, gt, channel='lab')
