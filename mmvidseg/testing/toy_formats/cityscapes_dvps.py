# Copyright (c) OpenMMLab. All rights reserved.
import os.path as osp
from typing import Optional, Sequence

import numpy as np

from ..toy_video import TOY_IGNORE
from ._io import SplitVideos, save_png, thing_class_ids, video_sequence_frames

#: Panoptic id = class * CITYSCAPES_DVPS_DIVISOR + instance.
CITYSCAPES_DVPS_DIVISOR = 1000
#: Class id of void pixels; they hold ``32 * 1000``.
CITYSCAPES_DVPS_VOID = 32


def encode_depth(depth: np.ndarray) -> np.ndarray:
    """Metres -> uint16 ``round(metres * 256)``; 0 stays 0 (no depth)."""
    scaled = np.rint(np.asarray(depth, np.float64) * 256.0)
    if scaled.max(initial=0) > 65535 or scaled.min(initial=0) < 0:
        raise ValueError('depth must lie in [0, 256) metres to fit a uint16 '
                         f'PNG, got range [{depth.min()}, {depth.max()}]')
    return scaled.astype(np.uint16)


def write_cityscapes_dvps(root: str,
                          splits: SplitVideos,
                          thing_ids: Optional[Sequence[int]] = None) -> str:
    """Cityscapes-DVPS, the layout ViP-DeepLab's scripts build.

    Files: ``<root>/video_sequence/<split>/{seq:06d}_{frame:06d}_<city>_
    {seq:06d}_{frame:06d}_<suffix>`` with city ``toy`` (the tail is the
    Cityscapes frame name) and suffixes

    * ``leftImg8bit.png``: RGB frame;
    * ``gtFine_instanceTrainIds.png``: uint16, ``class * 1000 + track`` on
      things, ``class * 1000`` on stuff and ``32 * 1000`` on void (the
      encoding ViP-DeepLab's ``eval_dvpq.py`` and PolyphonicFormer read);
    * ``depth.png``: uint16, ``round(metres * 256)``, 0 where there is no
      depth.

    Class ids are the toy class ids; sequences are numbered in list order
    within each split and frames from 0.

    Args:
        root (str): Output directory.
        splits (dict): ``{split: [ToyVideo, ...]}``.
        thing_ids (Sequence[int], optional): Class ids of the thing classes
            (videos relabelled to real ids); the toy ones by default.

    Returns:
        str: ``root``.
    """
    for videos in splits.values():
        for video in videos:
            if video.instance.max(initial=0) >= CITYSCAPES_DVPS_DIVISOR:
                raise ValueError(f'{video.name}: track ids must be < 1000 '
                                 'for the class * 1000 + id encoding')
    things = thing_class_ids() if thing_ids is None else list(thing_ids)
    for prefix, video, t in video_sequence_frames(root, splits):
        # the tail repeats the sequence and frame as a Cityscapes name
        stem = f'{prefix}_toy_{osp.basename(prefix)}'
        sem = video.semantic[t].astype(np.int64)
        pan = sem * CITYSCAPES_DVPS_DIVISOR
        thing = np.isin(sem, things)
        pan[thing] += video.instance[t][thing]
        pan[sem == TOY_IGNORE] = \
            CITYSCAPES_DVPS_VOID * CITYSCAPES_DVPS_DIVISOR
        save_png(stem + '_leftImg8bit.png', video.images[t])
        save_png(stem + '_gtFine_instanceTrainIds.png', pan.astype(np.uint16))
        save_png(stem + '_depth.png', encode_depth(video.depth[t]))
    return root
