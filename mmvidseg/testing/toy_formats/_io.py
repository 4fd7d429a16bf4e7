# Copyright (c) OpenMMLab. All rights reserved.
"""Image and directory helpers shared by the toy-format writers."""
import os
import os.path as osp
from typing import Dict, List

import numpy as np
from PIL import Image

from ..toy_video import ToyVideo

#: ``{split name: videos}``, the input of every writer.
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


def mkdir(path: str) -> str:
    os.makedirs(path, exist_ok=True)
    return path
