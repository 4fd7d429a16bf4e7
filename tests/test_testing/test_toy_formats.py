# Copyright (c) OpenMMLab. All rights reserved.
"""Round trips: write toy videos in each format, read the files back
independently (PIL, json, ElementTree, pycocotools) and compare with the
ToyVideo's ground truth."""
import dataclasses
import json
import os
import os.path as osp
import xml.etree.ElementTree as ET
from collections import defaultdict

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils
from scipy.ndimage import binary_dilation

from mmvidseg.testing import (TOY_CLASSES, TOY_IGNORE, TOY_PALETTE,
                              TOY_THING_CLASSES, generate_toy_video)
from mmvidseg.testing.toy_formats import (TOY_VID_WNIDS, id2rgb, read_flo,
                                          rgb2id, rle_encode, voc_palette,
                                          write_cityscapes_dvps,
                                          write_cityscapes_vps, write_davis,
                                          write_flo, write_imagenet_vid,
                                          write_semkitti_dvps, write_vipseg,
                                          write_youtube_vis, write_youtube_vos)
from mmvidseg.testing.toy_video import DIFFICULTIES

THINGS = [TOY_CLASSES.index(c) for c in TOY_THING_CLASSES]
FRAMES, HEIGHT, WIDTH = 4, 32, 48


def _video(seed, difficulty='easy'):
    return generate_toy_video(
        seed, num_frames=FRAMES, height=HEIGHT, width=WIDTH, num_objects=4,
        difficulty=difficulty)


@pytest.fixture(scope='module', params=DIFFICULTIES)
def splits(request):
    """Every writer is checked on easy and on hard videos."""
    # seed 14 (hard: 35) has a car entering and an object leaving within
    # 4 frames
    entering = {'easy': 14, 'hard': 35}[request.param]
    return {
        split: [_video(seed, request.param) for seed in seeds]
        for split, seeds in (('train', (3, entering)), ('val', (1000, )))
    }


def _read(path):
    assert osp.isfile(path), f'{path} was not written'
    return np.array(Image.open(path))


def _assert_jpg(path, rgb):
    img = _read(path)
    assert img.shape == rgb.shape and img.dtype == np.uint8
    # quality-95 JPEG with 4:2:0 chroma on a 32x48 textured frame
    assert np.abs(img.astype(int) - rgb).mean() < 10


def _thing_tracks(video):
    return sorted(int(i) for i in np.unique(video.instance) if i > 0)


def _decode(rle):
    h, w = rle['size']
    if isinstance(rle['counts'], list):
        rle = mask_utils.frPyObjects(rle, h, w)
    else:
        rle = dict(size=[h, w], counts=rle['counts'].encode())
    return mask_utils.decode(rle).astype(bool)


# ----------------------------------------------------------------- helpers


def test_rle_encode_matches_pycocotools():
    rng = np.random.default_rng(0)
    for first in (False, True):
        mask = rng.random((7, 5)) > 0.5
        mask[0, 0] = first
        for compressed in (False, True):
            rle = rle_encode(mask, compressed)
            assert isinstance(rle['counts'], str if compressed else list)
            np.testing.assert_array_equal(_decode(rle), mask)
    empty = rle_encode(np.zeros((3, 4), bool), compressed=False)
    assert empty['counts'] == [12]


def test_panoptic_colour_ids_roundtrip():
    ids = np.array([[0, 1, 256], [65536, 2**24 - 1, 123456]])
    rgb = id2rgb(ids)
    assert rgb.dtype == np.uint8
    assert tuple(rgb[1, 2]) == (123456 % 256, 123456 // 256 % 256, 1)
    np.testing.assert_array_equal(rgb2id(rgb), ids)


def test_voc_palette():
    pal = voc_palette()
    assert pal.shape == (256, 3)
    assert [tuple(c) for c in pal[:4]] == [(0, 0, 0), (128, 0, 0),
                                           (0, 128, 0), (128, 128, 0)]
    assert tuple(pal[255]) == (224, 224, 192)


def test_flo_roundtrip_and_errors(tmp_path):
    flow = np.random.default_rng(1).normal(size=(5, 7, 2)).astype(np.float32)
    path = str(tmp_path / 'a' / '00000.flo')
    write_flo(path, flow)
    raw = open(path, 'rb').read()
    assert raw[:4] == b'PIEH' and len(raw) == 12 + 5 * 7 * 2 * 4
    assert np.frombuffer(raw[4:12], '<i4').tolist() == [7, 5]
    np.testing.assert_array_equal(read_flo(path), flow)

    with pytest.raises(FileNotFoundError, match='missing.flo'):
        read_flo(str(tmp_path / 'missing.flo'))
    bad = tmp_path / 'bad.flo'
    bad.write_bytes(b'XXXX' + raw[4:])
    with pytest.raises(ValueError, match='bad.flo.*magic'):
        read_flo(str(bad))
    short = tmp_path / 'short.flo'
    short.write_bytes(raw[:-4])
    with pytest.raises(ValueError, match='short.flo'):
        read_flo(str(short))
    with pytest.raises(ValueError, match='shape'):
        write_flo(path, flow[..., 0])


# ------------------------------------------------------------- YouTube-VIS


@pytest.mark.parametrize('version,compressed', [('2019', False),
                                                ('2021', True)])
def test_youtube_vis(tmp_path, splits, version, compressed):
    root = write_youtube_vis(str(tmp_path), splits, version, compressed)
    for split, videos in splits.items():
        split_dir = 'valid' if split == 'val' else split
        ann_file = osp.join(root, f'{split_dir}.json') if version == '2019' \
            else osp.join(root, split_dir, 'instances.json')
        with open(ann_file) as f:
            ann = json.load(f)
        assert set(ann) == {'info', 'licenses', 'videos', 'categories',
                            'annotations'}
        assert ann['categories'] == [
            dict(supercategory='object', id=i + 1, name=c)
            for i, c in enumerate(TOY_THING_CLASSES)
        ]
        cat_name = {c['id']: c['name'] for c in ann['categories']}
        assert [v['id'] for v in ann['videos']] == [1, 2][:len(videos)]
        by_video = defaultdict(list)
        for a in ann['annotations']:
            by_video[a['video_id']].append(a)
        for info, video in zip(ann['videos'], videos):
            assert (info['length'], info['height'], info['width']) == \
                (FRAMES, HEIGHT, WIDTH)
            assert info['file_names'] == [
                f'{video.name}/{5 * t:05d}.jpg' for t in range(FRAMES)
            ]
            for t, name in enumerate(info['file_names']):
                _assert_jpg(osp.join(root, split_dir, 'JPEGImages', name),
                            video.images[t])
            seen = []
            for a in by_video[info['id']]:
                assert a['iscrowd'] == 0 and a['length'] == 1
                assert (a['height'], a['width']) == (HEIGHT, WIDTH)
                assert len(a['segmentations']) == FRAMES
                t0 = next(t for t, s in enumerate(a['segmentations']) if s)
                mask0 = _decode(a['segmentations'][t0])
                track = int(video.instance[t0][mask0][0])
                seen.append(track)
                assert cat_name[a['category_id']] == \
                    TOY_CLASSES[video.track_label(track)]
                for t in range(FRAMES):
                    gt = video.instance[t] == track
                    seg = a['segmentations'][t]
                    if not gt.any():
                        assert seg is None and a['bboxes'][t] is None \
                            and a['areas'][t] is None
                        continue
                    assert isinstance(seg['counts'],
                                      str if compressed else list)
                    np.testing.assert_array_equal(_decode(seg), gt)
                    ys, xs = np.nonzero(gt)
                    assert a['bboxes'][t] == [
                        xs.min(), ys.min(), xs.max() + 1 - xs.min(),
                        ys.max() + 1 - ys.min()
                    ]
                    assert a['areas'][t] == gt.sum()
            assert sorted(seen) == _thing_tracks(video)
        ids = [a['id'] for a in ann['annotations']]
        assert ids == list(range(1, len(ids) + 1))


def test_youtube_vis_bad_version(tmp_path, splits):
    with pytest.raises(ValueError, match='2020'):
        write_youtube_vis(str(tmp_path), splits, version='2020')


# ------------------------------------------------------------ ImageNet VID


def _convert_like_mmtracking(root, split):
    """What mmtracking's imagenet2coco_vid.py makes of the Lists + XML."""
    wnid_to_cat = {
        TOY_VID_WNIDS[c]: i + 1
        for i, c in enumerate(TOY_THING_CLASSES)
    }
    infos = {}
    name = 'VID_train_15frames.txt' if split == 'train' \
        else 'VID_val_videos.txt'
    for line in open(osp.join(root, 'Lists', name)).read().splitlines():
        parts = line.split(' ')
        info = infos.setdefault(parts[0], dict(frames=[], n=int(parts[-1])))
        if split == 'train':
            info['frames'].append(int(parts[2]) - 1)
    out = dict(videos=[], images=[], annotations=[])
    instance = 1
    for vid_id, (rel, info) in enumerate(infos.items(), 1):
        out['videos'].append(
            dict(id=vid_id, name=rel, vid_train_frames=info['frames']))
        track_map = {}
        for f in range(info['n']):
            xml = ET.parse(
                osp.join(root, 'Annotations', 'VID', f'{rel}/{f:06d}.xml'))
            size = xml.getroot().find('size')
            img_id = len(out['images']) + 1
            out['images'].append(
                dict(
                    file_name=f'{rel}/{f:06d}.JPEG',
                    height=int(size.find('height').text),
                    width=int(size.find('width').text),
                    id=img_id,
                    frame_id=f,
                    video_id=vid_id,
                    is_vid_train_frame=f in info['frames']))
            for obj in xml.getroot().findall('object'):
                box = obj.find('bndbox')
                x1, y1, x2, y2 = (int(box.find(k).text)
                                  for k in ('xmin', 'ymin', 'xmax', 'ymax'))
                tid = obj.find('trackid').text
                if tid not in track_map:
                    track_map[tid] = instance
                    instance += 1
                out['annotations'].append(
                    dict(
                        id=len(out['annotations']) + 1,
                        video_id=vid_id,
                        image_id=img_id,
                        category_id=wnid_to_cat[obj.find('name').text],
                        instance_id=track_map[tid],
                        bbox=[x1, y1, x2 - x1, y2 - y1],
                        area=(x2 - x1) * (y2 - y1),
                        iscrowd=False,
                        occluded=obj.find('occluded').text == '1',
                        generated=obj.find('generated').text == '1'))
    return out


def test_imagenet_vid(tmp_path, splits):
    root = write_imagenet_vid(str(tmp_path), splits)
    assert open(osp.join(root, 'Lists', 'VID_val_videos.txt')).read() == \
        f'val/{splits["val"][0].name} 1 0 {FRAMES}\n'
    for split, videos in splits.items():
        with open(osp.join(root, 'annotations',
                           f'imagenet_vid_{split}.json')) as f:
            coco = json.load(f)
        assert coco['categories'] == [
            dict(id=i + 1, name=c, encode_name=TOY_VID_WNIDS[c])
            for i, c in enumerate(TOY_THING_CLASSES)
        ]
        expected = _convert_like_mmtracking(root, split)
        for key in ('videos', 'images', 'annotations'):
            assert coco[key] == expected[key], key
        for vid_id, video in enumerate(videos, 1):
            depth = {o.track_id: o.depth for o in video.objects}
            prefix = 'train/ILSVRC2015_VID_train_0000/' \
                if split == 'train' else 'val/'
            rel = prefix + video.name
            for t in range(FRAMES):
                _assert_jpg(
                    osp.join(root, 'Data', 'VID', f'{rel}/{t:06d}.JPEG'),
                    video.images[t])
                xml = ET.parse(
                    osp.join(root, 'Annotations', 'VID',
                             f'{rel}/{t:06d}.xml')).getroot()
                assert xml.find('folder').text == rel.split('/', 1)[1]
                assert xml.find('filename').text == f'{t:06d}'
                assert xml.find('source/database').text == 'ILSVRC_2015'
                assert int(xml.find('size/width').text) == WIDTH
                assert int(xml.find('size/height').text) == HEIGHT
                objs = xml.findall('object')
                assert [int(o.find('trackid').text) + 1
                        for o in objs] == video.visible_tracks(t)
                for obj in objs:
                    track = int(obj.find('trackid').text) + 1
                    ys, xs = np.nonzero(video.instance[t] == track)
                    box = {k: int(obj.find(f'bndbox/{k}').text)
                           for k in ('xmin', 'ymin', 'xmax', 'ymax')}
                    # ILSVRC boxes are inclusive pixel coordinates
                    assert box == dict(xmin=xs.min(), ymin=ys.min(),
                                       xmax=xs.max(), ymax=ys.max())
                    assert obj.find('name').text == TOY_VID_WNIDS[
                        TOY_CLASSES[video.track_label(track)]]
                    assert obj.find('generated').text == '0'
                    # occluded: a nearer thing touches the visible pixels
                    ring = binary_dilation(video.instance[t] == track) & \
                        (video.instance[t] != track)
                    near = [d for k, d in depth.items()
                            if d < depth[track] and
                            (video.instance[t][ring] == k).any()]
                    assert obj.find('occluded').text == str(int(bool(near)))
        if split == 'train':
            assert all(v['vid_train_frames'] == list(range(FRAMES))
                       for v in coco['videos'])
    assert any(a['occluded'] for a in expected['annotations'])


def test_imagenet_vid_json_loads_in_mmdet(tmp_path, splits):
    from mmdet.datasets import BaseVideoDataset
    from mmengine.registry import DefaultScope
    root = write_imagenet_vid(str(tmp_path), splits)
    with DefaultScope.overwrite_default_scope('mmdet'):
        dataset = BaseVideoDataset(
            data_root=root,
            ann_file='annotations/imagenet_vid_train.json',
            data_prefix=dict(img_path='Data/VID'),
            metainfo=dict(classes=TOY_THING_CLASSES),
            pipeline=[])
    assert len(dataset) == 2
    for idx, gt in enumerate(splits['train']):
        video = dataset[idx]
        assert video['video_length'] == FRAMES
        for t, frame in enumerate(video['images']):
            assert osp.isfile(frame['img_path'])
            # mmdet drops boxes with w or h < 1, i.e. 1-pixel-wide objects
            # under the inclusive ILSVRC convention, as on the real data
            boxes = [(k, gt.box(t, k)) for k in gt.visible_tracks(t)]
            kept = [(k, b) for k, b in boxes
                    if b[2] - b[0] > 1 and b[3] - b[1] > 1]
            assert [i['bbox'] for i in frame['instances']] == [
                [b[0], b[1], b[2] - 1, b[3] - 1] for _, b in kept
            ]
            assert [i['bbox_label'] for i in frame['instances']] == [
                THINGS.index(gt.track_label(k)) for k, _ in kept
            ]
    first = splits['train'][0]
    tracks = {
        k
        for t in range(FRAMES) for k in first.visible_tracks(t)
        if min(first.box(t, k)[2] - first.box(t, k)[0],
               first.box(t, k)[3] - first.box(t, k)[1]) > 1
    }
    assert len({i['instance_id'] for f in dataset[0]['images']
                for i in f['instances']}) == len(tracks) > 1


def test_imagenet_vid_rejects_unknown_split(tmp_path, splits):
    with pytest.raises(ValueError, match='test'):
        write_imagenet_vid(str(tmp_path), {'test': splits['val']})


# ------------------------------------------------------------------ VIPSeg


def test_vipseg(tmp_path, splits):
    root = write_vipseg(str(tmp_path), splits)
    with open(osp.join(root, 'panoVIPSeg_categories.json')) as f:
        categories = json.load(f)
    assert categories == [
        dict(id=i, name=c, isthing=int(c in TOY_THING_CLASSES),
             color=list(TOY_PALETTE[i])) for i, c in enumerate(TOY_CLASSES)
    ]
    for split, videos in splits.items():
        assert open(osp.join(root, f'{split}.txt')).read().split() == \
            [v.name for v in videos]
        with open(osp.join(root, f'panoptic_gt_VIPSeg_{split}.json')) as f:
            gt = json.load(f)
        assert gt['categories'] == categories
        assert [v['video_id'] for v in gt['videos']] == \
            [a['video_id'] for a in gt['annotations']] == \
            [v.name for v in videos]
        for video, vinfo, vann in zip(videos, gt['videos'],
                                      gt['annotations']):
            track_ids = {}
            for t in range(FRAMES):
                name = f'{t:08d}'
                assert vinfo['images'][t] == dict(
                    id=name, width=WIDTH, height=HEIGHT,
                    file_name=name + '.png')
                frame = vann['annotations'][t]
                assert (frame['image_id'], frame['file_name']) == \
                    (name, name + '.png')
                _assert_jpg(osp.join(root, 'images', video.name,
                                     name + '.jpg'), video.images[t])
                # panomasks, decoded as the official script does
                pan = _read(osp.join(root, 'panomasks', video.name,
                                     name + '.png')).astype(np.int64)
                stuff = (pan > 0) & (pan < 125)
                sem = np.where(stuff, pan - 1, pan // 100 - 1)
                np.testing.assert_array_equal(sem, video.semantic[t])
                np.testing.assert_array_equal(
                    np.where(stuff, 0, pan % 100), video.instance[t])
                # panomasksRGB + segments_info
                rgb = _read(osp.join(root, 'panomasksRGB', video.name,
                                     name + '.png')).astype(np.int64)
                ids = rgb[..., 0] + 256 * rgb[..., 1] + 65536 * rgb[..., 2]
                assert 0 not in ids
                segs = {s['id']: s for s in frame['segments_info']}
                assert set(segs) == set(np.unique(ids).tolist())
                for seg_id, seg in segs.items():
                    m = ids == seg_id
                    assert seg['area'] == m.sum() and seg['iscrowd'] == 0
                    assert set(np.unique(video.semantic[t][m])) == \
                        {seg['category_id']}
                    tracks = np.unique(video.instance[t][m])
                    assert len(tracks) == 1
                    if seg['category_id'] in THINGS:
                        key = int(tracks[0])
                        assert key > 0
                    else:
                        key = -seg['category_id'] - 1
                        r, g, b = TOY_PALETTE[seg['category_id']]
                        assert seg_id == r + 256 * g + 65536 * b
                    # one id per track over the whole video
                    assert track_ids.setdefault(key, seg_id) == seg_id
            assert len(set(track_ids.values())) == len(track_ids)


def test_vipseg_rejects_large_track_ids(tmp_path, splits):
    video = splits['val'][0]
    big = dataclasses.replace(video, instance=video.instance * 100)
    with pytest.raises(ValueError, match='99'):
        write_vipseg(str(tmp_path), {'val': [big]})


# --------------------------------------------------- Cityscapes/SemKITTI-DVPS


def test_cityscapes_dvps(tmp_path, splits):
    video = splits['val'][0]
    # a void patch to check the 32 * 1000 encoding
    semantic = video.semantic.copy()
    semantic[:, :3, :4] = TOY_IGNORE
    instance = video.instance.copy()
    instance[:, :3, :4] = 0
    splits = dict(splits, val=[dataclasses.replace(
        video, semantic=semantic, instance=instance)])
    root = write_cityscapes_dvps(str(tmp_path), splits)
    for split, videos in splits.items():
        sdir = osp.join(root, 'video_sequence', split)
        assert len(os.listdir(sdir)) == 3 * FRAMES * len(videos)
        for seq, video in enumerate(videos):
            for t in range(FRAMES):
                stem = f'{seq:06d}_{t:06d}_toy_{seq:06d}_{t:06d}'
                # PolyphonicFormer's parsing of the names
                seq_id, img_id, city, _, _, _ = stem.split('_', 5) + \
                    ['leftImg8bit.png']
                assert (int(seq_id), int(img_id), city) == (seq, t, 'toy')
                img = _read(osp.join(sdir, stem + '_leftImg8bit.png'))
                np.testing.assert_array_equal(img, video.images[t])
                pan = _read(osp.join(sdir,
                                     stem + '_gtFine_instanceTrainIds.png'))
                assert pan.dtype == np.uint16
                cat, ins = pan // 1000, pan % 1000
                void = video.semantic[t] == TOY_IGNORE
                np.testing.assert_array_equal(cat[void], 32)
                np.testing.assert_array_equal(cat[~void],
                                              video.semantic[t][~void])
                np.testing.assert_array_equal(ins, video.instance[t])
                depth = _read(osp.join(sdir, stem + '_depth.png'))
                assert depth.dtype == np.uint16
                assert np.abs(depth / 256.0 - video.depth[t]).max() <= 1 / 256
                np.testing.assert_array_equal(depth == 0,
                                              video.depth[t] == 0)
    assert (splits['val'][0].semantic == TOY_IGNORE).any()


def test_semkitti_dvps(tmp_path, splits):
    focal = 707.0911865234375
    root = write_semkitti_dvps(str(tmp_path), splits, focal=focal)
    for split, videos in splits.items():
        sdir = osp.join(root, 'video_sequence', split)
        names = sorted(os.listdir(sdir))
        assert len(names) == 4 * FRAMES * len(videos)
        for seq, video in enumerate(videos):
            for t in range(FRAMES):
                stem = osp.join(sdir, f'{seq:06d}_{t:06d}')
                np.testing.assert_array_equal(
                    _read(stem + '_leftImg8bit.png'), video.images[t])
                cls = _read(stem + '_gtFine_class.png')
                assert cls.dtype == np.uint8
                np.testing.assert_array_equal(cls, video.semantic[t])
                inst = _read(stem + '_gtFine_instance.png')
                np.testing.assert_array_equal(inst, video.instance[t])
                depth_name = f'{seq:06d}_{t:06d}_depth_707.0911865234375.png'
                assert depth_name in names
                assert float(depth_name[:-4].rsplit('_', 1)[1]) == focal
                depth = _read(osp.join(sdir, depth_name))
                assert depth.dtype == np.uint16
                assert np.abs(depth / 256.0 - video.depth[t]).max() <= 1 / 256


# ------------------------------------------------------------------- DAVIS


@pytest.mark.parametrize('number_new_objects', [False, True])
def test_davis(tmp_path, splits, number_new_objects):
    root = write_davis(
        str(tmp_path), splits, number_new_objects=number_new_objects)
    palette = voc_palette().ravel().tolist()
    saw_new_object = False
    for split, videos in splits.items():
        with open(osp.join(root, 'ImageSets', '2017', f'{split}.txt')) as f:
            assert f.read().split() == [v.name for v in videos]
        for video in videos:
            first = video.visible_tracks(0)
            later = [k for k in _thing_tracks(video) if k not in first]
            saw_new_object |= bool(later)
            expected = {k: i + 1 for i, k in enumerate(first)}
            if number_new_objects:
                for k in sorted(later, key=lambda k: (
                        min(t for t in range(FRAMES)
                            if k in video.visible_tracks(t)), k)):
                    expected[k] = len(expected) + 1
            for t in range(FRAMES):
                _assert_jpg(
                    osp.join(root, 'JPEGImages', '480p', video.name,
                             f'{t:05d}.jpg'), video.images[t])
                img = Image.open(
                    osp.join(root, 'Annotations', '480p', video.name,
                             f'{t:05d}.png'))
                assert img.mode == 'P'
                assert img.getpalette()[:768] == palette
                gt = np.zeros_like(video.instance[t])
                for k, obj in expected.items():
                    gt[video.instance[t] == k] = obj
                np.testing.assert_array_equal(np.array(img), gt)
                flo = osp.join(root, 'Flow', '480p', video.name,
                               f'{t:05d}.flo')
                if t < FRAMES - 1:
                    np.testing.assert_array_equal(read_flo(flo),
                                                  video.flow[t])
                else:
                    assert not osp.exists(flo)
            # the official evaluation counts max(first mask) objects
            first_mask = np.array(
                Image.open(
                    osp.join(root, 'Annotations', '480p', video.name,
                             '00000.png')))
            assert first_mask.max() == len(first)
    assert saw_new_object


def test_davis_without_flow(tmp_path, splits):
    root = write_davis(str(tmp_path), {'val': splits['val']},
                       with_flow=False)
    assert not osp.exists(osp.join(root, 'Flow'))


# ---------------------------------------------------------- Cityscapes-VPS


def _with_void_patch(video):
    """The video with a void (TOY_IGNORE) patch in its top-left corner."""
    semantic = video.semantic.copy()
    semantic[:, :3, :4] = TOY_IGNORE
    instance = video.instance.copy()
    instance[:, :3, :4] = 0
    return dataclasses.replace(video, semantic=semantic, instance=instance)


def test_cityscapes_vps(tmp_path, splits):
    splits = dict(splits, val=[_with_void_patch(splits['val'][0])])
    root = write_cityscapes_vps(str(tmp_path), splits)
    for split, videos in splits.items():
        with open(osp.join(root, f'panoptic_gt_{split}_city_vps.json')) as f:
            gt = json.load(f)
        assert gt['categories'] == [
            dict(id=i, name=c, isthing=int(c in TOY_THING_CLASSES))
            for i, c in enumerate(TOY_CLASSES)
        ]
        stems = [f'{v:04d}_{t:04d}_toy_{v:06d}_{t:06d}'
                 for v in range(1, len(videos) + 1) for t in range(FRAMES)]
        assert gt['images'] == [
            dict(id=s, width=WIDTH, height=HEIGHT,
                 file_name=s + '_newImg8bit.png') for s in stems
        ]
        assert [(a['image_id'], a['file_name']) for a in gt['annotations']] \
            == [(s, s + '_final_mask.png') for s in stems]
        assert sorted(os.listdir(osp.join(root, split, 'img'))) == \
            [s + '_newImg8bit.png' for s in stems]
        anns = iter(gt['annotations'])
        for v, video in enumerate(videos, 1):
            track_ids = {}  # toy track (or -class on stuff) -> segment id
            for t in range(FRAMES):
                stem = f'{v:04d}_{t:04d}_toy_{v:06d}_{t:06d}'
                np.testing.assert_array_equal(
                    _read(osp.join(root, split, 'img',
                                   stem + '_newImg8bit.png')),
                    video.images[t])
                ids = rgb2id(_read(osp.join(root, split, 'panoptic_video',
                                            stem + '_final_mask.png')))
                void = video.semantic[t] == TOY_IGNORE
                np.testing.assert_array_equal(ids == 0, void)
                segs = {s['id']: s for s in next(anns)['segments_info']}
                assert set(segs) == set(np.unique(ids[~void]).tolist())
                for seg_id, seg in segs.items():
                    m = ids == seg_id
                    assert seg['area'] == m.sum() and seg['iscrowd'] == 0
                    assert set(np.unique(video.semantic[t][m])) == \
                        {seg['category_id']}
                    tracks = np.unique(video.instance[t][m])
                    assert len(tracks) == 1
                    thing = seg['category_id'] in THINGS
                    assert (tracks[0] > 0) == thing
                    key = int(tracks[0]) if thing else -seg['category_id']
                    # one id per track over the whole video
                    assert track_ids.setdefault(key, seg_id) == seg_id
            assert len(set(track_ids.values())) == len(track_ids)
    assert (splits['val'][0].semantic == TOY_IGNORE).any()


def test_cityscapes_vps_loads_in_dataset(tmp_path, splits):
    from mmengine.registry import DefaultScope

    from mmvidseg.datasets import CityscapesVPSDataset
    splits = dict(splits, val=[_with_void_patch(splits['val'][0])])
    root = write_cityscapes_vps(str(tmp_path), splits)
    pipeline = [
        dict(type='TransformBroadcaster',
             transforms=[
                 dict(type='LoadImageFromFile'),
                 dict(type='LoadPanopticMap', format='coco_video',
                      num_classes=len(TOY_CLASSES), with_instances=True),
             ]),
        dict(type='PackVideoInputs'),
    ]
    meta = dict(classes=TOY_CLASSES, thing_classes=TOY_THING_CLASSES)
    with DefaultScope.overwrite_default_scope('mmvidseg'):
        for split, videos in splits.items():
            ds = CityscapesVPSDataset(
                data_root=root, ann_file=f'panoptic_gt_{split}_city_vps.json',
                data_prefix=dict(img_path=f'{split}/img',
                                 seg_map_path=f'{split}/panoptic_video'),
                metainfo=meta, pipeline=pipeline, test_mode=True)
            assert len(ds) == len(videos)
            for index, video in enumerate(videos):
                info = ds.get_data_info(index)
                assert (info['video_name'], info['video_length']) == \
                    (f'{index + 1:04d}', FRAMES)
                frames = ds.prepare_data(index)['data_samples']
                seen = {}  # toy track -> loaded track, one-to-one
                for t, frame in enumerate(frames.video_data_samples):
                    pan = frame.gt_panoptic_seg.sem_seg[0].numpy()
                    void = video.semantic[t] == TOY_IGNORE
                    np.testing.assert_array_equal(pan[void], 255 * 1000)
                    np.testing.assert_array_equal(pan[~void] // 1000,
                                                  video.semantic[t][~void])
                    assert (pan[video.instance[t] == 0] % 1000 == 0).all()
                    for track in video.visible_tracks(t):
                        loaded = np.unique(pan[video.instance[t] == track])
                        assert len(loaded) == 1 and loaded[0] % 1000 > 0
                        assert seen.setdefault(track, loaded[0]) == loaded[0]
                assert len(set(seen.values())) == len(seen)


def test_cityscapes_vps_rejects_large_track_ids(tmp_path, splits):
    video = splits['val'][0]
    big = dataclasses.replace(video, instance=video.instance * 1000)
    with pytest.raises(ValueError, match=f'{video.name}.*1000'):
        write_cityscapes_vps(str(tmp_path), {'val': [big]})


# ------------------------------------------------------------- YouTube-VOS


def _first_seen(video):
    """``{track: first frame where it is visible}``."""
    first = {}
    for t in range(FRAMES):
        for track in video.visible_tracks(t):
            first.setdefault(track, t)
    return first


@pytest.fixture(scope='module')
def vos_splits(splits):
    # video seed 14 (an object enters at frame > 0) in both splits
    return {'train': splits['train'], 'val': splits['train'] + splits['val']}


def test_youtube_vos(tmp_path, vos_splits):
    root = write_youtube_vos(str(tmp_path), vos_splits)
    palette = voc_palette().ravel().tolist()
    saw_new_object = False
    assert sorted(os.listdir(root)) == ['train', 'valid']
    for split, videos in vos_splits.items():
        sdir = osp.join(root, 'valid' if split == 'val' else split)
        with open(osp.join(sdir, 'meta.json')) as f:
            meta = json.load(f)
        assert list(meta['videos']) == [v.name for v in videos]
        for video in videos:
            first = _first_seen(video)
            # object ids 1, 2, ... by first appearance, then track id
            order = sorted(first, key=lambda k: (first[k], k))
            ids = {k: i + 1 for i, k in enumerate(order)}
            saw_new_object |= any(t > 0 for t in first.values())
            names = [f'{5 * t:05d}' for t in range(FRAMES)]
            assert meta['videos'][video.name] == dict(objects={
                str(ids[k]): dict(
                    category=TOY_CLASSES[video.track_label(k)],
                    frames=[names[t] for t in range(FRAMES)
                            if k in video.visible_tracks(t)])
                for k in order
            })
            assert sorted(os.listdir(osp.join(sdir, 'JPEGImages',
                                              video.name))) == \
                [n + '.jpg' for n in names]
            for t, name in enumerate(names):
                _assert_jpg(osp.join(sdir, 'JPEGImages', video.name,
                                     name + '.jpg'), video.images[t])
                new = [k for k, s in first.items() if s == t]
                path = osp.join(sdir, 'Annotations', video.name,
                                name + '.png')
                if split == 'train':
                    drawn = video.visible_tracks(t)
                elif new:
                    drawn = new
                else:
                    assert not osp.exists(path)
                    continue
                img = Image.open(path)
                assert img.mode == 'P'
                assert img.getpalette()[:768] == palette
                expected = np.zeros(video.instance[t].shape, np.uint8)
                for k in drawn:
                    expected[video.instance[t] == k] = ids[k]
                np.testing.assert_array_equal(np.array(img), expected)
    assert saw_new_object


def test_youtube_vos_loads_in_dataset(tmp_path, vos_splits):
    from mmvidseg.datasets import YouTubeVOSDataset
    root = write_youtube_vos(str(tmp_path), vos_splits)
    for split, videos in vos_splits.items():
        sdir = 'valid' if split == 'val' else split
        ds = YouTubeVOSDataset(
            data_root=root, ann_file=f'{sdir}/meta.json',
            data_prefix=dict(img_path=f'{sdir}/JPEGImages',
                             seg_map_path=f'{sdir}/Annotations'),
            pipeline=[], test_mode=True)
        assert len(ds) == len(videos)
        for index, video in enumerate(videos):
            first = _first_seen(video)
            order = sorted(first, key=lambda k: (first[k], k))
            info = ds.get_data_info(index)
            assert info['video_length'] == FRAMES
            for t, frame in enumerate(info['images']):
                refs = [order.index(k) + 1 for k in order if first[k] == t]
                assert frame['ref_object_ids'] == refs
                assert frame['img_path'].endswith(
                    osp.join(sdir, 'JPEGImages', video.name,
                             f'{5 * t:05d}.jpg'))
                assert (frame['seg_map_path'] is None) == \
                    (split != 'train' and not refs)
