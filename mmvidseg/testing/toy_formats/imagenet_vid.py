# Copyright (c) OpenMMLab. All rights reserved.
import os
import os.path as osp
from typing import Optional
from xml.etree import ElementTree as ET

import numpy as np

from ..toy_degrade import STRENGTHS, degrade_frame, plan_degradations
from ..toy_video import TOY_CLASSES, TOY_THING_CLASSES, ToyVideo
from ._io import THING_CATEGORY_IDS, SplitVideos, save_jpg, save_json

#: WordNet ids written as ``<name>`` in the XML files, per toy thing class
#: (car is also an ImageNet VID class; person.n.01 and ball.n.01).
TOY_VID_WNIDS = {
    'car': 'n02958343',
    'person': 'n00007846',
    'ball': 'n02778669'
}

#: Sub-directory of the training videos, as in ``ILSVRC2015_VID_train_0000``.
_TRAIN_SUBDIR = 'ILSVRC2015_VID_train_0000'


def imagenet_vid_categories() -> list:
    """CocoVID ``categories`` as mmtracking's converter writes them."""
    return [
        dict(id=i + 1, name=name, encode_name=TOY_VID_WNIDS[name])
        for i, name in enumerate(TOY_THING_CLASSES)
    ]


def _key_frames(num_frames: int) -> list:
    """Frames listed in ``VID_train_15frames.txt``: 15 evenly spaced ones.

    A 300-frame video gives 10, 30, ..., 290 as in the real list; shorter
    toy videos list each frame at most once.
    """
    return sorted({(2 * k + 1) * num_frames // 30 for k in range(15)})


def _occluded(video: ToyVideo, t: int, track: int) -> bool:
    """Whether a nearer thing touches the track's visible pixels."""
    depth = {obj.track_id: obj.depth_at(t) for obj in video.objects}
    mask = video.instance[t] == track
    grown = mask.copy()
    grown[1:] |= mask[:-1]
    grown[:-1] |= mask[1:]
    grown[:, 1:] |= mask[:, :-1]
    grown[:, :-1] |= mask[:, 1:]
    near = [
        depth[int(i)] < depth[track]
        for i in np.unique(video.instance[t][grown & ~mask]) if i > 0
    ]
    return any(near)


def _toy_labels() -> dict:
    """``{'wnid': {label: WordNet id}, 'cat': {label: category id}}`` of
    the toy thing classes."""
    return dict(
        wnid={
            TOY_CLASSES.index(name): wnid
            for name, wnid in TOY_VID_WNIDS.items()
        },
        cat=dict(THING_CATEGORY_IDS))


def _frame_objects(video: ToyVideo, t: int, labels: dict) -> list:
    """The XML ``<object>`` fields of the things visible in frame t
    (``labels``: see :func:`_toy_labels`)."""
    objects = []
    for track in video.visible_tracks(t):
        x1, y1, x2, y2 = (int(v) for v in video.box(t, track))
        objects.append(
            dict(
                trackid=track - 1,
                name=labels['wnid'][video.track_label(track)],
                xmin=x1,
                ymin=y1,
                xmax=x2 - 1,  # ILSVRC boxes are inclusive
                ymax=y2 - 1,
                occluded=_occluded(video, t, track)))
    return objects


def _xml(folder: str, frame: int, video: ToyVideo, objects: list) -> str:
    ann = ET.Element('annotation')
    ET.SubElement(ann, 'folder').text = folder
    ET.SubElement(ann, 'filename').text = f'{frame:06d}'
    ET.SubElement(ET.SubElement(ann, 'source'), 'database').text = \
        'ILSVRC_2015'
    size = ET.SubElement(ann, 'size')
    ET.SubElement(size, 'width').text = str(video.images.shape[2])
    ET.SubElement(size, 'height').text = str(video.images.shape[1])
    for obj in objects:
        node = ET.SubElement(ann, 'object')
        ET.SubElement(node, 'trackid').text = str(obj['trackid'])
        ET.SubElement(node, 'name').text = obj['name']
        box = ET.SubElement(node, 'bndbox')
        for key in ('xmax', 'xmin', 'ymax', 'ymin'):
            ET.SubElement(box, key).text = str(obj[key])
        ET.SubElement(node, 'occluded').text = str(int(obj['occluded']))
        ET.SubElement(node, 'generated').text = '0'
    ET.indent(ann, '\t')
    return ET.tostring(ann, encoding='unicode') + '\n'


def _list_entry(split: str, videos: list, vid_id: int) -> tuple:
    """Video ``vid_id`` (from 1) of a split in mmtracking's list files.

    Returns:
        tuple: ``(rel, keys, lines)``: its path relative to ``Data/VID``,
        its key frames (train only) and its lines in
        ``VID_train_15frames.txt`` / ``VID_val_videos.txt``.
    """
    video = videos[vid_id - 1]
    num_frames = video.num_frames
    if split == 'train':
        rel = f'train/{_TRAIN_SUBDIR}/{video.name}'
        keys = _key_frames(num_frames)
        return rel, keys, [f'{rel} 1 {f + 1} {num_frames}' for f in keys]
    rel = f'val/{video.name}'
    start = 1 + sum(v.num_frames for v in videos[:vid_id - 1])
    return rel, [], [f'{rel} {start} 0 {num_frames}']


def _frame_annotations(coco: dict, instance_ids: dict, video: ToyVideo,
                       vid_id: int, img_id: int, objects: list,
                       labels: dict) -> None:
    """Append the CocoVID annotations of one frame's ``objects`` to
    ``coco``; ``instance_ids`` numbers ``(video, track)`` pairs from 1 over
    the split by first appearance."""
    for obj in objects:
        track = obj['trackid'] + 1
        instance_id = instance_ids.setdefault((vid_id, track),
                                              len(instance_ids) + 1)
        w = obj['xmax'] - obj['xmin']
        h = obj['ymax'] - obj['ymin']
        coco['annotations'].append(
            dict(
                id=len(coco['annotations']) + 1,
                video_id=vid_id,
                image_id=img_id,
                category_id=labels['cat'][video.track_label(track)],
                instance_id=instance_id,
                bbox=[obj['xmin'], obj['ymin'], w, h],
                area=w * h,
                iscrowd=False,
                occluded=obj['occluded'],
                generated=False))


def _write_frame(root: str,
                 coco: dict,
                 instance_ids: dict,
                 rel: str,
                 video: ToyVideo,
                 vid_id: int,
                 keys: list,
                 t: int,
                 degrade: tuple = (None, None, 'mild'),
                 labels: Optional[dict] = None) -> None:
    """Write frame t's JPEG and XML and add it to ``coco`` (see
    :func:`_frame_annotations` for ``instance_ids``); ``degrade`` is
    ``(kind or None, rng, strength)``: the JPEG is degraded, the
    annotations are the clean frame's."""
    img_id = len(coco['images']) + 1
    image = video.images[t]
    if degrade[0] is not None:
        boxes = [video.box(t, track) for track in video.visible_tracks(t)]
        image = degrade_frame(image, degrade[0], boxes, degrade[1],
                              degrade[2])
    save_jpg(osp.join(root, 'Data', 'VID', f'{rel}/{t:06d}.JPEG'), image)
    coco['images'].append(
        dict(
            file_name=f'{rel}/{t:06d}.JPEG',
            height=video.images.shape[1],
            width=video.images.shape[2],
            id=img_id,
            frame_id=t,
            video_id=vid_id,
            is_vid_train_frame=t in keys))
    labels = labels or _toy_labels()
    objects = _frame_objects(video, t, labels)
    _frame_annotations(coco, instance_ids, video, vid_id, img_id, objects,
                       labels)
    xml_path = osp.join(root, 'Annotations', 'VID', f'{rel}/{t:06d}.xml')
    os.makedirs(osp.dirname(xml_path), exist_ok=True)
    with open(xml_path, 'w') as f:
        f.write(_xml(rel.split('/', 1)[1], t, video, objects))


def _plan(video: ToyVideo, degrade: float, rng) -> list:
    """Per frame, its degradation or None (all None when ``degrade`` is
    0, drawing nothing from ``rng``)."""
    if degrade > 0:
        return plan_degradations(video.num_frames, degrade, rng)
    return [None] * video.num_frames


def _category_labels(categories: Optional[list]) -> Optional[dict]:
    """:func:`_toy_labels` of ``categories`` (one per class id), or None
    (the toy classes)."""
    if categories is None:
        return None
    return dict(
        wnid={i: c['encode_name'] for i, c in enumerate(categories)},
        cat={i: c['id'] for i, c in enumerate(categories)})


def _write_videos(root: str, coco: dict, split: str, videos: list,
                  labels: Optional[dict], degrade: tuple) -> list:
    """Write the frames of one split's ``videos`` into ``coco``; returns
    the list-file lines. ``degrade``: (share, seed, strength)."""
    lines, instance_ids = [], {}
    for vid_id, video in enumerate(videos, 1):
        rel, keys, video_lines = _list_entry(split, videos, vid_id)
        lines += video_lines
        coco['videos'].append(dict(id=vid_id, name=rel, vid_train_frames=keys))
        rng = np.random.default_rng([degrade[1], split == 'val', vid_id])
        for t, kind in enumerate(_plan(video, degrade[0], rng)):
            _write_frame(root, coco, instance_ids, rel, video, vid_id, keys,
                         t, (kind, rng, degrade[2]), labels)
    return lines


def write_imagenet_vid(root: str,
                       splits: SplitVideos,
                       degrade: float = 0.0,
                       degrade_seed: int = 0,
                       categories: Optional[list] = None,
                       degrade_strength: str = 'mild') -> str:
    """ImageNet VID: ILSVRC frames and XML, and mmtracking's CocoVID JSON.

    Layout (splits ``train`` and ``val``)::

        <root>/Data/VID/train/ILSVRC2015_VID_train_0000/<video>/000000.JPEG
        <root>/Data/VID/val/<video>/000000.JPEG
        <root>/Annotations/VID/<same relative path>.xml
        <root>/Lists/VID_train_15frames.txt, Lists/VID_val_videos.txt
        <root>/annotations/imagenet_vid_{train,val}.json

    XML as in ILSVRC2015: ``folder``, ``filename``, ``source``, ``size``
    and per object ``trackid`` (0-based per video), ``name`` (a WordNet id,
    :data:`TOY_VID_WNIDS`), ``bndbox`` with *inclusive* pixel coordinates
    (``xmax = x2 - 1`` for the toy's exclusive box edge ``x2``),
    ``occluded`` (a nearer thing touches the object) and ``generated`` 0.

    The list files follow the format mmtracking's converter reads
    (``<video path> 1 <frame + 1> <num frames>`` for train key frames,
    ``<video path> <first global frame, 1-based> 0 <num frames>`` for val),
    and the JSON is exactly what that converter
    (``tools/dataset_converters/ilsvrc/imagenet2coco_vid.py``) produces from
    these files: ``videos`` (``id``, ``name``, ``vid_train_frames``),
    ``images`` (``file_name`` relative to ``Data/VID``, ``height``,
    ``width``, ``id``, ``frame_id``, ``video_id``, ``is_vid_train_frame``),
    ``annotations`` (``bbox = [xmin, ymin, xmax - xmin, ymax - ymin]``, one
    pixel narrower than the visible extent like the converter's output,
    ``area = w * h``, ``category_id`` from 1, ``instance_id`` numbered
    from 1 over the split by first appearance, ``iscrowd`` False,
    ``occluded``, ``generated``) and ``categories``
    (:func:`imagenet_vid_categories`).

    Degraded frames (``degrade`` > 0): that share of each video's frames
    is written blurred, defocused or partly occluded (:mod:`..toy_degrade`,
    drawn from ``degrade_seed``, the split and the video); annotations are
    the clean frames'. ``degrade=0``: the clean output, byte for byte;
    ``degrade_strength='strong'``: heavier blur and near-total occlusion of
    every object (:func:`..toy_degrade.degrade_frame`).

    Args:
        root (str): Output folder; ``splits``: ``{'train': videos, ...}``.
        degrade (float): Share of degraded frames per video (0 to 1).
        degrade_seed (int): Seed of the degradations. Defaults to 0.
        categories (list, optional): The JSON's ``categories``, one per
            class id of the (relabelled) videos. Defaults to the toy ones.
        degrade_strength (str): ``'mild'`` (default) or ``'strong'``.

    Returns:
        str: ``root``.
    """
    if not 0 <= degrade <= 1:
        raise ValueError(f'degrade must be in [0, 1], got {degrade}')
    if degrade_strength not in STRENGTHS:
        raise ValueError(f'degrade_strength must be one of {STRENGTHS}, got '
                         f'{degrade_strength!r}')
    labels = _category_labels(categories)
    for split, videos in splits.items():
        if split not in ('train', 'val'):
            raise ValueError(f'ImageNet VID has splits "train" and "val", '
                             f'got {split!r}')
        coco = dict(
            categories=categories or imagenet_vid_categories(),
            videos=[],
            images=[],
            annotations=[])
        lines = _write_videos(root, coco, split, videos, labels,
                              (degrade, degrade_seed, degrade_strength))
        list_name = 'VID_train_15frames.txt' if split == 'train' \
            else 'VID_val_videos.txt'
        os.makedirs(osp.join(root, 'Lists'), exist_ok=True)
        with open(osp.join(root, 'Lists', list_name), 'w') as f:
            f.write(''.join(line + '\n' for line in lines))
        save_json(
            osp.join(root, 'annotations', f'imagenet_vid_{split}.json'), coco)
    return root
