# Copyright (c) OpenMMLab. All rights reserved.
"""Convert ImageNet VID (ILSVRC2015 XML layout) to CocoVID JSON.

Reads the release's layout::

    ROOT/Data/VID/{train/ILSVRC2015_VID_train_XXXX,val}/<video>/000000.JPEG
    ROOT/Annotations/VID/<same relative path>/000000.xml
    ROOT/Lists/VID_train_15frames.txt   # <video> 1 <frame + 1> <frames>
    ROOT/Lists/VID_val_videos.txt       # <video> <first id> 0 <frames>

and writes ``ROOT/annotations/imagenet_vid_{train,val}.json`` in the schema
of mmtracking's converter, which :class:`mmvidseg.datasets.
ImageNetVIDDataset` reads: ``categories`` (``id`` from 1, ``name``,
``encode_name``), ``videos`` (``id``, ``name``, ``vid_train_frames``),
``images`` (``file_name`` relative to ``Data/VID``, ``height``, ``width``,
``id``, ``frame_id``, ``video_id``, ``is_vid_train_frame``) and
``annotations`` (``bbox = [xmin, ymin, xmax - xmin, ymax - ymin]`` from the
inclusive XML box, ``area``, ``category_id``, ``instance_id`` numbered from 1
over the split in order of appearance, ``iscrowd`` False, ``occluded``,
``generated``). Objects whose WordNet id is not a category are skipped.

Examples:
    python tools/dataset_converters/imagenet_vid2cocovid.py data/ILSVRC
    python tools/dataset_converters/imagenet_vid2cocovid.py data/ILSVRC \\
        --splits val --categories my_categories.json
    # read the ~1M XML files with 8 processes (same JSON as --nproc 1)
    python tools/dataset_converters/imagenet_vid2cocovid.py data/ILSVRC \\
        --nproc 8
"""
import argparse
import json
import os
import os.path as osp
from functools import partial
from xml.etree import ElementTree as ET

from mmvidseg.utils.progress import add_nproc_argument, track_map

#: The 30 ImageNet VID categories and their WordNet ids, in id order.
VID_CATEGORIES = (
    ('airplane', 'n02691156'), ('antelope', 'n02419796'),
    ('bear', 'n02131653'), ('bicycle', 'n02834778'), ('bird', 'n01503061'),
    ('bus', 'n02924116'), ('car', 'n02958343'), ('cattle', 'n02402425'),
    ('dog', 'n02084071'), ('domestic_cat', 'n02121808'),
    ('elephant', 'n02503517'), ('fox', 'n02118333'),
    ('giant_panda', 'n02510455'), ('hamster', 'n02342885'),
    ('horse', 'n02374451'), ('lion', 'n02129165'), ('lizard', 'n01674464'),
    ('monkey', 'n02484322'), ('motorcycle', 'n03790512'),
    ('rabbit', 'n02324045'), ('red_panda', 'n02509815'),
    ('sheep', 'n02411705'), ('snake', 'n01726692'),
    ('squirrel', 'n02355227'), ('tiger', 'n02129604'), ('train', 'n04468005'),
    ('turtle', 'n01662784'), ('watercraft', 'n04530566'),
    ('whale', 'n02062744'), ('zebra', 'n02391049'))
LISTS = dict(train='VID_train_15frames.txt', val='VID_val_videos.txt')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Convert ImageNet VID XML annotations to CocoVID JSON.',
        epilog=__doc__.split('\n\n', 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('root', help='ILSVRC root (holds Data, Annotations, '
                        'Lists)')
    parser.add_argument(
        '--out-dir', help='output folder (default: ROOT/annotations)')
    parser.add_argument(
        '--splits', nargs='+', default=['train', 'val'],
        choices=['train', 'val'], help='splits to convert (train val)')
    parser.add_argument(
        '--categories',
        help='JSON list of {"id", "name", "encode_name"} to use instead of '
        'the 30 VID categories')
    add_nproc_argument(parser)
    return parser.parse_args(argv)


def default_categories() -> list:
    return [dict(id=i, name=name, encode_name=wnid)
            for i, (name, wnid) in enumerate(VID_CATEGORIES, 1)]


def read_list(path: str, split: str) -> dict:
    """``{video: (num_frames, [key frames])}`` in file order."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'list file {path} does not exist')
    videos = {}
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 4:
                raise ValueError(f'{path}:{lineno}: expected 4 fields '
                                 f'"<video> <a> <b> <frames>", got {line!r}')
            name, num = fields[0], int(fields[3])
            _, keys = videos.setdefault(name, (num, []))
            if split == 'train':
                keys.append(int(fields[2]) - 1)  # 1-based frame index
    return videos


def _text(node, tag: str, path: str) -> str:
    child = node.find(tag)
    if child is None or child.text is None:
        raise ValueError(f'{path}: <{node.tag}> has no <{tag}>')
    return child.text.strip()


def parse_xml(path: str) -> ET.Element:
    """The root element of an ILSVRC annotation file (clear errors for a
    missing file or invalid XML)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'annotation {path} does not exist')
    try:
        return ET.parse(path).getroot()
    except ET.ParseError as e:
        raise ValueError(f'{path} is not valid XML: {e}') from None


def read_xml(path: str, wnid_to_cat: dict) -> tuple:
    """``(width, height, objects)`` of one frame's annotation."""
    root = parse_xml(path)
    size = root.find('size')
    if size is None:
        raise ValueError(f'{path}: <annotation> has no <size>')
    width, height = int(_text(size, 'width', path)), int(
        _text(size, 'height', path))
    objects = []
    for obj in root.findall('object'):
        wnid = _text(obj, 'name', path)
        if wnid not in wnid_to_cat:
            continue
        box = obj.find('bndbox')
        if box is None:
            raise ValueError(f'{path}: an <object> has no <bndbox>')
        x1, y1, x2, y2 = (int(_text(box, k, path))
                          for k in ('xmin', 'ymin', 'xmax', 'ymax'))
        objects.append(
            dict(
                track=_text(obj, 'trackid', path),
                category_id=wnid_to_cat[wnid],
                box=(x1, y1, x2, y2),
                occluded=_text(obj, 'occluded', path) == '1',
                generated=_text(obj, 'generated', path) == '1'))
    return width, height, objects


def read_video(task: tuple, root: str, wnid_to_cat: dict) -> list:
    """``read_xml`` of every frame of a ``(name, num_frames)`` video."""
    name, num_frames = task
    return [
        read_xml(
            osp.join(root, 'Annotations', 'VID', f'{name}/{frame:06d}.xml'),
            wnid_to_cat) for frame in range(num_frames)
    ]


def convert_split(root: str, split: str, categories: list,
                  nproc: int = 1) -> dict:
    """The CocoVID dict of one split; the XML files are read in ``nproc``
    processes, one video per task (same result for any ``nproc``)."""
    wnid_to_cat = {c['encode_name']: c['id'] for c in categories}
    videos = read_list(osp.join(root, 'Lists', LISTS[split]), split)
    frames = track_map(
        partial(read_video, root=root, wnid_to_cat=wnid_to_cat),
        [(name, num) for name, (num, _) in videos.items()], nproc)
    coco = dict(categories=categories, videos=[], images=[], annotations=[])
    next_instance = 1
    for vid_id, ((name, (num_frames, keys)),
                 annotations) in enumerate(zip(videos.items(), frames), 1):
        coco['videos'].append(dict(id=vid_id, name=name,
                                   vid_train_frames=keys))
        instances = {}
        for frame, (width, height, objects) in enumerate(annotations):
            rel = f'{name}/{frame:06d}'
            img_id = len(coco['images']) + 1
            coco['images'].append(
                dict(file_name=rel + '.JPEG', height=height, width=width,
                     id=img_id, frame_id=frame, video_id=vid_id,
                     is_vid_train_frame=frame in keys))
            for obj in objects:
                if obj['track'] not in instances:
                    instances[obj['track']] = next_instance
                    next_instance += 1
                x1, y1, x2, y2 = obj['box']
                w, h = x2 - x1, y2 - y1
                coco['annotations'].append(
                    dict(id=len(coco['annotations']) + 1, video_id=vid_id,
                         image_id=img_id, category_id=obj['category_id'],
                         instance_id=instances[obj['track']],
                         bbox=[x1, y1, w, h], area=w * h, iscrowd=False,
                         occluded=obj['occluded'],
                         generated=obj['generated']))
    return coco


def main(argv=None):
    args = parse_args(argv)
    categories = default_categories()
    if args.categories:
        with open(args.categories) as f:
            categories = json.load(f)
        for i, cat in enumerate(categories):
            missing = {'id', 'name', 'encode_name'} - set(cat)
            if missing:
                raise ValueError(f'{args.categories}: category {i} lacks '
                                 f'{sorted(missing)}')
    out_dir = args.out_dir or osp.join(args.root, 'annotations')
    os.makedirs(out_dir, exist_ok=True)
    for split in args.splits:
        coco = convert_split(args.root, split, categories, args.nproc)
        out = osp.join(out_dir, f'imagenet_vid_{split}.json')
        with open(out, 'w') as f:
            json.dump(coco, f)
        print(f'{split}: {len(coco["videos"])} videos, '
              f'{len(coco["images"])} images, '
              f'{len(coco["annotations"])} boxes -> {out}')


if __name__ == '__main__':
    main()
