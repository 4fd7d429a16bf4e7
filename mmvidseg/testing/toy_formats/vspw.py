# Copyright (c) OpenMMLab. All rights reserved.
import json
import os.path as osp
from typing import Sequence

import numpy as np

from ..toy_video import TOY_CLASSES
from ._io import SplitVideos, mkdir, save_jpg, save_png


def write_vspw(root: str,
               splits: SplitVideos,
               classes: Sequence[str] = TOY_CLASSES) -> str:
    """VSPW: ``data/<video>/{origin/*.jpg, mask/*.png}`` + ``<split>.txt``.

    Masks hold ``class + 1`` (1..124 in the real dataset); 0 is "others"
    and 253/255 are void. ``label_num_dic_final.json`` maps class names to
    their mask values, as in the VSPW release.

    Args:
        root (str): Output directory.
        splits (dict): ``{split: [ToyVideo, ...]}``.
        classes (Sequence[str]): Class names, in class-id order, written to
            ``label_num_dic_final.json`` (e.g. 124 names for a toy dataset
            with VSPW's class count, the videos relabelled to those ids).
            Defaults to :data:`~mmvidseg.testing.TOY_CLASSES`.

    Returns:
        str: ``root``.
    """
    with open(osp.join(mkdir(root), 'label_num_dic_final.json'), 'w') as f:
        json.dump({'others': 0, **{c: i + 1
                                   for i, c in enumerate(classes)}}, f)
    for split, videos in splits.items():
        with open(osp.join(mkdir(root), f'{split}.txt'), 'w') as f:
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
