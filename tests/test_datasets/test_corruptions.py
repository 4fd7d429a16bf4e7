# Copyright (c) OpenMMLab. All rights reserved.
"""Corruption suite: no bad dataset input passes silently (issue 17).

For every on-disk format the toy writers of
:mod:`mmvidseg.testing.toy_formats` produce, a table of corruptions is
applied to a copy of small toy data (one 3-frame 32x48 video per format,
written once per module). Each row builds the dataset in test mode with
its full loading pipeline, runs the pipeline over every item
(:func:`_load_all`) and asserts one of:

* an exception whose message contains the offending path: the deleted,
  truncated, resized... file itself (a deleted frame is named by its own
  path, whichever check finds it), or the list / JSON that is wrong;
* ``UNCHANGED``: the edit is one the format allows (blank lines and CRLF
  line ends in lists, re-indented JSON, an unrelated file beside the
  frames): loading gives exactly what the clean data gives.

A new format joins by adding a ``BUILDERS`` entry and its rows to
``ROWS``; every format needs at least 5 rows that must fail
(:func:`test_every_format_has_a_table`).
"""
import json
import os
import os.path as osp
import shutil
from collections import Counter

import numpy as np
import pytest
import torch
from PIL import Image

from mmvidseg.datasets import (CityscapesDVPSDataset, CityscapesVPSDataset,
                               DAVISDataset, FrameTripletDataset,
                               ImageNetVIDDataset, KITTISTEPDataset,
                               SemKITTIDVPSDataset, VIPSegDataset, VSPWDataset,
                               YouTubeVISDataset, YouTubeVOSDataset)
from mmvidseg.testing import (TOY_CLASSES, TOY_PALETTE, TOY_THING_CLASSES,
                              generate_toy_video)

HEIGHT, WIDTH = 32, 48
TOY_META = dict(
    classes=TOY_CLASSES, thing_classes=TOY_THING_CLASSES, palette=TOY_PALETTE)
NUM_CLASSES = len(TOY_CLASSES)
#: The result of a row whose edit the format allows.
UNCHANGED = 'UNCHANGED'

# ------------------------------------------------------------ the formats


def _pipeline(*loaders):
    return [
        dict(
            type='TransformBroadcaster',
            transforms=[dict(type='LoadImageFromFile'), *loaders]),
        dict(type='PackVideoInputs'),
    ]


def _panoptic(fmt):
    return dict(
        type='LoadPanopticMap',
        format=fmt,
        num_classes=NUM_CLASSES,
        with_instances=True)


def _sequence_prefix(split='val'):
    return dict(img_path=f'video_sequence/{split}')


TRIPLET_PIPELINE = [
    dict(type='LoadFrameTriplet'),
    dict(type='PackTripletInputs', pack_frames='all')
]

#: ``format -> (toy writer, dataset builder(root, **kwargs))``.
BUILDERS = {
    'vspw': ('vspw', lambda root, **kw: VSPWDataset(
        data_root=root,
        ann_file='val.txt',
        pipeline=_pipeline(
            dict(
                type='LoadSemSegMap',
                num_classes=NUM_CLASSES,
                reduce_zero_label=True,
                ignore_values=(0, 253, 255))),
        **kw)),
    'kitti_step': ('kitti_step', lambda root, **kw: KITTISTEPDataset(
        data_root=root,
        data_prefix=_sequence_prefix(),
        metainfo=TOY_META,
        pipeline=_pipeline(_panoptic('kitti_step')),
        **kw)),
    'vipseg': ('vipseg', lambda root, **kw: VIPSegDataset(
        data_root=root, pipeline=_pipeline(_panoptic('vipseg')), **kw)),
    'cityscapes_vps': ('cityscapes_vps',
                       lambda root, **kw: CityscapesVPSDataset(
                           data_root=root,
                           metainfo=TOY_META,
                           pipeline=_pipeline(_panoptic('coco_video')),
                           **kw)),
    'cityscapes_dvps': ('cityscapes_dvps',
                        lambda root, **kw: CityscapesDVPSDataset(
                            data_root=root,
                            data_prefix=_sequence_prefix(),
                            metainfo=TOY_META,
                            pipeline=_pipeline(
                                _panoptic('cityscapes_dvps'),
                                dict(type='LoadDepthMap')),
                            **kw)),
    'semkitti_dvps': ('semkitti_dvps',
                      lambda root, **kw: SemKITTIDVPSDataset(
                          data_root=root,
                          data_prefix=_sequence_prefix(),
                          metainfo=TOY_META,
                          pipeline=_pipeline(
                              _panoptic('semkitti_dvps'),
                              dict(type='LoadDepthMap')),
                          **kw)),
    'youtube_vis': ('youtube_vis', lambda root, **kw: YouTubeVISDataset(
        data_root=root,
        ann_file='valid.json',
        data_prefix=dict(img_path='valid/JPEGImages'),
        pipeline=_pipeline(dict(type='LoadVideoInstances', with_mask=True)),
        **kw)),
    'imagenet_vid': ('imagenet_vid', lambda root, **kw: ImageNetVIDDataset(
        data_root=root,
        ann_file='annotations/imagenet_vid_val.json',
        pipeline=_pipeline(dict(type='LoadVideoInstances')),
        **kw)),
    'davis': ('davis', lambda root, **kw: DAVISDataset(
        data_root=root,
        data_prefix=dict(
            img_path='JPEGImages/480p',
            seg_map_path='Annotations/480p',
            flow_path='Flow/480p'),
        pipeline=_pipeline(
            dict(type='LoadVOSAnnotation'), dict(type='LoadOpticalFlow')),
        **kw)),
    'youtube_vos': ('youtube_vos', lambda root, **kw: YouTubeVOSDataset(
        data_root=root,
        pipeline=_pipeline(dict(type='LoadVOSAnnotation')),
        **kw)),
    'triplets_dvf': ('triplets', lambda root, **kw: FrameTripletDataset(
        data_root=root,
        ann_file='data_list/ucf101_val_files_frame1.txt',
        data_prefix=dict(img_path='ucf101_triplets', mask_path='motion_masks'),
        pipeline=TRIPLET_PIPELINE,
        **kw)),
    'triplets_folder': ('triplets', lambda root, **kw: FrameTripletDataset(
        data_root=root,
        list_format='folder',
        data_prefix=dict(img_path='videos'),
        pipeline=TRIPLET_PIPELINE,
        **kw)),
}

# ------------------------------------------------------------ corruptions


def delete(*rels, expect=None):
    """Delete files; the offending path is ``expect`` (default the first
    deleted file)."""

    def corrupt(root):
        for rel in rels:
            os.remove(osp.join(root, rel))
        return osp.join(root, expect or rels[0])

    return corrupt


def empty_folder(rel):
    """Delete every file of a folder (an empty video)."""

    def corrupt(root):
        folder = osp.join(root, rel)
        for name in os.listdir(folder):
            os.remove(osp.join(folder, name))
        return folder

    return corrupt


def truncate(rel, drop=None):
    """Cut a file to half its length (or drop its last ``drop`` bytes)."""

    def corrupt(root):
        path = osp.join(root, rel)
        with open(path, 'rb') as f:
            data = f.read()
        with open(path, 'wb') as f:
            f.write(data[:len(data) - drop] if drop else data[:len(data) // 2])
        return path

    return corrupt


def crop(rel):
    """Save an image / mask at half its width (a wrong-size file)."""

    def corrupt(root):
        path = osp.join(root, rel)
        with Image.open(path) as img:
            img.load()
            small = img.crop((0, 0, img.width // 2, img.height))
        small.save(path, format=img.format)
        return path

    return corrupt


def paint(rel, value):
    """Write ``value`` into the top-left 4x4 pixels of a label PNG (as an
    array of its decoded values; uint16 PNGs stay 16-bit)."""

    def corrupt(root):
        path = osp.join(root, rel)
        with Image.open(path) as img:
            array = np.array(img)
        array[:4, :4] = value
        Image.fromarray(array).save(path)
        return path

    return corrupt


def edit_json(rel, edit):
    """Load a JSON, let ``edit`` change it in place, write it back."""

    def corrupt(root):
        path = osp.join(root, rel)
        with open(path) as f:
            obj = json.load(f)
        edit(obj)
        with open(path, 'w') as f:
            json.dump(obj, f)
        return path

    return corrupt


def edit_bytes(edit, *rels, result=None):
    """Rewrite files with ``edit(bytes) -> bytes``; the offending path is
    the first file, or ``result`` (e.g. :data:`UNCHANGED`)."""

    def corrupt(root):
        for rel in rels:
            path = osp.join(root, rel)
            with open(path, 'rb') as f:
                data = f.read()
            with open(path, 'wb') as f:
                f.write(edit(data))
        return result or osp.join(root, rels[0])

    return corrupt


def copy_file(src, dst):
    """Copy a file to a new name; the new file is the offending one."""

    def corrupt(root):
        shutil.copy(osp.join(root, src), osp.join(root, dst))
        return osp.join(root, dst)

    return corrupt


def rename(src, dst):
    """Rename a file; the new name is the offending one."""

    def corrupt(root):
        os.rename(osp.join(root, src), osp.join(root, dst))
        return osp.join(root, dst)

    return corrupt


def save_rgb(rel):
    """Overwrite a label PNG with a black RGB image of the toy size."""

    def corrupt(root):
        path = osp.join(root, rel)
        Image.fromarray(np.zeros((HEIGHT, WIDTH, 3), np.uint8)).save(path)
        return path

    return corrupt


def allowed(corrupt):
    """Mark an edit the format allows (its result is :data:`UNCHANGED`)."""
    corrupt.allowed = True
    return corrupt


def add_file(rel):
    """Put an unrelated file beside the data: allowed, nothing changes."""

    def corrupt(root):
        with open(osp.join(root, rel), 'w') as f:
            f.write('notes\n')
        return UNCHANGED

    return allowed(corrupt)


def _not_utf8(data):
    return b'caf\xe9\n' + data


def _crlf_blank_lines(data):
    return data.replace(b'\n', b'\r\n') + b'\r\n\r\n'


def reindent(rel):
    """Re-indent a JSON file: allowed, nothing changes."""

    def corrupt(root):
        path = osp.join(root, rel)
        with open(path) as f:
            obj = json.load(f)
        with open(path, 'w') as f:
            json.dump(obj, f, indent=2)
        return UNCHANGED

    return allowed(corrupt)


def crlf(*rels):
    """CRLF line ends and trailing blank lines in lists: allowed."""
    return allowed(edit_bytes(_crlf_blank_lines, *rels, result=UNCHANGED))


def not_utf8(rel):
    """A non-UTF-8 byte in a text list."""
    return edit_bytes(_not_utf8, rel)


def expect(rel, corrupt):
    """Run ``corrupt`` but expect another offending path, ``rel``."""

    def wrapped(root):
        corrupt(root)
        return osp.join(root, rel)

    return wrapped


# ------------------------------------------------------------ the table

VSPW_V = 'data/toy_1000'
SEQ = 'video_sequence/val'
CS = f'{SEQ}/000000_00000{{}}_toy_000000_00000{{}}'
SK_DEPTH = 'depth_718.8560180664062.png'
DAVIS_IMG = 'JPEGImages/480p/toy_1000'
DAVIS_ANN = 'Annotations/480p/toy_1000'
DAVIS_FLOW = 'Flow/480p/toy_1000'
VIS_JSON = 'valid.json'
VIS_IMG = 'valid/JPEGImages/toy_1000'
VID_JSON = 'annotations/imagenet_vid_val.json'
VID_IMG = 'Data/VID/val/toy_1000'
VOS = 'valid/JPEGImages/toy_1000'
VOS_ANN = 'valid/Annotations/toy_1000'
VOS_META = 'valid/meta.json'
CVPS_JSON = 'panoptic_gt_val_city_vps.json'
CVPS_IMG = 'val/img/0001_000{}_toy_000001_00000{}_newImg8bit.png'
CVPS_PAN = 'val/panoptic_video/0001_000{}_toy_000001_00000{}_final_mask.png'
DVF = 'data_list/ucf101_val_files_frame{}.txt'


def _seq(t, suffix):
    """KITTI-STEP / SemKITTI-DVPS file of frame ``t`` of sequence 0."""
    return f'{SEQ}/000000_{t:06d}_{suffix}'


def _cs(t, suffix):
    return CS.format(t, t) + suffix


def _cvps(template, t):
    return template.format(t, t)


def _vis_resize_rle(ann):
    segm = next(s for s in ann['annotations'][0]['segmentations'] if s)
    segm['size'] = [16, 16]


def _vid_ghost_video(coco):
    coco['videos'].append(dict(id=99, name='toy_ghost'))


def _no_images(coco):
    coco['images'], coco['annotations'] = [], []


def _no_videos(ann):
    ann['videos'], ann['annotations'] = [], []


def _cvps_unlisted_category(gt):
    gt['annotations'][0]['segments_info'][0]['category_id'] = 77


ROWS = {
    'vspw': [
        ('delete frame', {}, delete(f'{VSPW_V}/origin/00000001.jpg')),
        ('delete last frame', {}, delete(f'{VSPW_V}/origin/00000002.jpg')),
        ('delete mask', {}, delete(f'{VSPW_V}/mask/00000001.png')),
        ('truncate frame', {}, truncate(f'{VSPW_V}/origin/00000001.jpg')),
        ('truncate mask', {}, truncate(f'{VSPW_V}/mask/00000002.png')),
        ('resize mask', {}, crop(f'{VSPW_V}/mask/00000001.png')),
        ('class out of range', {}, paint(f'{VSPW_V}/mask/00000001.png', 200)),
        ('rgb mask', {}, save_rgb(f'{VSPW_V}/mask/00000000.png')),
        ('empty video', {}, empty_folder(f'{VSPW_V}/origin')),
        ('non-utf8 split list', {}, not_utf8('val.txt')),
        ('truncate class json', {}, truncate('label_num_dic_final.json')),
        ('split names a missing video', {},
         expect('data/toy_9999/origin',
                edit_bytes(lambda b: b + b'toy_9999\n', 'val.txt'))),
        ('crlf split list', {}, crlf('val.txt')),
        ('unrelated file', {}, add_file(f'{VSPW_V}/origin/Thumbs.db')),
    ],
    'kitti_step': [
        ('delete frame', {}, delete(_seq(1, 'leftImg8bit.png'))),
        ('delete last frame', {},
         delete(_seq(2, 'leftImg8bit.png'))),
        ('delete frame and its map', {},
         delete(_seq(1, 'leftImg8bit.png'),
                _seq(1, 'panoptic.png'))),
        ('delete frame, test split', dict(with_gt=False),
         delete(_seq(1, 'leftImg8bit.png'),
                _seq(1, 'panoptic.png'))),
        ('delete panoptic map', {}, delete(_seq(1, 'panoptic.png'))),
        ('truncate frame', {}, truncate(_seq(1, 'leftImg8bit.png'))),
        ('truncate panoptic map', {},
         truncate(_seq(2, 'panoptic.png'))),
        ('resize panoptic map', {}, crop(_seq(1, 'panoptic.png'))),
        ('class out of range', {},
         paint(_seq(1, 'panoptic.png'), [100, 0, 0])),
        ('bad file name', {},
         copy_file(_seq(0, 'leftImg8bit.png'),
                   f'{SEQ}/frame_leftImg8bit.png')),
        ('unrelated file', {}, add_file(f'{SEQ}/README.txt')),
    ],
    'vipseg': [
        ('delete frame', {}, delete('images/toy_1000/00000001.jpg')),
        ('delete last frame', {}, delete('images/toy_1000/00000002.jpg')),
        ('delete panomask', {}, delete('panomasks/toy_1000/00000001.png')),
        ('truncate frame', {}, truncate('images/toy_1000/00000000.jpg')),
        ('truncate panomask', {}, truncate('panomasks/toy_1000/00000001.png')),
        ('resize panomask', {}, crop('panomasks/toy_1000/00000001.png')),
        ('class out of range', {},
         paint('panomasks/toy_1000/00000001.png', np.uint16(120))),
        ('empty video', {}, empty_folder('images/toy_1000')),
        ('non-utf8 split list', {}, not_utf8('val.txt')),
        ('categories missing a key', {},
         edit_json('panoVIPSeg_categories.json',
                   lambda cats: cats[0].pop('isthing'))),
        ('truncate categories json', {},
         truncate('panoVIPSeg_categories.json')),
        ('crlf split list', {}, crlf('val.txt')),
    ],
    'cityscapes_vps': [
        ('delete frame', {}, delete(_cvps(CVPS_IMG, 1))),
        ('delete panoptic png', {}, delete(_cvps(CVPS_PAN, 1))),
        ('truncate frame', {}, truncate(_cvps(CVPS_IMG, 2))),
        ('truncate panoptic png', {}, truncate(_cvps(CVPS_PAN, 0))),
        ('resize panoptic png', {}, crop(_cvps(CVPS_PAN, 1))),
        ('unlisted segment id', {}, paint(_cvps(CVPS_PAN, 1), [1, 2, 3])),
        ('truncate json', {}, truncate(CVPS_JSON)),
        ('json missing a key', {},
         edit_json(CVPS_JSON,
                   lambda gt: gt['annotations'][1].pop('segments_info'))),
        ('unlisted category', {},
         edit_json(CVPS_JSON, _cvps_unlisted_category)),
        ('image without annotation', {},
         edit_json(CVPS_JSON, lambda gt: gt['annotations'].pop(1))),
        ('no image', {}, edit_json(CVPS_JSON, _no_images)),
        ('reindented json', {}, reindent(CVPS_JSON)),
    ],
    'cityscapes_dvps': [
        ('delete frame', {}, delete(_cs(1, '_leftImg8bit.png'))),
        ('delete frame and its maps', {},
         delete(_cs(1, '_leftImg8bit.png'),
                _cs(1, '_gtFine_instanceTrainIds.png'), _cs(1, '_depth.png'),
                expect=f'{SEQ}/000000_000001_')),
        ('delete depth map', {}, delete(_cs(2, '_depth.png'))),
        ('delete panoptic map', {},
         delete(_cs(0, '_gtFine_instanceTrainIds.png'))),
        ('truncate depth map', {}, truncate(_cs(1, '_depth.png'))),
        ('resize panoptic map', {},
         crop(_cs(1, '_gtFine_instanceTrainIds.png'))),
        ('class out of range', {},
         paint(_cs(1, '_gtFine_instanceTrainIds.png'), np.uint16(30000))),
        ('rgb depth map', {}, save_rgb(_cs(0, '_depth.png'))),
        ('two files of one frame', {},
         copy_file(_cs(1, '_leftImg8bit.png'),
                   f'{SEQ}/000000_000001_toy_000000_000099_leftImg8bit.png')),
        ('unrelated file', {}, add_file(f'{SEQ}/README.txt')),
    ],
    'semkitti_dvps': [
        ('delete frame', {}, delete(_seq(1, 'leftImg8bit.png'))),
        ('delete instance map', {},
         delete(_seq(1, 'gtFine_instance.png'))),
        ('delete depth map', {},
         delete(_seq(2, SK_DEPTH),
                expect=f'{SEQ}/000000_000002_depth_')),
        ('truncate class map', {},
         truncate(_seq(0, 'gtFine_class.png'))),
        ('resize instance map', {},
         crop(_seq(1, 'gtFine_instance.png'))),
        ('class out of range', {},
         paint(_seq(1, 'gtFine_class.png'), 100)),
        ('depth name without focal length', {},
         rename(_seq(1, SK_DEPTH),
                _seq(1, 'depth_abc.png'))),
        ('unrelated file', {}, add_file(f'{SEQ}/README.txt')),
    ],
    'youtube_vis': [
        ('delete frame', {}, delete(f'{VIS_IMG}/00005.jpg')),
        ('truncate frame', {}, truncate(f'{VIS_IMG}/00010.jpg')),
        ('resize frame', {}, crop(f'{VIS_IMG}/00005.jpg')),
        ('truncate json', {}, truncate(VIS_JSON)),
        ('json missing a key', {},
         edit_json(VIS_JSON, lambda a: a['videos'][0].pop('file_names'))),
        ('unlisted category', {},
         edit_json(VIS_JSON,
                   lambda a: a['annotations'][0].update(category_id=99))),
        ('mask of another size', {}, edit_json(VIS_JSON, _vis_resize_rle)),
        ('track shorter than video', {},
         edit_json(VIS_JSON,
                   lambda a: a['annotations'][0]['segmentations'].pop())),
        ('empty video', {},
         edit_json(VIS_JSON, lambda a: a['videos'][0].update(file_names=[]))),
        ('no video', {}, edit_json(VIS_JSON, _no_videos)),
        ('reindented json', {}, reindent(VIS_JSON)),
    ],
    'imagenet_vid': [
        ('delete frame', {}, delete(f'{VID_IMG}/000001.JPEG')),
        ('truncate frame', {}, truncate(f'{VID_IMG}/000002.JPEG')),
        ('resize frame', {}, crop(f'{VID_IMG}/000001.JPEG')),
        ('truncate json', {}, truncate(VID_JSON)),
        ('json missing a key', {},
         edit_json(VID_JSON, lambda c: c['annotations'][0].pop('bbox'))),
        ('unlisted category', {},
         edit_json(VID_JSON,
                   lambda c: c['annotations'][0].update(category_id=31))),
        ('video without images', {}, edit_json(VID_JSON, _vid_ghost_video)),
        ('split without images', {}, edit_json(VID_JSON, _no_images)),
        ('reindented json', {}, reindent(VID_JSON)),
    ],
    'davis': [
        ('delete frame', {}, delete(f'{DAVIS_IMG}/00001.jpg')),
        ('delete last frame', {}, delete(f'{DAVIS_IMG}/00002.jpg')),
        ('delete last frame and mask', {},
         delete(f'{DAVIS_IMG}/00002.jpg', f'{DAVIS_ANN}/00002.png')),
        ('delete frame, test split', dict(with_gt=False),
         delete(f'{DAVIS_IMG}/00001.jpg', f'{DAVIS_ANN}/00001.png',
                f'{DAVIS_FLOW}/00001.flo')),
        ('delete mask', {}, delete(f'{DAVIS_ANN}/00001.png')),
        ('delete flow', {}, delete(f'{DAVIS_FLOW}/00000.flo')),
        ('truncate frame', {}, truncate(f'{DAVIS_IMG}/00001.jpg')),
        ('truncate first mask', {}, truncate(f'{DAVIS_ANN}/00000.png')),
        ('truncate flow', {}, truncate(f'{DAVIS_FLOW}/00000.flo', drop=3)),
        ('truncate flow by floats', {},
         truncate(f'{DAVIS_FLOW}/00001.flo', drop=8)),
        ('resize mask', {}, crop(f'{DAVIS_ANN}/00001.png')),
        ('rgb mask', {}, save_rgb(f'{DAVIS_ANN}/00002.png')),
        ('empty video', {}, empty_folder(DAVIS_IMG)),
        ('non-utf8 split list', {}, not_utf8('ImageSets/2017/val.txt')),
        ('crlf split list', {}, crlf('ImageSets/2017/val.txt')),
        ('unrelated file', {}, add_file(f'{DAVIS_IMG}/Thumbs.db')),
    ],
    'youtube_vos': [
        ('delete frame', {}, delete(f'{VOS}/00005.jpg')),
        ('delete first frame', {}, delete(f'{VOS}/00000.jpg')),
        ('delete reference mask', {}, delete(f'{VOS_ANN}/00000.png')),
        ('truncate frame', {}, truncate(f'{VOS}/00010.jpg')),
        ('truncate reference mask', {}, truncate(f'{VOS_ANN}/00000.png')),
        ('resize reference mask', {}, crop(f'{VOS_ANN}/00000.png')),
        ('truncate meta', {}, truncate(VOS_META)),
        ('meta missing a key', {},
         edit_json(VOS_META,
                   lambda m: m['videos']['toy_1000'].pop('objects'))),
        ('object without frames', {},
         edit_json(
             VOS_META, lambda m: m['videos']['toy_1000']['objects']['1'].
             update(frames=[]))),
        ('empty video', {}, empty_folder(VOS)),
        ('reindented meta', {}, reindent(VOS_META)),
    ],
    'triplets_dvf': [
        ('delete frame', {}, delete('ucf101_triplets/1/frame_2.png')),
        ('delete motion mask', {}, delete('motion_masks/1/motion_mask.png')),
        ('truncate frame', {}, truncate('ucf101_triplets/1/frame_3.png')),
        ('resize frame', {}, crop('ucf101_triplets/1/frame_1.png')),
        ('resize motion mask', {}, crop('motion_masks/1/motion_mask.png')),
        ('non-utf8 list', {}, not_utf8(DVF.format(2))),
        ('lists differ in length', {},
         edit_bytes(lambda b: b + b'1/frame_3.png\n', DVF.format(3))),
        ('bad list line', {},
         edit_bytes(lambda b: b.replace(b'.png', b'.png 7'), DVF.format(1))),
        ('crlf lists', {}, crlf(*(DVF.format(k) for k in (1, 2, 3)))),
    ],
    'triplets_folder': [
        ('delete frame', {}, delete('videos/toy_1000/000001.png')),
        ('truncate frame', {}, truncate('videos/toy_1000/000002.png')),
        ('resize frame', {}, crop('videos/toy_1000/000001.png')),
        ('listed: delete frame', dict(ann_file='videos_val.txt'),
         delete('videos/toy_1000/000002.png')),
        ('listed: non-utf8 list', dict(ann_file='videos_val.txt'),
         not_utf8('videos_val.txt')),
        ('listed: bad line', dict(ann_file='videos_val.txt'),
         edit_bytes(lambda b: b.replace(b' 0', b' x'), 'videos_val.txt')),
        ('unrelated file', {}, add_file('videos/toy_1000/notes.txt')),
    ],
}

# ----------------------------------------------------------------- tests


@pytest.fixture(scope='module')
def toy_roots(tmp_path_factory):
    """One 3-frame 32x48 video written in every format, once."""
    from mmvidseg.testing import toy_formats
    video = generate_toy_video(1000, num_frames=3, height=HEIGHT, width=WIDTH)
    base = tmp_path_factory.mktemp('corruptions')
    roots = {}
    for writer in sorted({w for w, _ in BUILDERS.values()}):
        roots[writer] = str(base / writer)
        getattr(toy_formats, f'write_{writer}')(roots[writer],
                                                {'val': [video]})
    return roots


def _load_all(dataset):
    """Run the loading pipeline over every item; the packed results."""
    return [dataset.prepare_data(i) for i in range(len(dataset))]


def _fingerprint(obj, root):
    """Comparable form of packed results, with ``root`` in paths masked."""
    from mmengine.structures import BaseDataElement
    if isinstance(obj, torch.Tensor):
        obj = obj.numpy()
    if isinstance(obj, np.ndarray):
        return ('array', obj.dtype.str, obj.shape, obj.tobytes())
    if isinstance(obj, BaseDataElement):
        return _fingerprint(
            dict(obj.metainfo_items(), **dict(obj.items())), root)
    if isinstance(obj, dict):
        return {k: _fingerprint(v, root) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_fingerprint(v, root) for v in obj]
    if isinstance(obj, str):
        return obj.replace(root, '<root>')
    if hasattr(obj, 'masks'):  # BitmapMasks
        return _fingerprint(obj.masks, root)
    if hasattr(obj, 'tensor'):  # boxes
        return _fingerprint(obj.tensor, root)
    return repr(obj)


def _params():
    for fmt, rows in ROWS.items():
        for name, kwargs, corrupt in rows:
            yield pytest.param(fmt, kwargs, corrupt, id=f'{fmt}: {name}')


@pytest.mark.parametrize('fmt,kwargs,corrupt', list(_params()))
def test_corruption(toy_roots, tmp_path, fmt, kwargs, corrupt):
    writer, build = BUILDERS[fmt]
    root = str(tmp_path / writer)
    shutil.copytree(toy_roots[writer], root)
    offending = corrupt(root)
    # serialize_data=False: mmengine's serialization (after every check)
    # runs gc.collect(), a third of a second per dataset
    kwargs = dict(kwargs, test_mode=True, serialize_data=False)
    if offending == UNCHANGED:
        clean = _load_all(build(toy_roots[writer], **kwargs))
        edited = _load_all(build(root, **kwargs))
        assert _fingerprint(edited, root) == _fingerprint(
            clean, toy_roots[writer])
        return
    with pytest.raises(Exception) as error:
        _load_all(build(root, **kwargs))
    assert offending in str(error.value), (
        f'{type(error.value).__name__}: {error.value}\n'
        f'does not name {offending}')


def test_every_format_has_a_table():
    from mmvidseg.testing import toy_formats
    writers = {
        name[len('write_'):]
        for name in toy_formats.__all__ if name.startswith('write_')
    }
    # write_flo writes one file; ImageNet DET images join the ImageNet VID
    # JSON (tests/test_datasets/test_imagenet_vid.py); write_small_davis is
    # write_davis on a fixed set of videos
    writers -= {'flo', 'imagenet_det', 'small_davis'}
    assert writers <= {writer for writer, _ in BUILDERS.values()}
    failing = Counter(fmt for fmt, rows in ROWS.items()
                      for _, _, corrupt in rows
                      if not getattr(corrupt, 'allowed', False))
    assert set(ROWS) == set(BUILDERS)
    assert all(failing[fmt] >= 5 for fmt in ROWS), failing


def test_frame_numbering_rules(tmp_path):
    """What :func:`check_frame_numbers` accepts (DAVIS, frame folders)."""
    from mmvidseg.datasets import VideoDatasetError
    from mmvidseg.datasets.utils import check_frame_numbers
    folder = str(tmp_path)
    check_frame_numbers(folder, ['00007.jpg', '00008.jpg'], 'video v')
    check_frame_numbers(folder, ['frame_9.png', 'frame_10.png'], 'video v')
    check_frame_numbers(folder, ['a.png', 'b.png'], 'video v')  # unnumbered
    with pytest.raises(VideoDatasetError) as e:  # DAVIS needs numbers
        check_frame_numbers(folder, ['00000.jpg', 'b.jpg'], 'v', True)
    assert osp.join(folder, 'b.jpg') in str(e.value)
    with pytest.raises(VideoDatasetError, match='zero-pad') as e:
        check_frame_numbers(folder, ['1.png', '10.png', '2.png'], 'v')
    assert osp.join(folder, '2.png') in str(e.value)
    with pytest.raises(FileNotFoundError) as e:
        check_frame_numbers(folder, ['frame_08.png', 'frame_10.png'], 'v')
    assert osp.join(folder, 'frame_09.png') in str(e.value)
