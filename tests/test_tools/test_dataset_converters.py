# Copyright (c) OpenMMLab. All rights reserved.
"""Dataset converters: ``--help`` and a round trip on toy data each."""
import importlib.util
import json
import os
import os.path as osp
import shutil

import numpy as np
import pytest
from PIL import Image

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONVERTERS = ('imagenet_vid2cocovid', 'vipseg2cocovid',
              'kitti_step2video_sequence')


def _tool(name):
    path = osp.join(REPO, 'tools', 'dataset_converters', f'{name}.py')
    spec = importlib.util.spec_from_file_location(f'_converter_{name}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def videos():
    from mmvidseg.testing import generate_toy_video
    return {
        'train': [generate_toy_video(1, num_frames=4, height=24, width=32)],
        'val': [
            generate_toy_video(2000 + s, num_frames=3, height=24, width=32)
            for s in range(2)
        ],
    }


@pytest.mark.parametrize('name', CONVERTERS)
def test_help(name, capsys):
    with pytest.raises(SystemExit) as e:
        _tool(name).main(['--help'])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith('usage:') and 'Examples:' in out


# ---------------------------------------------------------------- ImageNet VID


def test_imagenet_vid_round_trip(videos, tmp_path):
    from mmvidseg.testing.toy_formats import (imagenet_vid_categories,
                                              write_imagenet_vid)
    root = write_imagenet_vid(str(tmp_path / 'ilsvrc'), videos)
    cats = str(tmp_path / 'categories.json')
    with open(cats, 'w') as f:
        json.dump(imagenet_vid_categories(), f)
    out = str(tmp_path / 'out')
    _tool('imagenet_vid2cocovid').main(
        [root, '--out-dir', out, '--categories', cats])
    for split in ('train', 'val'):
        with open(osp.join(out, f'imagenet_vid_{split}.json')) as f:
            converted = json.load(f)
        with open(osp.join(root, 'annotations',
                           f'imagenet_vid_{split}.json')) as f:
            written = json.load(f)
        assert converted == written
    # the dataset reads the converter's output
    from mmvidseg.datasets import ImageNetVIDDataset
    ds = ImageNetVIDDataset(
        data_root=root, ann_file=osp.join(out, 'imagenet_vid_val.json'),
        test_mode=True)
    assert len(ds) == 2


def test_imagenet_vid_errors(videos, tmp_path):
    from mmvidseg.testing.toy_formats import write_imagenet_vid
    root = write_imagenet_vid(str(tmp_path / 'ilsvrc'), videos)
    tool = _tool('imagenet_vid2cocovid')
    xml = osp.join(root, 'Annotations', 'VID', 'val', 'toy_2001',
                   '000001.xml')
    with open(xml) as f:
        text = f.read()
    with open(xml, 'w') as f:
        f.write(text.replace('<size>', '<sizes>').replace('</size>',
                                                          '</sizes>'))
    with pytest.raises(ValueError, match='has no <size>') as e:
        tool.main([root, '--splits', 'val'])
    assert xml in str(e.value)
    os.remove(xml)
    with pytest.raises(FileNotFoundError, match='000001.xml'):
        tool.main([root, '--splits', 'val'])
    os.remove(osp.join(root, 'Lists', 'VID_val_videos.txt'))
    with pytest.raises(FileNotFoundError, match='VID_val_videos.txt'):
        tool.main([root, '--splits', 'val'])


# ---------------------------------------------------------------------- VIPSeg


def test_vipseg_round_trip(videos, tmp_path):
    from mmvidseg.datasets import CityscapesVPSDataset, VIPSegDataset
    from mmvidseg.testing import TOY_CLASSES, TOY_THING_CLASSES
    from mmvidseg.testing.toy_formats import write_vipseg
    from mmvidseg.utils.setup_env import register_all_modules
    register_all_modules()
    root = write_vipseg(str(tmp_path / 'vipseg'), videos)
    written = {}
    for split in ('train', 'val'):
        path = osp.join(root, f'panoptic_gt_VIPSeg_{split}.json')
        with open(path) as f:
            written[split] = json.load(f)
        os.remove(path)
    shutil.rmtree(osp.join(root, 'panomasksRGB'))
    _tool('vipseg2cocovid').main([root])

    for split in ('train', 'val'):
        with open(osp.join(root, f'panoptic_gt_VIPSeg_{split}.json')) as f:
            converted = json.load(f)
        assert converted['categories'] == written[split]['categories']
        assert converted['videos'] == written[split]['videos']
        for conv, ref in zip(converted['annotations'],
                             written[split]['annotations']):
            assert conv['video_id'] == ref['video_id']
            for a, b in zip(conv['annotations'], ref['annotations']):
                assert a['image_id'] == b['image_id']

                def key(s):
                    return s['category_id'], s['area']

                assert sorted(map(key, a['segments_info'])) == sorted(
                    map(key, b['segments_info']))

    # the COCO form decodes to the same panoptic maps as the panomasks
    def pipeline(fmt):
        return [dict(type='TransformBroadcaster', transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadPanopticMap', format=fmt)]),
            dict(type='PackVideoInputs')]

    meta = dict(classes=TOY_CLASSES, thing_classes=TOY_THING_CLASSES)
    coco = CityscapesVPSDataset(
        data_root=root, ann_file='panoptic_gt_VIPSeg_val.json',
        data_prefix=dict(img_path='images', seg_map_path='panomasksRGB'),
        img_suffix='.jpg', metainfo=meta, test_mode=True,
        pipeline=pipeline('coco_video'))
    raw = VIPSegDataset(data_root=root, test_mode=True,
                        pipeline=pipeline('vipseg'))
    assert len(coco) == len(raw) == 2
    for index in range(2):
        a = coco.prepare_data(index)['data_samples']
        b = raw.prepare_data(index)['data_samples']
        pairs = set()
        for fa, fb in zip(a.video_data_samples, b.video_data_samples):
            assert fa.img_path == fb.img_path
            pa = fa.gt_panoptic_seg.sem_seg[0].numpy()
            pb = fb.gt_panoptic_seg.sem_seg[0].numpy()
            np.testing.assert_array_equal(pa // 1000, pb // 1000)
            pairs |= set(zip(pa.ravel().tolist(), pb.ravel().tolist()))
        # one-to-one track correspondence over the whole video
        assert len({p for p, _ in pairs}) == len({q for _, q in pairs}) == \
            len(pairs)


def test_vipseg_value_200(videos, tmp_path):
    from mmvidseg.testing.toy_formats import write_vipseg
    root = write_vipseg(str(tmp_path / 'vipseg'), {'val': videos['val'][:1]})
    path = osp.join(root, 'panomasks', videos['val'][0].name, '00000000.png')
    pan = np.array(Image.open(path))
    pan[:2, :2] = 200
    Image.fromarray(pan).save(path)
    tool = _tool('vipseg2cocovid')
    out = osp.join(root, 'panoptic_gt_VIPSeg_val.json')
    tool.main([root, '--splits', 'val'])
    with open(out) as f:
        segs = json.load(f)['annotations'][0]['annotations'][0][
            'segments_info']
    assert any(s['category_id'] == 1 and s['area'] == 4 for s in segs)
    tool.main([root, '--splits', 'val', '--void-200'])
    with open(out) as f:
        segs = json.load(f)['annotations'][0]['annotations'][0][
            'segments_info']
    assert sum(s['area'] for s in segs) == 24 * 32 - 4


def test_vipseg_errors(videos, tmp_path):
    from mmvidseg.testing.toy_formats import write_vipseg
    root = write_vipseg(str(tmp_path / 'vipseg'), {'val': videos['val'][:1]})
    tool = _tool('vipseg2cocovid')
    path = osp.join(root, 'panomasks', videos['val'][0].name, '00000001.png')
    pan = np.array(Image.open(path))
    pan[0, 0] = 9901  # category 98, not in the toy list
    Image.fromarray(pan).save(path)
    with pytest.raises(ValueError, match='value 9901') as e:
        tool.main([root, '--splits', 'val'])
    assert path in str(e.value)
    with pytest.raises(FileNotFoundError, match='test.txt'):
        tool.main([root, '--splits', 'test'])


# ------------------------------------------------------------------ KITTI-STEP


def test_kitti_step_round_trip(videos, tmp_path):
    from mmvidseg.testing.toy_formats import write_kitti_step
    ref = write_kitti_step(str(tmp_path / 'ref'), videos)
    # rebuild the official release layout from the reference files
    images, step = str(tmp_path / 'kitti'), str(tmp_path / 'step')
    seq_of = dict(train={0: 0}, val={0: 5, 1: 9})  # toy seq -> KITTI seq
    for split, mapping in seq_of.items():
        folder = osp.join(ref, 'video_sequence', split)
        for name in os.listdir(folder):
            seq, frame = int(name[:6]), int(name[7:13])
            kseq = f'{mapping[seq]:04d}'
            if name.endswith('_leftImg8bit.png'):
                dst = osp.join(images, 'training', 'image_02', kseq,
                               f'{frame:06d}.png')
            else:
                dst = osp.join(step, 'panoptic_maps', split, kseq,
                               f'{frame:06d}.png')
            os.makedirs(osp.dirname(dst), exist_ok=True)
            shutil.copyfile(osp.join(folder, name), dst)
    out = str(tmp_path / 'out')
    _tool('kitti_step2video_sequence').main([images, step, out])
    for split, mapping in seq_of.items():
        src = osp.join(ref, 'video_sequence', split)
        dst = osp.join(out, 'video_sequence', split)
        assert len(os.listdir(dst)) == len(os.listdir(src))
        for name in os.listdir(src):
            seq = int(name[:6])
            new = f'{mapping[seq]:06d}' + name[6:]
            with open(osp.join(src, name), 'rb') as a, \
                    open(osp.join(dst, new), 'rb') as b:
                assert a.read() == b.read()
    from mmvidseg.datasets import KITTISTEPDataset
    ds = KITTISTEPDataset(
        data_root=out, data_prefix=dict(img_path='video_sequence/val'),
        metainfo=dict(classes=('a', 'car', 'person')), test_mode=True)
    assert [ds.get_data_info(i)['video_name'] for i in range(2)] == \
        ['000005', '000009']
    # a panoptic map without its frame is an error naming both
    os.remove(osp.join(images, 'training', 'image_02', '0009',
                       '000001.png'))
    with pytest.raises(FileNotFoundError, match='0009/000001.png'):
        _tool('kitti_step2video_sequence').main([images, step, out])
