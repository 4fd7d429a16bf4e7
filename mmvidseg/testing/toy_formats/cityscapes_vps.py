# Copyright (c) OpenMMLab. All rights reserved.
import os.path as osp
from typing import List, Optional

import numpy as np

from ..toy_video import TOY_CLASSES, TOY_IGNORE, TOY_THING_CLASSES, ToyVideo
from ._io import SplitVideos, id2rgb, save_json, save_png

#: Segment id = (class + 1) * THING_DIVISOR + track on things.
THING_DIVISOR = 1000


def cityscapes_vps_categories() -> list:
    """COCO-panoptic ``categories``: every toy class, ids the class ids."""
    return [
        dict(id=i, name=name, isthing=int(name in TOY_THING_CLASSES))
        for i, name in enumerate(TOY_CLASSES)
    ]


def _segment_ids(video: ToyVideo, t: int) -> np.ndarray:
    """(H, W) int64 segment ids of frame ``t`` (0 on void pixels)."""
    sem = video.semantic[t].astype(np.int64)
    inst = video.instance[t].astype(np.int64)
    ids = np.where(inst > 0, (sem + 1) * THING_DIVISOR + inst, sem + 1)
    return np.where(sem == TOY_IGNORE, 0, ids)


def write_cityscapes_vps(root: str,
                         splits: SplitVideos,
                         categories: Optional[List[dict]] = None) -> str:
    """Cityscapes-VPS in the layout VPSNet's preparation scripts produce.

    Layout::

        <root>/<split>/img/<stem>_newImg8bit.png            # RGB frame
        <root>/<split>/panoptic_video/<stem>_final_mask.png # RGB ids
        <root>/panoptic_gt_<split>_city_vps.json

    with ``<stem> = {v:04d}_{t:04d}_toy_{v:06d}_{t:06d}``: video number
    ``v`` (from 1, in list order within the split), frame number ``t`` and
    the Cityscapes-style ``<city>_<seq>_<frame>`` part, so that the first
    ``_``-separated field groups the frames into videos.

    The panoptic PNGs hold COCO-panoptic colours, segment id
    ``R + 256 * G + 256**2 * B``. A segment keeps its id over the whole
    video: ``class + 1`` on stuff, ``(class + 1) * 1000 + track`` on things
    and 0 on void (:data:`~mmvidseg.testing.TOY_IGNORE`) pixels, which no
    ``segments_info`` lists. The JSON is COCO panoptic: ``images`` (``id``
    the stem, ``file_name``, ``width``, ``height``), ``annotations``
    (``image_id``, ``file_name``, ``segments_info`` of ``id``,
    ``category_id``, ``iscrowd`` 0 and ``area``) and ``categories``
    (:func:`cityscapes_vps_categories`: the toy classes, ids the class ids).

    Args:
        root (str): Output directory.
        splits (dict): ``{split: [ToyVideo, ...]}``.
        categories (List[dict], optional): The JSON's ``categories``
            (``id`` = class id, ``name``, ``isthing``), for videos
            relabelled to another class list (e.g. the 19 Cityscapes
            classes). Defaults to :func:`cityscapes_vps_categories`.

    Returns:
        str: ``root``.

    Raises:
        ValueError: If a track id does not fit below 1000.
    """
    if categories is None:
        categories = cityscapes_vps_categories()
    for split, videos in splits.items():
        gt = dict(images=[], annotations=[], categories=categories)
        for v, video in enumerate(videos, 1):
            if video.instance.max() >= THING_DIVISOR:
                raise ValueError(
                    f'{video.name}: Cityscapes-VPS segment ids hold track ids '
                    f'< {THING_DIVISOR}, got {video.instance.max()}')
            height, width = video.semantic.shape[1:]
            for t in range(video.num_frames):
                stem = f'{v:04d}_{t:04d}_toy_{v:06d}_{t:06d}'
                ids = _segment_ids(video, t)
                segments = []
                for seg_id in np.unique(ids):
                    if seg_id == 0:
                        continue
                    label = seg_id // THING_DIVISOR - 1 \
                        if seg_id >= THING_DIVISOR else seg_id - 1
                    segments.append(
                        dict(id=int(seg_id), category_id=int(label),
                             iscrowd=0, area=int((ids == seg_id).sum())))
                save_png(
                    osp.join(root, split, 'img', stem + '_newImg8bit.png'),
                    video.images[t])
                save_png(
                    osp.join(root, split, 'panoptic_video',
                             stem + '_final_mask.png'), id2rgb(ids))
                gt['images'].append(
                    dict(id=stem, width=width, height=height,
                         file_name=stem + '_newImg8bit.png'))
                gt['annotations'].append(
                    dict(image_id=stem, file_name=stem + '_final_mask.png',
                         segments_info=segments))
        save_json(osp.join(root, f'panoptic_gt_{split}_city_vps.json'), gt)
    return root
