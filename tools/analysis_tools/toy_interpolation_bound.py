# Copyright (c) OpenMMLab. All rights reserved.
"""How well can any frame interpolator do on hard toy triplets?

Hard toy videos (``difficulty='hard'``) shake the camera by an independent
random offset in every frame, so the middle frame of a triplet is not where
any function of its two neighbours can place it. This script renders, for
each triplet (t, t + 1, t + 2) of the toy validation videos, the middle
frame as a perfect linear interpolator would at best see it: every object
path, acceleration and the lighting exact, no sensor noise, and the camera
offset of frame t + 1 replaced by the mean of the offsets of frames t and
t + 2. Optionally the stuff (the part that shakes) is blurred by a Gaussian
of standard deviation ``sigma`` px, the minimum-squared-error answer to an
unknown shift. PSNR (RGB, whole frames, mean over triplets, as
``PSNRSSIMMetric`` reports ``psnr``) is against the real, noisy middle frame,
next to frame averaging ``(I_t + I_t+2) / 2``.

Example (the 32 validation triplets of the toy DVF configs)::

    python tools/analysis_tools/toy_interpolation_bound.py \
        --num-videos 4 --frames 10 --sigmas 0 0.5
"""
import argparse
from typing import Dict, List, Sequence

import numpy as np
from scipy.ndimage import gaussian_filter

from mmvidseg.testing import toy_video


def _psnr(pred: np.ndarray, gt: np.ndarray) -> float:
    mse = float(((pred.astype(np.float64) - gt.astype(np.float64))**2).mean())
    return 10.0 * np.log10(255.0**2 / max(mse, 1e-10))


def linear_middle(seed: int, t: int, **kwargs) -> toy_video.ToyVideo:
    """The hard video of ``seed`` rendered without noise and with the camera
    of frame ``t + 1`` at the mean of frames ``t`` and ``t + 2``."""
    original = toy_video._hard_camera

    def camera(*args, **kw):
        offsets = original(*args, **kw)
        offsets[t + 1] = tuple(
            (np.asarray(offsets[t]) + np.asarray(offsets[t + 2])) / 2)
        return offsets

    toy_video._hard_camera = camera
    try:
        return toy_video.generate_toy_video(
            seed, difficulty='hard', noise=0.0, **kwargs)
    finally:
        toy_video._hard_camera = original


def interpolation_bound(seeds: Sequence[int],
                        sigmas: Sequence[float] = (0.0, ),
                        **kwargs) -> Dict[str, float]:
    """Mean PSNR of frame averaging and of the linear-camera oracle.

    Args:
        seeds (Sequence[int]): Seeds of the hard toy videos.
        sigmas (Sequence[float]): Blur of the oracle's stuff pixels, px.
        **kwargs: ``num_frames`` (>= 3), ``height``, ``width`` of the
            videos (:func:`~mmvidseg.testing.generate_toy_video`).

    Returns:
        dict: ``'average'`` and ``'oracle_sigma{s}'`` -> mean PSNR (dB).
    """
    if kwargs.get('num_frames', 8) < 3:
        raise ValueError('triplets need num_frames >= 3, got '
                         f"{kwargs['num_frames']}")
    if any(s < 0 for s in sigmas):
        raise ValueError(f'sigmas must be >= 0, got {list(sigmas)}')
    rows: Dict[str, List[float]] = {'average': []}
    for seed in seeds:
        real = toy_video.generate_toy_video(seed, difficulty='hard', **kwargs)
        frames = real.images.astype(np.float64)
        for t in range(len(frames) - 2):
            gt = frames[t + 1]
            rows['average'].append(_psnr((frames[t] + frames[t + 2]) / 2, gt))
            oracle = linear_middle(seed, t, **kwargs)
            image = oracle.images[t + 1].astype(np.float64)
            things = (oracle.instance[t + 1] > 0)[..., None]
            for s in sigmas:
                pred = np.where(things, image,
                                gaussian_filter(image, (s, s, 0))) \
                    if s > 0 else image
                rows.setdefault(f'oracle_sigma{s:g}', []).append(
                    _psnr(pred, gt))
    return {k: float(np.mean(v)) for k, v in rows.items()}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='PSNR bound of frame interpolation on hard toy triplets')
    parser.add_argument(
        '--seed', type=int, default=1000,
        help='first seed (1000: the validation videos of '
        'generate_toy_data.py)')
    parser.add_argument('--num-videos', type=int, default=4)
    parser.add_argument('--frames', type=int, default=10)
    parser.add_argument('--height', type=int, default=64)
    parser.add_argument('--width', type=int, default=96)
    parser.add_argument(
        '--sigmas', type=float, nargs='+', default=[0.0, 0.5],
        help='blur of the stuff in the oracle, px')
    return parser.parse_args(argv)


def main(argv=None) -> Dict[str, float]:
    args = parse_args(argv)
    if args.num_videos < 1:
        raise ValueError(f'--num-videos must be >= 1, got {args.num_videos}')
    result = interpolation_bound(
        range(args.seed, args.seed + args.num_videos),
        args.sigmas,
        num_frames=args.frames,
        height=args.height,
        width=args.width)
    for key, value in result.items():
        gain = value - result['average']
        print(f'{key:>18}: {value:.2f} dB ({gain:+.2f} dB)')
    return result


if __name__ == '__main__':
    main()
