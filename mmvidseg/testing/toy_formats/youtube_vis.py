# Copyright (c) OpenMMLab. All rights reserved.
import os.path as osp
from typing import List, Optional

from ..toy_video import TOY_THING_CLASSES, ToyVideo
from ._io import (THING_CATEGORY_IDS, SplitVideos, mask_bbox, rle_encode,
                  save_jpg, save_json, thing_tracks)

#: The release calls its validation split ``valid``.
_SPLIT_DIRS = {'val': 'valid'}


def youtube_vis_categories() -> list:
    """YouTube-VIS ``categories``: the toy thing classes, ids from 1."""
    return [
        dict(supercategory='object', id=i + 1, name=name)
        for i, name in enumerate(TOY_THING_CLASSES)
    ]


def _video_entry(vid_id: int, video: ToyVideo, names: list) -> dict:
    """The ``videos`` entry of a video whose frames are ``names``."""
    num_frames, height, width = video.semantic.shape
    return dict(
        license=1,
        coco_url='',
        height=height,
        width=width,
        length=num_frames,
        date_captured='',
        file_names=names,
        flickr_url='',
        id=vid_id)


def _track_annotation(video: ToyVideo, track: int, vid_id: int, ann_id: int,
                      compressed_rle: bool, category_ids: dict) -> dict:
    """The ``annotations`` entry of one track: per-frame RLE, box, area;
    ``category_ids`` maps its class id to its category id."""
    segms, bboxes, areas = [], [], []
    for mask in video.instance == track:
        if not mask.any():
            segms.append(None)
            bboxes.append(None)
            areas.append(None)
            continue
        segms.append(rle_encode(mask, compressed_rle))
        bboxes.append([float(v) for v in mask_bbox(mask)])
        areas.append(int(mask.sum()))
    _, height, width = video.semantic.shape
    return dict(
        height=height,
        width=width,
        length=1,
        category_id=category_ids[video.track_label(track)],
        segmentations=segms,
        bboxes=bboxes,
        video_id=vid_id,
        iscrowd=0,
        id=ann_id,
        areas=areas)


def _empty_json(version: str, categories: List[dict]) -> dict:
    """A split's JSON before its ``videos`` and ``annotations``."""
    return dict(
        info=dict(
            description=f'mmvidseg toy YouTube-VIS {version}',
            version='1.0',
            year=int(version)),
        licenses=[dict(id=1, name='generated toy data', url='')],
        videos=[],
        categories=categories,
        annotations=[])


def write_youtube_vis(root: str,
                      splits: SplitVideos,
                      version: str = '2019',
                      compressed_rle: bool = False,
                      categories: Optional[List[dict]] = None) -> str:
    """YouTube-VIS 2019 / 2021 (and OVIS, same schema).

    Layout, as the official release ships it (split ``val`` is written as
    ``valid``, the release's name)::

        <root>/<split>/JPEGImages/<video>/00000.jpg, 00005.jpg, ...
        <root>/<split>.json                 # version '2019'
        <root>/<split>/instances.json       # version '2021'

    Frames are named by their index in the source video, which the release
    samples every fifth frame. The JSON holds ``info``, ``licenses``,
    ``videos`` (``id`` from 1, ``width``, ``height``, ``length``,
    ``file_names`` relative to ``JPEGImages``), ``categories`` (the toy
    thing classes, ids from 1) and ``annotations``: one per track with
    per-frame lists ``segmentations`` (RLE or None), ``bboxes``
    (``[x, y, w, h]`` floats or None) and ``areas`` (int or None), plus
    ``category_id``, ``iscrowd`` 0, ``height``, ``width`` and ``length``,
    which the release sets to 1 in every annotation. The release only
    annotates ``train``; here every split carries annotations so that it can
    be evaluated locally.

    Args:
        root (str): Output directory.
        splits (dict): ``{split: [ToyVideo, ...]}``.
        version (str): '2019' or '2021'. Defaults to '2019'.
        compressed_rle (bool): False writes the uncompressed RLE (``counts``
            a list of ints) of the official annotation files; True writes
            pycocotools' compressed RLE (``counts`` a str). Defaults to False.
        categories (List[dict], optional): The JSON's ``categories``
            (``id``, ``name``, ``supercategory``), for videos whose track
            labels were relabelled to indices into this list (e.g. the 40
            YouTube-VIS 2019 classes: class id ``c`` is
            ``categories[c]``). Defaults to the toy thing classes
            (:func:`youtube_vis_categories`, toy class ids).

    Returns:
        str: ``root``.
    """
    if version not in ('2019', '2021'):
        raise ValueError(f'YouTube-VIS version must be "2019" or "2021", '
                         f'got {version!r}')
    if categories is None:
        categories, category_ids = youtube_vis_categories(), \
            THING_CATEGORY_IDS
    else:
        category_ids = {i: c['id'] for i, c in enumerate(categories)}
    for split, videos in splits.items():
        split_dir = _SPLIT_DIRS.get(split, split)
        ann = _empty_json(version, categories)
        for vid_id, video in enumerate(videos, 1):
            names = [
                f'{video.name}/{5 * t:05d}.jpg'
                for t in range(video.num_frames)
            ]
            for t, name in enumerate(names):
                save_jpg(
                    osp.join(root, split_dir, 'JPEGImages', name),
                    video.images[t])
            ann['videos'].append(_video_entry(vid_id, video, names))
            for track in thing_tracks(video):
                ann['annotations'].append(
                    _track_annotation(video, track, vid_id,
                                      len(ann['annotations']) + 1,
                                      compressed_rle, category_ids))
        if version == '2019':
            save_json(osp.join(root, f'{split_dir}.json'), ann)
        else:
            save_json(osp.join(root, split_dir, 'instances.json'), ann)
    return root
