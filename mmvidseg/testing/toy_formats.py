# Copyright (c) OpenMMLab. All rights reserved.
"""Write toy videos in the on-disk formats the real benchmarks ship in.

Every writer takes a list of :class:`~mmvidseg.testing.toy_video.ToyVideo`
per split and a root directory, writes the benchmark's layout under it, and
returns the root. Class ids are :data:`TOY_CLASSES` indices, encoded the way
each benchmark encodes its own ids (e.g. VSPW stores ``class + 1``).
"""
import os
import os.path as osp
from typing import Dict, List

import numpy as np
from PIL import Image

from .toy_video import ToyVideo

SplitVideos = Dict[str, List[ToyVideo]]


def save_jpg(path: str, rgb: np.ndarray) -> None:
    """Save an (H, W, 3) uint8 RGB array as a quality-95 JPEG."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.fromarray(rgb).save(path, quality=95)


def save_png(path: str, array: np.ndarray) -> None:
    """Save a uint8 (H, W) / (H, W, 3) or uint16 (H, W) array as PNG."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    if array.dtype == np.uint16:
        img = Image.fromarray(array.astype(np.uint16), mode='I;16')
    else:
        img = Image.fromarray(array.astype(np.uint8))
    img.save(path)


def write_vspw(root: str, splits: SplitVideos) -> str:
    """VSPW: ``data/<video>/{origin/*.jpg, mask/*.png}`` + ``<split>.txt``.

    Masks hold ``class + 1`` (1..124 in the real dataset); 0 is "others"
    and 255 void, both ignored by the official evaluation.
    """
    for split, videos in splits.items():
        with open(osp.join(_mkdir(root), f'{split}.txt'), 'w') as f:
            for video in videos:
                f.write(video.name + '\n')
                for t in range(video.num_frames):
                    stem = f'{t:08d}'
                    vdir = osp.join(root, 'data', video.name)
                    save_jpg(osp.join(vdir, 'origin', stem + '.jpg'),
                             video.images[t])
                    save_png(osp.join(vdir, 'mask', stem + '.png'),
                             video.semantic[t].astype(np.uint8) + 1)
    return root


def write_kitti_step(root: str, splits: SplitVideos) -> str:
    """KITTI-STEP: ``video_sequence/<split>/{seq}_{frame}_*.png``.

    ``{seq:06d}_{frame:06d}_leftImg8bit.png`` is the frame and
    ``..._panoptic.png`` an RGB PNG with R = semantic id (255 void) and
    instance id = G * 256 + B (0 on stuff and crowd). Sequences are numbered
    in list order within each split.
    """
    for split, videos in splits.items():
        sdir = osp.join(root, 'video_sequence', split)
        for seq, video in enumerate(videos):
            for t in range(video.num_frames):
                stem = osp.join(sdir, f'{seq:06d}_{t:06d}')
                save_png(stem + '_leftImg8bit.png', video.images[t])
                inst = video.instance[t]
                pan = np.stack([
                    video.semantic[t].astype(np.uint8),
                    (inst // 256).astype(np.uint8),
                    (inst % 256).astype(np.uint8)
                ], -1)
                save_png(stem + '_panoptic.png', pan)
    return root


def _mkdir(path: str) -> str:
    os.makedirs(path, exist_ok=True)
    return path
