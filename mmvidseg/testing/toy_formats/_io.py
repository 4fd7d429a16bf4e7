# Copyright (c) OpenMMLab. All rights reserved.
"""Image, JSON, mask-encoding and flow helpers shared by the writers."""
import json
import os
import os.path as osp
from typing import Dict, Iterator, List, Tuple

import numpy as np
from PIL import Image

from ..toy_video import TOY_CLASSES, TOY_THING_CLASSES, ToyVideo

#: ``{split name: videos}``, the input of every writer.
SplitVideos = Dict[str, List[ToyVideo]]

#: Category id (from 1, in thing-class order) of each toy thing class id,
#: as the COCO-style JSONs (YouTube-VIS, ImageNet VID) number them.
THING_CATEGORY_IDS = {
    TOY_CLASSES.index(name): i + 1
    for i, name in enumerate(TOY_THING_CLASSES)
}

#: First float of a Middlebury ``.flo`` file (the bytes read ``PIEH``).
FLO_MAGIC = 202021.25


def save_jpg(path: str, rgb: np.ndarray) -> None:
    """Save an (H, W, 3) uint8 RGB array as a quality-95 JPEG."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.fromarray(rgb).save(path, quality=95)


def save_png(path: str, array: np.ndarray) -> None:
    """Save a uint8 (H, W) / (H, W, 3) or uint16 (H, W) array as PNG.

    uint16 arrays become 16-bit greyscale PNGs (Pillow mode ``I;16``), which
    Pillow >= 10.3 reads back as uint16.
    """
    os.makedirs(osp.dirname(path), exist_ok=True)
    if array.dtype == np.uint16:
        img = Image.fromarray(np.ascontiguousarray(array))
    else:
        img = Image.fromarray(array.astype(np.uint8))
    img.save(path)


def save_palette_png(path: str, index: np.ndarray,
                     palette: np.ndarray) -> None:
    """Save a uint8 (H, W) index map as a palette ('P' mode) PNG.

    Args:
        path (str): Output file.
        index (np.ndarray): Palette indices, shape (H, W), values 0..255.
        palette (np.ndarray): Colours, uint8, shape (256, 3).
    """
    os.makedirs(osp.dirname(path), exist_ok=True)
    img = Image.fromarray(index.astype(np.uint8))
    # putpalette turns an 'L' image into a 'P' image with the same indices.
    img.putpalette(np.asarray(palette, np.uint8).ravel().tolist())
    img.save(path)


def save_json(path: str, obj) -> None:
    """Write ``obj`` as compact JSON, creating the parent directory."""
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    with open(path, 'w') as f:
        json.dump(obj, f)


def mkdir(path: str) -> str:
    os.makedirs(path, exist_ok=True)
    return path


def is_thing(label: int) -> bool:
    """Whether a toy class id is a thing class."""
    return label < len(TOY_CLASSES) and \
        TOY_CLASSES[label] in TOY_THING_CLASSES


def thing_class_ids() -> List[int]:
    """The toy class ids that are thing classes, in increasing order."""
    return [i for i in range(len(TOY_CLASSES)) if is_thing(i)]


def video_sequence_frames(
        root: str, splits: SplitVideos) -> Iterator[Tuple[str, ToyVideo, int]]:
    """Every frame of the ``video_sequence`` layouts (KITTI-STEP,
    Cityscapes-DVPS, SemKITTI-DVPS), in writing order.

    Yields:
        tuple: ``(prefix, video, t)``: the frame's path prefix
        ``<root>/video_sequence/<split>/{seq:06d}_{t:06d}`` (sequences
        numbered in list order within each split), its video and its
        index.
    """
    for split, videos in splits.items():
        sdir = osp.join(root, 'video_sequence', split)
        for seq, video in enumerate(videos):
            for t in range(video.num_frames):
                yield osp.join(sdir, f'{seq:06d}_{t:06d}'), video, t


def thing_tracks(video: ToyVideo) -> List[int]:
    """Sorted track ids that are visible in at least one frame."""
    ids = np.unique(video.instance)
    return [int(i) for i in ids if i > 0]


def voc_palette(num: int = 256) -> np.ndarray:
    """The PASCAL VOC colour map, also used by DAVIS annotations.

    Returns:
        np.ndarray: uint8 colours, shape (num, 3); index 1 is (128, 0, 0).
    """
    palette = np.zeros((num, 3), np.uint8)
    for i in range(num):
        c, r, g, b = i, 0, 0, 0
        for shift in range(7, -1, -1):
            r |= (c & 1) << shift
            g |= ((c >> 1) & 1) << shift
            b |= ((c >> 2) & 1) << shift
            c >>= 3
        palette[i] = (r, g, b)
    return palette


def mask_bbox(mask: np.ndarray) -> Tuple[int, int, int, int]:
    """Tight COCO box ``(x, y, w, h)`` of a non-empty (H, W) bool mask."""
    ys, xs = np.nonzero(mask)
    x, y = int(xs.min()), int(ys.min())
    return x, y, int(xs.max()) + 1 - x, int(ys.max()) + 1 - y


def rle_encode(mask: np.ndarray, compressed: bool = True) -> dict:
    """COCO run-length encoding of an (H, W) bool mask.

    Args:
        mask (np.ndarray): Binary mask, shape (H, W).
        compressed (bool): True gives pycocotools' compressed RLE with
            ``counts`` as a str (the form results files use); False gives the
            uncompressed form with ``counts`` as a list of ints (column-major
            runs, starting with a run of zeros), as in the official
            YouTube-VIS annotation files. Defaults to True.

    Returns:
        dict: ``{'size': [H, W], 'counts': str | List[int]}``.
    """
    height, width = mask.shape
    if compressed:
        from pycocotools import mask as mask_utils
        rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
        return {'size': [height, width], 'counts': rle['counts'].decode()}
    flat = mask.astype(bool).ravel(order='F')
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    edges = np.concatenate([[0], change, [flat.size]])
    counts = np.diff(edges).tolist()
    if flat[0]:
        counts = [0] + counts
    return {'size': [height, width], 'counts': counts}


def id2rgb(ids: np.ndarray) -> np.ndarray:
    """COCO-panoptic colour of integer ids: id = R + 256 * G + 256**2 * B.

    Args:
        ids (np.ndarray): Ids < 2**24, shape (H, W).

    Returns:
        np.ndarray: uint8 RGB, shape (H, W, 3).
    """
    ids = np.asarray(ids, np.int64)
    return np.stack([ids % 256, ids // 256 % 256, ids // 65536 % 256],
                    -1).astype(np.uint8)


def rgb2id(rgb: np.ndarray) -> np.ndarray:
    """Inverse of :func:`id2rgb`: (H, W, 3) uint8 -> (H, W) int64 ids."""
    rgb = np.asarray(rgb, np.int64)
    return rgb[..., 0] + 256 * rgb[..., 1] + 65536 * rgb[..., 2]


def write_flo(path: str, flow: np.ndarray) -> None:
    """Write optical flow as a Middlebury ``.flo`` file.

    The file holds the float32 magic 202021.25, the int32 width and height,
    then float32 (u, v) pairs row by row, all little-endian.

    Args:
        path (str): Output file.
        flow (np.ndarray): (dx, dy) in pixels, shape (H, W, 2).
    """
    if flow.ndim != 3 or flow.shape[2] != 2:
        raise ValueError(f'cannot write {path}: flow must have shape '
                         f'(H, W, 2), got {flow.shape}')
    os.makedirs(osp.dirname(path), exist_ok=True)
    height, width = flow.shape[:2]
    with open(path, 'wb') as f:
        np.array([FLO_MAGIC], '<f4').tofile(f)
        np.array([width, height], '<i4').tofile(f)
        flow.astype('<f4').tofile(f)


def read_flo(path: str) -> np.ndarray:
    """Read a Middlebury ``.flo`` file into a float32 (H, W, 2) array.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        ValueError: If the magic number or the size is wrong.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'flow file {path} does not exist')
    with open(path, 'rb') as f:
        header = np.fromfile(f, '<f4', 1)
        if header.size != 1 or header[0] != FLO_MAGIC:
            raise ValueError(f'{path} is not a .flo file: the magic number '
                             f'{FLO_MAGIC} is missing')
        size = np.fromfile(f, '<i4', 2)
        if size.size != 2 or size.min() <= 0:
            raise ValueError(f'{path}: truncated or invalid size header')
        width, height = int(size[0]), int(size[1])
        data = np.fromfile(f, '<f4')
    if data.size != width * height * 2:
        raise ValueError(f'{path}: expected {width * height * 2} floats for '
                         f'a {width}x{height} flow, found {data.size}')
    return data.reshape(height, width, 2).astype(np.float32)
