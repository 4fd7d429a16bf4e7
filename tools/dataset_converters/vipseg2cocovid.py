# Copyright (c) OpenMMLab. All rights reserved.
"""Convert VIPSeg ``panomasks`` to the COCO-panoptic video labels that
VIPSeg's official VPQ/STQ evaluation reads.

Does what the release's ``create_panoptic_video_labels.py`` and
``splitjson.py`` do, for one split file at a time::

    ROOT/panomasks/<video>/<frame>.png     (input, uint16)
    ROOT/panoVIPSeg_categories.json        (input: id, name, isthing, color)
    ROOT/<split>.txt                       (input: video names)
    ROOT/panomasksRGB/<video>/<frame>.png  (output, id = R + 256 G + 256^2 B)
    ROOT/panoptic_gt_VIPSeg_<split>.json   (output)

A panomask value ``v`` (0 void) is a segment of category ``v - 1`` when
``v < 125`` (stuff) and ``v // 100 - 1`` otherwise (things). Every value
keeps one colour, hence one segment id, for its whole video: stuff takes
its category colour, the first instance of a thing category too, and later
instances an unused colour near it (panopticapi's ``IdGenerator`` rule; the
jitter is seeded, so the output is deterministic). The JSON holds
``videos`` (``video_id``, ``images`` of ``id``, ``width``, ``height``,
``file_name``), ``annotations`` (``video_id``, ``annotations`` of
``image_id``, ``file_name``, ``segments_info`` of ``id``, ``category_id``,
``iscrowd`` 0, ``area``) and ``categories``.

The official script reads the stray value 200 as category 1; pass
``--void-200`` to treat it as void, as Video K-Net, Tube-Link and
mmvidseg's ``LoadPanopticMap(format='vipseg')`` do.

Examples:
    python tools/dataset_converters/vipseg2cocovid.py data/VIPSeg
    python tools/dataset_converters/vipseg2cocovid.py data/VIPSeg \\
        --splits val --void-200 --nproc 4
"""
import argparse
import json
import os
import os.path as osp
from functools import partial

import numpy as np
from PIL import Image

from mmvidseg.utils.progress import add_nproc_argument, track_map


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Convert VIPSeg panomasks to COCO-panoptic video JSON + '
        'RGB PNGs (the official evaluation format).',
        epilog=__doc__.split('\n\n', 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('root', help='VIPSeg root (holds panomasks/)')
    parser.add_argument(
        '--splits', nargs='+', default=['train', 'val'],
        help='split files <root>/<split>.txt to convert (train val)')
    parser.add_argument(
        '--categories', help='categories JSON (default: '
        'ROOT/panoVIPSeg_categories.json)')
    parser.add_argument(
        '--void-200', action='store_true',
        help='treat the value 200 as void instead of category 1')
    add_nproc_argument(parser)
    return parser.parse_args(argv)


def load_categories(path: str) -> list:
    if not osp.isfile(path):
        raise FileNotFoundError(f'categories file {path} does not exist')
    with open(path) as f:
        cats = json.load(f)
    for i, cat in enumerate(cats):
        missing = {'id', 'name', 'isthing', 'color'} - set(cat)
        if missing:
            raise ValueError(f'{path}: category {i} lacks {sorted(missing)}')
    return cats


class ColourBook:
    """One colour (segment id) per panomask value of a video."""

    def __init__(self, categories: list, seed: int = 0):
        self.cats = {c['id']: c for c in categories}
        self.rng = np.random.default_rng(seed)
        self.taken = {(0, 0, 0)}
        self.colours = {}

    def colour(self, value: int, category: int) -> tuple:
        if value in self.colours:
            return self.colours[value]
        base = tuple(int(c) for c in self.cats[category]['color'])
        colour = base
        if self.cats[category]['isthing']:
            while colour in self.taken:
                jitter = self.rng.integers(-30, 31, size=3)
                colour = tuple(
                    int(c) for c in np.clip(np.add(base, jitter), 0, 255))
        self.taken.add(colour)
        self.colours[value] = colour
        return colour


def category_of(value: int) -> int:
    """Category id of a non-void panomask value (the official rule)."""
    return (value if value < 125 else value // 100) - 1


def convert_video(root: str, video: str, categories: list,
                  void_200: bool) -> tuple:
    """Write one video's RGB PNGs; return its JSON ``images`` and
    ``annotations``."""
    src = osp.join(root, 'panomasks', video)
    if not osp.isdir(src):
        raise FileNotFoundError(f'panomask folder {src} does not exist')
    names = sorted(f for f in os.listdir(src) if f.endswith('.png'))
    if not names:
        raise ValueError(f'panomask folder {src} holds no PNG: an empty '
                         'video')
    book = ColourBook(categories)
    cat_ids = {c['id'] for c in categories}
    images, annotations = [], []
    for name in names:
        path = osp.join(src, name)
        try:
            with Image.open(path) as img:
                pan = np.array(img).astype(np.int64)
        except Exception as e:
            raise ValueError(f'panomask {path} cannot be decoded: {e}')
        if pan.ndim != 2:
            raise ValueError(f'panomask {path} has shape {pan.shape}: '
                             'expected a single-channel PNG')
        rgb = np.zeros(pan.shape + (3, ), np.uint8)
        segments = []
        for value in np.unique(pan).tolist():
            if value == 0 or (void_200 and value == 200):
                continue
            category = category_of(value)
            if category not in cat_ids:
                raise ValueError(f'panomask {path} holds value {value}: '
                                 f'category {category} is not in the list')
            colour = book.colour(value, category)
            mask = pan == value
            rgb[mask] = colour
            segments.append(
                dict(id=colour[0] + 256 * colour[1] + 65536 * colour[2],
                     category_id=category, iscrowd=0, area=int(mask.sum())))
        out = osp.join(root, 'panomasksRGB', video, name)
        os.makedirs(osp.dirname(out), exist_ok=True)
        Image.fromarray(rgb).save(out)
        stem = osp.splitext(name)[0]
        images.append(dict(id=stem, width=pan.shape[1], height=pan.shape[0],
                           file_name=name))
        annotations.append(dict(image_id=stem, file_name=name,
                                segments_info=segments))
    return images, annotations


def convert_video_task(video: str, root: str, categories: list,
                       void_200: bool) -> tuple:
    """:func:`convert_video` with the video first (a ``track_map``
    task)."""
    return convert_video(root, video, categories, void_200)


def main(argv=None):
    args = parse_args(argv)
    categories = load_categories(
        args.categories
        or osp.join(args.root, 'panoVIPSeg_categories.json'))
    for split in args.splits:
        split_file = osp.join(args.root, f'{split}.txt')
        if not osp.isfile(split_file):
            raise FileNotFoundError(f'split file {split_file} does not exist')
        with open(split_file) as f:
            videos = [line.strip() for line in f if line.strip()]
        gt = dict(videos=[], annotations=[], categories=categories)
        # one video per task; each video's colours depend on it alone, so
        # any --nproc writes the same files
        converted = track_map(
            partial(convert_video_task, root=args.root,
                    categories=categories, void_200=args.void_200), videos,
            args.nproc)
        for video, (images, annotations) in zip(videos, converted):
            gt['videos'].append(dict(video_id=video, images=images))
            gt['annotations'].append(
                dict(video_id=video, annotations=annotations))
        out = osp.join(args.root, f'panoptic_gt_VIPSeg_{split}.json')
        with open(out, 'w') as f:
            json.dump(gt, f)
        print(f'{split}: {len(videos)} videos -> {out}')


if __name__ == '__main__':
    main()
