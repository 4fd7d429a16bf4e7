# Copyright (c) OpenMMLab. All rights reserved.
from typing import Optional, Sequence

import numpy as np

from ._io import SplitVideos, save_png, thing_class_ids, video_sequence_frames
from .cityscapes_dvps import encode_depth

#: Focal length of KITTI odometry sequence 00 (written in the depth names).
KITTI_FOCAL = 718.8560180664062


def write_semkitti_dvps(root: str,
                        splits: SplitVideos,
                        focal: float = KITTI_FOCAL,
                        thing_ids: Optional[Sequence[int]] = None) -> str:
    """SemKITTI-DVPS, the layout of ViP-DeepLab's release.

    Files: ``<root>/video_sequence/<split>/{seq:06d}_{frame:06d}_<suffix>``
    with suffixes

    * ``leftImg8bit.png``: RGB frame;
    * ``gtFine_class.png``: uint8 class id, 255 (``TOY_IGNORE``) void;
    * ``gtFine_instance.png``: uint16 instance id (the track id on things,
      0 on stuff and void); ViP-DeepLab's ``eval_dvpq.py`` combines the two
      as ``class * 2**20 + instance``;
    * ``depth_<focal>.png``: uint16 ``round(metres * 256)``, 0 where there is
      no depth; the name carries the focal length in pixels, printed as
      Python prints the float (``depth_718.8560180664062.png``).

    Class ids are the toy class ids; sequences are numbered in list order
    within each split and frames from 0. The toy has no camera model, so
    ``focal`` is only written into the names.

    Args:
        root (str): Output directory.
        splits (dict): ``{split: [ToyVideo, ...]}``.
        focal (float): Focal length for the depth file names. Defaults to
            KITTI sequence 00's, 718.8560180664062.
        thing_ids (Sequence[int], optional): Class ids of the thing classes
            (videos relabelled to real ids); the toy ones by default.

    Returns:
        str: ``root``.
    """
    things = thing_class_ids() if thing_ids is None else list(thing_ids)
    for stem, video, t in video_sequence_frames(root, splits):
        sem = video.semantic[t]
        inst = np.where(np.isin(sem, things), video.instance[t], 0)
        save_png(stem + '_leftImg8bit.png', video.images[t])
        save_png(stem + '_gtFine_class.png', sem.astype(np.uint8))
        save_png(stem + '_gtFine_instance.png', inst.astype(np.uint16))
        save_png(stem + f'_depth_{float(focal)!r}.png',
                 encode_depth(video.depth[t]))
    return root
