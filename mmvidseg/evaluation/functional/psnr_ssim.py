# Copyright (c) OpenMMLab. All rights reserved.
"""PSNR and SSIM of synthesised frames, as Deep Voxel Flow evaluates them.

The official evaluation is MATLAB (``eval_voxelflow.m`` in
liuziwei7/voxel-flow). Per test triplet it reads the predicted and target
frames (uint8 PNGs) and the motion mask (``motion_mask.png``, 0 / 255), and:

* **PSNR** over the **RGB** channels inside the mask:
  ``mse = sum((m * pred - m * gt)^2) / (3 * sum(m))`` with ``m = mask / 255``,
  ``psnr = 20 log10(255) - 10 log10(mse)``. (The script also computes the
  YCbCr luma, but does not use it: the scores are *not* on the Y channel.)
* **SSIM** of MATLAB ``ssim`` (Gaussian window sigma 1.5, 11 x 11,
  K = (0.01, 0.03), dynamic range 255, replicate-padded filtering, mean of
  the full SSIM map) between ``rgb2gray(uint8(m * pred))`` and
  ``rgb2gray(uint8(m * gt))``: the masked-out pixels are black in both
  images and still count in the mean.
* Triplets whose mask is empty, or whose PSNR is infinite, are left out of
  both means.

Without a mask (``mask=None``) every pixel counts (a mask of ones). Inputs
are (H, W, 3) arrays, uint8 or float on the 0-255 scale; floats are rounded
and saturated to uint8 first (``uint8()`` in MATLAB), as the official
pipeline saved predictions as PNG. ``channel`` selects other colour
conventions: ``'rgb'`` (PSNR default), ``'gray'`` (MATLAB ``rgb2gray``, SSIM
default) or ``'y'`` (``rgb2ycbcr`` luma, 16-235, common in other video
interpolation papers).
"""
import math
from typing import Optional, Tuple

import numpy as np
from scipy import ndimage

__all__ = ['psnr', 'ssim', 'to_uint8', 'rgb2gray', 'rgb2y', 'prepare_mask']

#: MATLAB rgb2gray weights (first row of inv of the NTSC YIQ matrix).
_GRAY = np.array([0.298936021293775, 0.587043074451121, 0.114020904255103])
#: MATLAB rgb2ycbcr luma for uint8: Y = 16 + (65.481 R + 128.553 G +
#: 24.966 B) / 255.
_Y = np.array([65.481, 128.553, 24.966]) / 255.0


def _round_half_up(x: np.ndarray) -> np.ndarray:
    """MATLAB rounds halves away from zero (numpy rounds them to even)."""
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def to_uint8(img: np.ndarray) -> np.ndarray:
    """Round and saturate to uint8, as MATLAB's ``uint8()`` does."""
    img = np.asarray(img)
    if img.dtype == np.uint8:
        return img
    if img.dtype == bool or not np.issubdtype(img.dtype, np.number):
        raise ValueError(f'expected a numeric image, got dtype {img.dtype}')
    return np.clip(_round_half_up(img.astype(np.float64)), 0,
                   255).astype(np.uint8)


def rgb2gray(img: np.ndarray) -> np.ndarray:
    """MATLAB ``rgb2gray`` of an (H, W, 3) uint8 image -> (H, W) uint8."""
    return to_uint8(img.astype(np.float64) @ _GRAY)


def rgb2y(img: np.ndarray) -> np.ndarray:
    """MATLAB ``rgb2ycbcr`` luma of an (H, W, 3) uint8 image, uint8."""
    return to_uint8(16.0 + img.astype(np.float64) @ _Y)


def _check_pair(pred: np.ndarray, gt: np.ndarray) -> Tuple[np.ndarray, ...]:
    pred, gt = np.asarray(pred), np.asarray(gt)
    if pred.ndim != 3 or pred.shape[2] != 3:
        raise ValueError(f'pred must be an (H, W, 3) image, got shape '
                         f'{pred.shape}')
    if pred.shape != gt.shape:
        raise ValueError(f'pred and gt differ in shape: {pred.shape} vs '
                         f'{gt.shape}')
    return to_uint8(pred), to_uint8(gt)


def prepare_mask(mask: Optional[np.ndarray],
                 shape: Tuple[int, int]) -> np.ndarray:
    """Mask weights in [0, 1] of shape (H, W), float64.

    Args:
        mask (np.ndarray, optional): (H, W) (or (H, W, 1)) mask: bool,
            uint8 0-255 (a ``motion_mask.png``, divided by 255 as the
            official script does) or float in [0, 1]. None: all ones.
        shape (tuple): (H, W) of the images.
    """
    if mask is None:
        return np.ones(shape, np.float64)
    mask = np.asarray(mask)
    if mask.ndim == 3 and mask.shape[2] == 1:
        mask = mask[..., 0]
    if mask.shape != tuple(shape):
        raise ValueError(f'the mask must be (H, W) = {tuple(shape)}, got '
                         f'{mask.shape}')
    if mask.dtype == bool:
        return mask.astype(np.float64)
    if mask.dtype == np.uint8:
        return mask.astype(np.float64) / 255.0
    mask = mask.astype(np.float64)
    if mask.min(initial=0.0) < 0 or mask.max(initial=0.0) > 1:
        raise ValueError('a float mask must lie in [0, 1], got values in '
                         f'[{mask.min()}, {mask.max()}]')
    return mask


def _channels(img: np.ndarray, channel: str) -> np.ndarray:
    """(H, W, K) float64 planes of the requested colour convention."""
    if channel == 'rgb':
        return img.astype(np.float64)
    if channel == 'gray':
        return rgb2gray(img)[..., None].astype(np.float64)
    if channel == 'y':
        return rgb2y(img)[..., None].astype(np.float64)
    raise ValueError(f"channel must be 'rgb', 'gray' or 'y', got {channel!r}")


def psnr(pred: np.ndarray,
         gt: np.ndarray,
         mask: Optional[np.ndarray] = None,
         channel: str = 'rgb') -> float:
    """PSNR (dB) of a synthesised frame, inside a mask.

    Args:
        pred (np.ndarray): (H, W, 3) RGB prediction, uint8 or 0-255 float.
        gt (np.ndarray): (H, W, 3) RGB target.
        mask (np.ndarray, optional): (H, W) motion mask (see
            :func:`prepare_mask`). Defaults to None (all pixels).
        channel (str): ``'rgb'`` (official), ``'gray'`` or ``'y'``.

    Returns:
        float: PSNR in dB; ``inf`` for identical images and ``nan`` for an
        empty mask (both are left out of the official means).
    """
    pred, gt = _check_pair(pred, gt)
    m = prepare_mask(mask, pred.shape[:2])
    if m.sum() <= 0:
        return float('nan')
    p, g = _channels(pred, channel), _channels(gt, channel)
    mw = m[..., None]
    mse = np.sum((mw * p - mw * g)**2) / (p.shape[2] * m.sum())
    if mse == 0:
        return float('inf')
    return 20.0 * math.log10(255.0) - 10.0 * math.log10(mse)


def _gaussian_window(sigma: float = 1.5) -> np.ndarray:
    radius = int(math.ceil(3 * sigma))
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    g = np.exp(-x**2 / (2 * sigma**2))
    w = np.outer(g, g)
    return w / w.sum()


def _ssim_plane(a: np.ndarray, b: np.ndarray, window: np.ndarray,
                data_range: float) -> float:
    c1 = (0.01 * data_range)**2
    c2 = (0.03 * data_range)**2

    def filt(x):
        return ndimage.correlate(x, window, mode='nearest')

    mu_a, mu_b = filt(a), filt(b)
    var_a = filt(a * a) - mu_a**2
    var_b = filt(b * b) - mu_b**2
    cov = filt(a * b) - mu_a * mu_b
    num = (2 * mu_a * mu_b + c1) * (2 * cov + c2)
    den = (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)
    return float(np.mean(num / den))


def ssim(pred: np.ndarray,
         gt: np.ndarray,
         mask: Optional[np.ndarray] = None,
         channel: str = 'gray') -> float:
    """SSIM of a synthesised frame as ``eval_voxelflow.m`` computes it.

    Both images are multiplied by the mask weights, rounded to uint8,
    converted (``channel``) and compared with MATLAB ``ssim``'s defaults
    over the whole frame.

    Args:
        pred (np.ndarray): (H, W, 3) RGB prediction, uint8 or 0-255 float.
        gt (np.ndarray): (H, W, 3) RGB target.
        mask (np.ndarray, optional): (H, W) motion mask. Defaults to None.
        channel (str): ``'gray'`` (official, MATLAB ``rgb2gray``), ``'y'``
            or ``'rgb'`` (mean of the per-channel SSIMs).

    Returns:
        float: SSIM in [-1, 1]; ``nan`` for an empty mask.
    """
    pred, gt = _check_pair(pred, gt)
    m = prepare_mask(mask, pred.shape[:2])
    if m.sum() <= 0:
        return float('nan')
    if mask is not None:
        pred = to_uint8(m[..., None] * pred)
        gt = to_uint8(m[..., None] * gt)
    p, g = _channels(pred, channel), _channels(gt, channel)
    window = _gaussian_window(1.5)
    return float(
        np.mean([
            _ssim_plane(p[..., k], g[..., k], window, 255.0)
            for k in range(p.shape[2])
        ]))
