# Copyright (c) OpenMMLab. All rights reserved.
"""Convert the ImageNet DET images of the 30 VID classes to CocoVID JSON.

Video detectors trained on ImageNet VID (FGFA, SELSA, MEGA, TransVOD, the
mmtracking recipes) also train on the still ImageNet DET images that hold one
of the 30 VID classes, listed in ``DET_train_30classes.txt``. This tool reads
the ILSVRC layout::

    ROOT/Data/DET/train/ILSVRC2014_train_0000/ILSVRC2014_train_00000663.JPEG
    ROOT/Data/DET/train/ILSVRC2013_train/n02958343/n02958343_1234.JPEG
    ROOT/Annotations/DET/<same relative path>.xml
    ROOT/Lists/DET_train_30classes.txt    # "<relative path> 1" per line

and writes each listed image as a one-frame video in the CocoVID schema of
``imagenet_vid2cocovid.py``, which :class:`mmvidseg.datasets.
ImageNetVIDDataset` reads: ``videos`` (``id``, ``name``,
``vid_train_frames`` ``[0]``), ``images`` (``file_name`` relative to
``Data/DET``, ``height``, ``width``, ``id``, ``frame_id`` 0, ``video_id``,
``is_vid_train_frame`` True, so training with ``key_frames_only=True`` keeps
them), ``annotations`` (``bbox = [xmin, ymin, xmax - xmin, ymax - ymin]``
from the XML box as the VID converter computes it, ``area``,
``category_id``, ``instance_id`` unique per object, ``iscrowd`` False) and
``categories`` (the 30 VID classes with their WordNet ids as
``encode_name``). DET annotates 200 classes: objects of the other 170
synsets are dropped and counted in the summary line. Images left without a
VID object are kept (negatives) and counted too.

Two ways to train on VID + DET:

* ``--merge-with annotations/imagenet_vid_train.json`` (recommended) writes
  one JSON holding the VID JSON unchanged plus the DET images, with
  video/image/annotation/instance ids continuing after the VID ones and DET
  ``file_name`` prefixed ``../DET/`` so one ``ImageNetVIDDataset`` with
  ``data_prefix=dict(img_path='Data/VID')`` reads both. The categories (and
  the synsets kept) are those of the VID JSON. This works with
  ``mmdet.TrackImgSampler``.
* Without it, the DET JSON stands alone (``data_prefix=dict(img_path=
  'Data/DET')``) and can join the VID dataset in an mmengine
  ``ConcatDataset``; both JSONs hold the same categories, as ConcatDataset
  requires. mmdet 3.x's ``TrackImgSampler`` cannot index a ConcatDataset
  (it passes ``(video, frame)`` tuples that ConcatDataset does not map), so
  such a config must use ``DefaultSampler`` (one sample per video per epoch).

Examples:
    python tools/dataset_converters/imagenet_det2cocovid.py data/ILSVRC \\
        --merge-with data/ILSVRC/annotations/imagenet_vid_train.json
    python tools/dataset_converters/imagenet_det2cocovid.py data/ILSVRC \\
        --list data/ILSVRC/ImageSets/DET_train_30classes.txt \\
        --out data/ILSVRC/annotations/imagenet_det_30cls.json --nproc 8
"""
import argparse
import json
import os
import os.path as osp
import sys

from mmvidseg.utils.progress import add_nproc_argument, track_map

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from imagenet_vid2cocovid import (_text, default_categories,  # noqa: E402
                                  parse_xml)

DEFAULT_LIST = osp.join('Lists', 'DET_train_30classes.txt')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Convert the ImageNet DET images of the 30 VID classes '
        '(XML) to CocoVID JSON, one one-frame video per image.',
        epilog=__doc__.split('\n\n', 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        'root', help='ILSVRC root (holds Data/DET, Annotations/DET)')
    parser.add_argument(
        '--list',
        help=f'image list, "<path under Annotations/DET without .xml> [n]" '
        f'per line (default: ROOT/{DEFAULT_LIST})')
    parser.add_argument(
        '--out',
        help='output JSON (default: ROOT/annotations/imagenet_det_30cls.json,'
        ' or ROOT/annotations/imagenet_vid_det_train.json with --merge-with)')
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        '--merge-with', metavar='VID_JSON',
        help='a CocoVID JSON of imagenet_vid2cocovid.py: write it plus the '
        'DET images as one JSON, with its categories')
    group.add_argument(
        '--categories',
        help='JSON list of {"id", "name", "encode_name"} to use instead of '
        'the 30 VID categories')
    add_nproc_argument(parser)
    return parser.parse_args(argv)


def read_image_list(path: str) -> list:
    """Relative image paths (no extension) of the list, duplicates removed.

    Lines are ``<path>`` or ``<path> <int>`` (the ILSVRC ``ImageSets``
    format, whose second field is ignored here).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'image list {path} does not exist (DET_train_30classes.txt, '
            f'see --list)')
    names = {}
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) > 2 or (len(fields) == 2 and not fields[1].lstrip(
                    '-').isdigit()):
                raise ValueError(f'{path}:{lineno}: expected "<image path> '
                                 f'[<number>]", got {line!r}')
            names.setdefault(fields[0], None)
    if not names:
        raise ValueError(f'image list {path} lists no image')
    return list(names)


def _int(node, tag: str, path: str) -> int:
    text = _text(node, tag, path)
    try:
        return int(float(text))
    except ValueError:
        raise ValueError(f'{path}: <{tag}> is not a number: '
                         f'{text!r}') from None


def read_det_xml(path: str) -> tuple:
    """``(width, height, [(wnid, (x1, y1, x2, y2)), ...])`` of one image.

    Box corners are the XML's inclusive pixel coordinates.
    """
    root = parse_xml(path)
    size = root.find('size')
    if size is None:
        raise ValueError(f'{path}: <{root.tag}> has no <size>')
    width, height = _int(size, 'width', path), _int(size, 'height', path)
    objects = []
    for obj in root.findall('object'):
        name = obj.find('name')
        if name is None or not (name.text or '').strip():
            raise ValueError(f'{path}: an <object> has no <name>')
        box = obj.find('bndbox')
        if box is None:
            raise ValueError(f'{path}: an <object> has no <bndbox>')
        x1, y1, x2, y2 = (_int(box, k, path)
                          for k in ('xmin', 'ymin', 'xmax', 'ymax'))
        if x2 < x1 or y2 < y1:
            raise ValueError(f'{path}: box ({x1}, {y1}, {x2}, {y2}) has '
                             f'xmax < xmin or ymax < ymin')
        objects.append((name.text.strip(), (x1, y1, x2, y2)))
    return width, height, objects


def convert(root: str, names: list, categories: list, start: dict,
            file_prefix: str = '', nproc: int = 1) -> tuple:
    """CocoVID lists of the DET images and the conversion counts.

    Args:
        root (str): ILSVRC root.
        names (list): Image paths relative to ``Annotations/DET`` and
            ``Data/DET``, without extension.
        categories (list): ``{"id", "name", "encode_name"}`` dicts.
        start (dict): Last ``video``, ``image``, ``annotation`` and
            ``instance`` id already used (0 for a stand-alone JSON).
        file_prefix (str): Prepended to every ``file_name``.
        nproc (int): Processes reading the XML files (same result for any
            number). Defaults to 1.

    Returns:
        tuple: ``(dict(videos, images, annotations), counts)``, ``counts``
        with ``dropped`` (objects of other synsets), ``empty`` (images
        without a kept object) and ``synsets`` (the distinct dropped ones).
    """
    wnid_to_cat = {c['encode_name']: c['id'] for c in categories}
    out = dict(videos=[], images=[], annotations=[])
    dropped, empty, synsets = 0, 0, set()
    parsed = track_map(
        read_det_xml,
        [osp.join(root, 'Annotations', 'DET', name + '.xml')
         for name in names], nproc, chunksize=64)
    for k, (name, (width, height, objects)) in enumerate(
            zip(names, parsed), 1):
        vid_id, img_id = start['video'] + k, start['image'] + k
        out['videos'].append(
            dict(id=vid_id, name=name, vid_train_frames=[0]))
        out['images'].append(
            dict(file_name=f'{file_prefix}{name}.JPEG', height=height,
                 width=width, id=img_id, frame_id=0, video_id=vid_id,
                 is_vid_train_frame=True))
        kept = 0
        for wnid, (x1, y1, x2, y2) in objects:
            if wnid not in wnid_to_cat:
                dropped += 1
                synsets.add(wnid)
                continue
            kept += 1
            n = len(out['annotations']) + 1  # each object its own instance
            w, h = x2 - x1, y2 - y1
            out['annotations'].append(
                dict(id=start['annotation'] + n, video_id=vid_id,
                     image_id=img_id, category_id=wnid_to_cat[wnid],
                     instance_id=start['instance'] + n, bbox=[x1, y1, w, h],
                     area=w * h, iscrowd=False))
        empty += kept == 0
    return out, dict(dropped=dropped, empty=empty, synsets=synsets)


def _load_json(path: str, what: str):
    if not osp.isfile(path):
        raise FileNotFoundError(f'{what} {path} does not exist')
    with open(path) as f:
        try:
            return json.load(f)
        except ValueError as e:
            raise ValueError(f'{what} {path} is not valid JSON: {e}') from None


def _check_categories(categories, path: str) -> None:
    if not isinstance(categories, list) or not categories:
        raise ValueError(f'{path}: categories must be a non-empty list')
    for i, cat in enumerate(categories):
        missing = {'id', 'name', 'encode_name'} - set(cat)
        if missing:
            raise ValueError(f'{path}: category {i} lacks {sorted(missing)}')


def _last_ids(vid: dict, path: str) -> dict:
    """The largest id of each kind in a CocoVID dict (0 when none)."""
    for key in ('videos', 'images', 'annotations'):
        if not isinstance(vid.get(key), list):
            raise ValueError(f'{path}: the top level has no "{key}" list')

    def last(items, key):
        return max((int(x[key]) for x in items if x.get(key) is not None),
                   default=0)

    return dict(video=last(vid['videos'], 'id'),
                image=last(vid['images'], 'id'),
                annotation=last(vid['annotations'], 'id'),
                instance=last(vid['annotations'], 'instance_id'))


def main(argv=None):
    args = parse_args(argv)
    names = read_image_list(args.list or osp.join(args.root, DEFAULT_LIST))
    start = dict(video=0, image=0, annotation=0, instance=0)
    prefix = ''
    if args.merge_with:
        coco = _load_json(args.merge_with, 'VID JSON')
        if not isinstance(coco, dict) or 'categories' not in coco:
            raise ValueError(f'{args.merge_with}: the top level has no '
                             f'"categories"')
        _check_categories(coco['categories'], args.merge_with)
        start = _last_ids(coco, args.merge_with)
        prefix = '../DET/'  # file names are relative to Data/VID
        out = args.out or osp.join(args.root, 'annotations',
                                   'imagenet_vid_det_train.json')
    else:
        categories = default_categories()
        if args.categories:
            categories = _load_json(args.categories, 'categories file')
            _check_categories(categories, args.categories)
        coco = dict(categories=categories, videos=[], images=[],
                    annotations=[])
        out = args.out or osp.join(args.root, 'annotations',
                                   'imagenet_det_30cls.json')
    det, counts = convert(args.root, names, coco['categories'], start,
                          prefix, args.nproc)
    for key in ('videos', 'images', 'annotations'):
        coco[key] = coco[key] + det[key]
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    with open(out, 'w') as f:
        json.dump(coco, f)
    merged = f' (merged after {start["video"]} VID videos)' \
        if args.merge_with else ''
    print(f'DET: {len(det["images"])} images as one-frame videos, '
          f'{len(det["annotations"])} boxes kept, {counts["dropped"]} boxes '
          f'of {len(counts["synsets"])} synset(s) outside the '
          f'{len(coco["categories"])} categories dropped, '
          f'{counts["empty"]} images without a kept box{merged} -> {out}')
    return out


if __name__ == '__main__':
    main()
