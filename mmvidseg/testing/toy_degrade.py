# Copyright (c) OpenMMLab. All rights reserved.
"""Degraded toy frames: motion blur, defocus and partial occlusion.

ImageNet VID's hard cases are frames where the object is blurred by fast
motion, out of focus or partly hidden while its neighbours show it well:
what temporal aggregation (FGFA, SELSA, TransVOD) is meant to fix. A toy
writer degrades a chosen share of the frames it *writes*; the clean frame
stays in the :class:`ToyVideo` for the generator's own checks (boxes,
occlusion flags), and the annotations are those of the clean frame, as in
VID, where a blurred or occluded object is still annotated.
"""
from typing import List, Optional, Sequence

import cv2
import numpy as np

#: The kinds of degradation, drawn uniformly per degraded frame.
DEGRADATIONS = ('motion_blur', 'defocus', 'occlusion')

#: Strengths of the degradations: ``'mild'`` (the default, the frames of
#: earlier releases) and ``'strong'``, where a single frame no longer shows
#: the object well (see :func:`degrade_frame`).
STRENGTHS = ('mild', 'strong')


def plan_degradations(num_frames: int, fraction: float,
                      rng: np.random.Generator) -> List[Optional[str]]:
    """Which frames of a video to degrade and how.

    Args:
        num_frames (int): Frames of the video.
        fraction (float): Share of frames to degrade, in [0, 1]; the count
            is rounded.
        rng (np.random.Generator): Random source.

    Returns:
        list: Per frame, a kind from :data:`DEGRADATIONS` or None.
    """
    if not 0 <= fraction <= 1:
        raise ValueError(f'degrade fraction must be in [0, 1], got '
                         f'{fraction}')
    plan: List[Optional[str]] = [None] * num_frames
    count = int(round(fraction * num_frames))
    for t in rng.choice(num_frames, size=count, replace=False):
        plan[int(t)] = DEGRADATIONS[int(rng.integers(len(DEGRADATIONS)))]
    return plan


def _line_kernel(length: int, angle: float) -> np.ndarray:
    """A normalised line of ``length`` pixels at ``angle`` radians."""
    kernel = np.zeros((length, length), np.float32)
    c = (length - 1) / 2
    for s in np.linspace(-c, c, 4 * length):
        x = int(round(c + s * np.cos(angle)))
        y = int(round(c + s * np.sin(angle)))
        kernel[y, x] = 1
    return kernel / kernel.sum()


def _disk_kernel(radius: int) -> np.ndarray:
    """A normalised disk of ``radius`` pixels (defocus)."""
    yy, xx = np.mgrid[-radius:radius + 1, -radius:radius + 1]
    kernel = (xx**2 + yy**2 <= radius**2).astype(np.float32)
    return kernel / kernel.sum()


def degrade_frame(image: np.ndarray,
                  kind: str,
                  boxes: Sequence[Sequence[float]],
                  rng: np.random.Generator,
                  strength: str = 'mild') -> np.ndarray:
    """A degraded copy of one RGB frame.

    ``strength='mild'`` (the default):

    * ``'motion_blur'``: a line kernel of 7 to 11 pixels at a random angle;
    * ``'defocus'``: a disk kernel of radius 2 or 3;
    * ``'occlusion'``: a flat grey-ish rectangle hiding 50-70 % of the
      width or height of one object's box (from one side), or a random
      patch when the frame has no object.

    ``strength='strong'``: a line kernel of 15 to 21 pixels, a disk of
    radius 4 to 6, and a rectangle hiding 75-95 % of *every* object's box
    (each from its own side), as in VID's fast-motion, out-of-focus and
    occluded frames that no single frame can undo.

    Args:
        image (np.ndarray): (H, W, 3) uint8, not modified.
        kind (str): One of :data:`DEGRADATIONS`.
        boxes (Sequence): The frame's object boxes, x1 y1 x2 y2.
        rng (np.random.Generator): Random source.
        strength (str): One of :data:`STRENGTHS`. Defaults to ``'mild'``.

    Returns:
        np.ndarray: (H, W, 3) uint8.
    """
    if strength not in STRENGTHS:
        raise ValueError(f'unknown degradation strength {strength!r}, use '
                         f'one of {STRENGTHS}')
    strong = strength == 'strong'
    if kind == 'motion_blur':
        length = rng.integers(15, 22) if strong else rng.integers(7, 12)
        kernel = _line_kernel(int(length), float(rng.uniform(0, np.pi)))
    elif kind == 'defocus':
        radius = rng.integers(4, 7) if strong else rng.integers(2, 4)
        kernel = _disk_kernel(int(radius))
    elif kind == 'occlusion':
        if not strong:
            return _occlude(image, boxes, rng)
        out = image
        for box in list(boxes) or [None]:
            out = _occlude(out, [] if box is None else [box], rng,
                           (0.75, 0.95))
        return out
    else:
        raise ValueError(f'unknown degradation {kind!r}, use one of '
                         f'{DEGRADATIONS}')
    out = cv2.filter2D(image.astype(np.float32), -1, kernel,
                       borderType=cv2.BORDER_REFLECT)
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def _occlude(image: np.ndarray,
             boxes: Sequence[Sequence[float]],
             rng: np.random.Generator,
             share_range: tuple = (0.5, 0.7)) -> np.ndarray:
    """See :func:`degrade_frame` (``'occlusion'``): one of ``boxes`` hidden
    by ``share_range`` of its width or height."""
    out = image.copy()
    height, width = image.shape[:2]
    if len(boxes):
        x1, y1, x2, y2 = (int(round(v)) for v in
                          boxes[int(rng.integers(len(boxes)))])
    else:
        x1, y1 = int(rng.integers(width // 2)), int(rng.integers(height // 2))
        x2, y2 = x1 + width // 4, y1 + height // 4
    share = rng.uniform(*share_range)
    side = int(rng.integers(4))
    if side < 2:  # hide the left or right part
        cut = int(round((x2 - x1) * share))
        x1, x2 = (x1, x1 + cut) if side == 0 else (x2 - cut, x2)
    else:  # the top or bottom part
        cut = int(round((y2 - y1) * share))
        y1, y2 = (y1, y1 + cut) if side == 2 else (y2 - cut, y2)
    colour = rng.integers(90, 170, size=3).astype(np.uint8)
    out[max(y1, 0):min(y2, height), max(x1, 0):min(x2, width)] = colour
    return out
