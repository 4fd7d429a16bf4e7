# Copyright (c) OpenMMLab. All rights reserved.
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np

from ..toy_video import TOY_CLASSES, TOY_IGNORE, TOY_PALETTE
from ._io import (SplitVideos, id2rgb, is_thing, mkdir, rgb2id, save_jpg,
                  save_json, save_png)

#: Stuff pixels store ``class + 1`` (< 125); thing pixels store
#: ``(class + 1) * VIPSEG_DIVISOR + instance`` (instance 1..99).
VIPSEG_DIVISOR = 100


def vipseg_categories() -> list:
    """``panoVIPSeg_categories.json`` for the toy classes (ids from 0)."""
    return [
        dict(id=i, name=name, isthing=int(is_thing(i)),
             color=list(TOY_PALETTE[i])) for i, name in enumerate(TOY_CLASSES)
    ]


def encode_panomask(semantic: np.ndarray,
                    instance: np.ndarray,
                    thing_ids: Optional[Sequence[int]] = None) -> np.ndarray:
    """VIPSeg ``panomasks`` value of each pixel, uint16 (H, W).

    0 is void, stuff is ``class + 1``, things ``(class + 1) * 100 + track``.
    The official decoder reads values < 125 as stuff and the rest as
    ``value // 100 - 1`` (class) and ``value % 100`` (instance).

    Args:
        semantic (np.ndarray): Class ids, shape (H, W).
        instance (np.ndarray): Track ids, shape (H, W).
        thing_ids (Sequence[int], optional): Class ids of the thing
            classes. Defaults to the toy thing classes.
    """
    if thing_ids is None:
        thing_ids = [i for i in range(len(TOY_CLASSES)) if is_thing(i)]
    out = semantic.astype(np.int64) + 1
    things = np.isin(semantic, list(thing_ids))
    if instance[things].max(initial=0) >= VIPSEG_DIVISOR:
        raise ValueError('VIPSeg panomasks hold at most 99 instances per '
                         f'class, got track id {instance[things].max()}')
    out[things] = out[things] * VIPSEG_DIVISOR + instance[things]
    out[semantic == TOY_IGNORE] = 0
    return out.astype(np.uint16)


def _label(value: int) -> int:
    """Class id of a non-void panomask value, as the official script."""
    return value - 1 if value < 125 else value // VIPSEG_DIVISOR - 1


def _segment_colours(panomasks: list, categories: List[dict]) -> dict:
    """Panomask value -> RGB, like panopticapi's ``IdGenerator``.

    Stuff takes its category colour; the first instance of a thing class
    takes the category colour and later ones a colour within +-30 of it
    that no other segment of the video uses. Jitter comes from a fixed-seed
    generator, so the ids are deterministic.
    """
    rng = np.random.default_rng(0)
    cats = {c['id']: c for c in categories}
    taken = {(0, 0, 0)} | {
        tuple(c['color']) for c in categories if not c['isthing']
    }
    colours = {}
    for pan in panomasks:
        for value in np.unique(pan):
            value = int(value)
            if value == 0 or value in colours:
                continue
            label = _label(value)
            base = tuple(cats[label]['color'])
            if not cats[label]['isthing']:
                colours[value] = base
                continue
            colour = base
            while colour in taken:
                jitter = rng.integers(-30, 31, size=3)
                colour = tuple(
                    int(c) for c in np.clip(np.add(base, jitter), 0, 255))
            taken.add(colour)
            colours[value] = colour
    return colours


def _write_frame(root: str, video, t: int, pan: np.ndarray,
                 colours: dict) -> tuple:
    """Write frame ``t``'s JPEG, panomask and panomaskRGB.

    Args:
        root (str): Output directory.
        video (ToyVideo): The video.
        t (int): Frame index.
        pan (np.ndarray): Its panomask, uint16 (H, W).
        colours (dict): Panomask value -> RGB (:func:`_segment_colours`).

    Returns:
        tuple: The frame's ``images`` and ``annotations`` JSON entries.
    """
    name = f'{t:08d}'
    save_jpg(osp.join(root, 'images', video.name, name + '.jpg'),
             video.images[t])
    save_png(osp.join(root, 'panomasks', video.name, name + '.png'), pan)
    ids = np.zeros(pan.shape, np.int64)
    segments = []
    for value in np.unique(pan):
        value = int(value)
        if value == 0:
            continue
        seg_id = int(rgb2id(np.array(colours[value])))
        ids[pan == value] = seg_id
        segments.append(
            dict(
                id=seg_id,
                category_id=_label(value),
                iscrowd=0,
                area=int((pan == value).sum())))
    save_png(
        osp.join(root, 'panomasksRGB', video.name, name + '.png'),
        id2rgb(ids))
    height, width = pan.shape
    image = dict(id=name, width=width, height=height, file_name=name + '.png')
    annotation = dict(
        image_id=name, file_name=name + '.png', segments_info=segments)
    return image, annotation


def write_vipseg(root: str,
                 splits: SplitVideos,
                 categories: Optional[List[dict]] = None) -> str:
    """VIPSeg (720p release) with the panoptic video labels of its evaluator.

    Layout::

        <root>/images/<video>/00000000.jpg
        <root>/panomasks/<video>/00000000.png      # uint16, see below
        <root>/panomasksRGB/<video>/00000000.png   # RGB, id = R+256G+256^2B
        <root>/panoptic_gt_VIPSeg_<split>.json
        <root>/panoVIPSeg_categories.json
        <root>/<split>.txt                         # video names

    ``panomasks`` store 0 for void, ``class + 1`` for stuff and
    ``(class + 1) * 100 + track_id`` for things (:func:`encode_panomask`).
    ``panomasksRGB`` and the JSON are what the official
    ``create_panoptic_video_labels.py`` + ``splitjson.py`` make of them:
    ``{'videos': [{'video_id', 'images': [{'id', 'width', 'height',
    'file_name'}]}], 'annotations': [{'video_id', 'annotations':
    [{'image_id', 'file_name', 'segments_info': [{'id', 'category_id',
    'iscrowd', 'area'}]}]}], 'categories': [{'id', 'name', 'isthing',
    'color'}]}``. Image ids are the frame names, ``file_name`` the PNG name;
    a segment's ``id`` is the panoptic colour's id and stays the same for a
    track over the whole video (:func:`_segment_colours`). Category ids are
    the toy class ids (from 0, like VIPSeg's).

    Args:
        root (str): Output directory.
        splits (dict): ``{split: [ToyVideo, ...]}``.
        categories (List[dict], optional): ``panoVIPSeg_categories.json``
            (``id`` = class id from 0, ``name``, ``isthing``, ``color``;
            distinct colours), for videos relabelled to another class list
            (e.g. VIPSeg's 124 classes). Defaults to
            :func:`vipseg_categories`.

    Returns:
        str: ``root``.
    """
    if categories is None:
        categories = vipseg_categories()
    thing_ids = [c['id'] for c in categories if c['isthing']]
    save_json(osp.join(mkdir(root), 'panoVIPSeg_categories.json'),
              categories)
    for split, videos in splits.items():
        with open(osp.join(root, f'{split}.txt'), 'w') as f:
            f.write(''.join(video.name + '\n' for video in videos))
        gt = dict(videos=[], annotations=[], categories=categories)
        for video in videos:
            panomasks = [
                encode_panomask(video.semantic[t], video.instance[t],
                                thing_ids)
                for t in range(video.num_frames)
            ]
            colours = _segment_colours(panomasks, categories)
            images, annotations = [], []
            for t, pan in enumerate(panomasks):
                image, annotation = _write_frame(root, video, t, pan, colours)
                images.append(image)
                annotations.append(annotation)
            gt['videos'].append(dict(video_id=video.name, images=images))
            gt['annotations'].append(
                dict(video_id=video.name, annotations=annotations))
        save_json(osp.join(root, f'panoptic_gt_VIPSeg_{split}.json'), gt)
    return root
