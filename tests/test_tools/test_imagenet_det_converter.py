# Copyright (c) OpenMMLab. All rights reserved.
"""ImageNet DET XML -> CocoVID JSON -> ImageNetVIDDataset."""
import importlib.util
import json
import os
import os.path as osp

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

PIPELINE = [
    dict(type='TransformBroadcaster',
         transforms=[
             dict(type='LoadImageFromFile'),
             dict(type='LoadVideoInstances'),
         ]),
    dict(type='PackVideoInputs'),
]


@pytest.fixture(autouse=True)
def _mmvidseg_scope():
    from mmengine.registry import DefaultScope

    import mmvidseg.datasets  # noqa: F401 (registers the datasets)
    import mmvidseg.datasets.transforms  # noqa: F401
    with DefaultScope.overwrite_default_scope('mmvidseg'):
        yield


def _tool():
    path = osp.join(REPO, 'tools', 'dataset_converters',
                    'imagenet_det2cocovid.py')
    spec = importlib.util.spec_from_file_location('_imagenet_det2cocovid',
                                                  path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def videos():
    from mmvidseg.testing import generate_toy_video
    return {
        'train': [
            generate_toy_video(s, num_frames=3, height=24, width=32)
            for s in (3, 4)
        ]
    }


def _frames(videos):
    """``(video, t)`` per DET image, in the writer's order."""
    return [(v, t) for v in videos['train'] for t in range(v.num_frames)]


def _expected(video, t, wnids, categories):
    """``[(box, category name)]`` the dataset must give for a frame: the
    things whose synset is a category, boxes one pixel narrower than the
    visible extent (inclusive XML box, ``w = xmax - xmin``), boxes without
    area dropped."""
    from mmvidseg.testing import TOY_CLASSES
    names = {c['encode_name']: c['name'] for c in categories}
    out = []
    for track in video.visible_tracks(t):
        wnid = wnids[TOY_CLASSES[video.track_label(track)]]
        x1, y1, x2, y2 = video.box(t, track)
        if wnid in names and x2 - x1 > 1 and y2 - y1 > 1:
            out.append(([x1, y1, x2 - 1, y2 - 1], names[wnid]))
    return sorted(out)


def test_help(capsys):
    with pytest.raises(SystemExit) as e:
        _tool().main(['--help'])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith('usage:') and 'Examples:' in out
    assert '--merge-with' in out and 'ConcatDataset' in out


def test_round_trip(videos, tmp_path, capsys):
    from mmvidseg.datasets import ImageNetVIDDataset
    from mmvidseg.testing import TOY_CLASSES
    from mmvidseg.testing.toy_formats import (DET_ONLY_WNID, TOY_DET_WNIDS,
                                              write_imagenet_det)
    tool = _tool()
    root = write_imagenet_det(str(tmp_path / 'ilsvrc'), videos)
    out = tool.main([root])
    assert out == osp.join(root, 'annotations', 'imagenet_det_30cls.json')
    with open(out) as f:
        coco = json.load(f)

    # the 30 VID categories with their synsets
    cats = coco['categories']
    assert [c['id'] for c in cats] == list(range(1, 31))
    assert cats[6] == dict(id=7, name='car', encode_name='n02958343')
    assert cats[17] == dict(id=18, name='monkey', encode_name='n02484322')
    frames = _frames(videos)
    # one one-frame video per image, flagged for VID training
    assert len(coco['videos']) == len(coco['images']) == len(frames)
    for k, image in enumerate(coco['images'], 1):
        assert image['id'] == image['video_id'] == k
        assert image['frame_id'] == 0 and image['is_vid_train_frame']
        assert image['file_name'] == \
            f'train/ILSVRC2014_train_0000/ILSVRC2014_train_{k - 1:08d}.JPEG'
    assert all(v['vid_train_frames'] == [0] for v in coco['videos'])
    # every kept object has its own instance id; chair / soccer ball gone
    anns = coco['annotations']
    assert len({a['instance_id'] for a in anns}) == len(anns)
    assert len({a['id'] for a in anns}) == len(anns)
    kept_wnids = {cats[a['category_id'] - 1]['encode_name'] for a in anns}
    assert kept_wnids <= {TOY_DET_WNIDS['car'], TOY_DET_WNIDS['person']}
    balls = sum(
        TOY_CLASSES[v.track_label(k)] == 'ball' for v, t in frames
        for k in v.visible_tracks(t))
    things = sum(len(v.visible_tracks(t)) for v, t in frames)
    assert len(anns) == things - balls > 0
    synsets = 1 + (balls > 0)
    assert (f'{len(frames)} images as one-frame videos, {len(anns)} boxes '
            f'kept, {len(frames) + balls} boxes of {synsets} synset(s) '
            f'outside the 30 categories dropped') in capsys.readouterr().out

    # the dataset reads it: boxes and labels as written
    ds = ImageNetVIDDataset(
        data_root=root, ann_file=out, data_prefix=dict(img_path='Data/DET'),
        test_mode=True, pipeline=PIPELINE)
    assert len(ds) == len(frames)
    classes = ds.metainfo['classes']
    assert classes[6] == 'car' and len(classes) == 30
    instance_ids = []
    for index, (video, t) in enumerate(frames):
        info = ds.get_data_info(index)
        assert info['video_length'] == 1
        assert info['images'][0]['is_vid_train_frame']
        assert info['key_frame_indices'] == [0]
        sample = ds.prepare_data(index)['data_samples']
        inst = sample.video_data_samples[0].gt_instances
        got = sorted((box, classes[int(label)]) for box, label in zip(
            inst.bboxes.tolist(), inst.labels.tolist()))
        assert got == _expected(video, t, TOY_DET_WNIDS, cats)
        instance_ids += inst.instances_ids.tolist()
    assert len(set(instance_ids)) == len(instance_ids)
    assert DET_ONLY_WNID not in {c['encode_name'] for c in cats}


def test_merge_with_vid(videos, tmp_path):
    """DET merged into the VID train JSON: one dataset, ids continue, and
    the key-frame option keeps the DET images."""
    from mmdet.datasets.samplers import TrackImgSampler

    from mmvidseg.datasets import ImageNetVIDDataset
    from mmvidseg.testing import generate_toy_video
    from mmvidseg.testing.toy_formats import (TOY_VID_WNIDS,
                                              imagenet_vid_categories,
                                              write_imagenet_det,
                                              write_imagenet_vid)
    root = str(tmp_path / 'ilsvrc')
    vid_video = generate_toy_video(7, num_frames=40, height=24, width=32)
    write_imagenet_vid(root, {'train': [vid_video]})
    write_imagenet_det(root, videos, wnids=TOY_VID_WNIDS)
    vid_json = osp.join(root, 'annotations', 'imagenet_vid_train.json')
    with open(vid_json) as f:
        vid = json.load(f)
    out = _tool().main([root, '--merge-with', vid_json])
    assert out == osp.join(root, 'annotations', 'imagenet_vid_det_train.json')
    with open(out) as f:
        merged = json.load(f)
    frames = _frames(videos)
    # the VID part is unchanged, the DET part follows with fresh ids
    assert merged['categories'] == vid['categories']
    for key in ('videos', 'images', 'annotations'):
        assert merged[key][:len(vid[key])] == vid[key]
        ids = [x['id'] for x in merged[key]]
        assert len(set(ids)) == len(ids)
    assert len(merged['images']) == len(vid['images']) + len(frames)
    inst = [a['instance_id'] for a in merged['annotations']]
    vid_inst = {a['instance_id'] for a in vid['annotations']}
    assert min(inst[len(vid['annotations']):]) > max(vid_inst)
    assert merged['images'][-1]['file_name'].startswith('../DET/train/')

    ds = ImageNetVIDDataset(
        data_root=root, ann_file=out, key_frames_only=True, pipeline=[
            dict(type='VideoFrameSample', num_frames=3, mode='random',
                 frame_range=(-9, 9))
        ] + PIPELINE)
    assert ds.metainfo['classes'] == tuple(
        c['name'] for c in imagenet_vid_categories())
    assert len(ds) == 1 + len(frames)
    vid_keys = sum(im['is_vid_train_frame'] for im in vid['images'])
    assert vid_keys == 15
    sampler = TrackImgSampler(ds, seed=0)
    assert len(sampler) == vid_keys + len(frames)
    # a DET item: its one frame three times, boxes as written
    det_index = next(i for i in range(len(ds))
                     if ds.get_data_info(i)['video_length'] == 1)
    video, t = frames[0]
    sample = ds[(det_index, 0)]['data_samples']
    assert len(sample.video_data_samples) == 3
    inst = sample.video_data_samples[0].gt_instances
    classes = ds.metainfo['classes']
    got = sorted((box, classes[int(label)]) for box, label in zip(
        inst.bboxes.tolist(), inst.labels.tolist()))
    assert got == _expected(video, t, TOY_VID_WNIDS, vid['categories'])


def test_unknown_synsets_only(videos, tmp_path, capsys):
    """Images whose objects are all outside the categories stay, empty."""
    from mmvidseg.testing.toy_formats import write_imagenet_det
    root = write_imagenet_det(
        str(tmp_path / 'ilsvrc'), videos,
        wnids=dict(car='n00000001', person='n00000002', ball='n00000003'))
    out = _tool().main([root, '--out', str(tmp_path / 'det.json')])
    with open(out) as f:
        coco = json.load(f)
    n = len(_frames(videos))
    assert len(coco['images']) == n and coco['annotations'] == []
    assert f'{n} images without a kept box' in capsys.readouterr().out


def _edit_xml(root, index, old, new):
    from mmvidseg.testing.toy_formats import imagenet_det_image_name
    path = osp.join(root, 'Annotations', 'DET',
                    imagenet_det_image_name(index) + '.xml')
    with open(path) as f:
        text = f.read()
    assert old in text
    with open(path, 'w') as f:
        f.write(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize('edits,match', [
    ([('</annotation>', '')], 'not valid XML'),
    ([('<size>', '<dims>'), ('</size>', '</dims>')], 'has no <size>'),
    ([('<width>', '<w>'), ('</width>', '</w>')], 'has no <width>'),
    ([('<xmin>0</xmin>', '<xmin>left</xmin>')], 'not a number'),
    ([('<name>n03001627</name>', '')], 'has no <name>'),
    ([('<bndbox>', '<box>'), ('</bndbox>', '</box>')], 'has no <bndbox>'),
    ([('<xmin>0</xmin>', '<xmin>40</xmin>')], 'xmax < xmin'),
])
def test_bad_xml(videos, tmp_path, edits, match):
    from mmvidseg.testing.toy_formats import write_imagenet_det
    root = write_imagenet_det(str(tmp_path / 'ilsvrc'), videos)
    for old, new in edits:
        path = _edit_xml(root, 2, old, new)
    with pytest.raises(ValueError, match=match) as e:
        _tool().main([root])
    assert path in str(e.value)


def test_bad_inputs(videos, tmp_path):
    from mmvidseg.testing.toy_formats import (imagenet_det_image_name,
                                              write_imagenet_det)
    tool = _tool()
    root = write_imagenet_det(str(tmp_path / 'ilsvrc'), videos)
    lst = osp.join(root, 'Lists', 'DET_train_30classes.txt')
    # a missing image list, named
    with pytest.raises(FileNotFoundError, match='nothing.txt'):
        tool.main([root, '--list', str(tmp_path / 'nothing.txt')])
    # a malformed list line, with its line number
    with open(lst) as f:
        lines = f.readlines()
    bad = str(tmp_path / 'bad.txt')
    with open(bad, 'w') as f:
        f.write(lines[0] + 'a b c\n')
    with pytest.raises(ValueError, match=f'{bad}:2'):
        tool.main([root, '--list', bad])
    with open(bad, 'w') as f:
        f.write('\n')
    with pytest.raises(ValueError, match='lists no image'):
        tool.main([root, '--list', bad])
    # a listed image without its XML
    xml = osp.join(root, 'Annotations', 'DET',
                   imagenet_det_image_name(1) + '.xml')
    os.remove(xml)
    with pytest.raises(FileNotFoundError) as e:
        tool.main([root])
    assert xml in str(e.value)
    os.remove(lst)
    with pytest.raises(FileNotFoundError, match='DET_train_30classes.txt'):
        tool.main([root])


def test_bad_merge_and_categories(videos, tmp_path):
    from mmvidseg.testing.toy_formats import write_imagenet_det
    tool = _tool()
    root = write_imagenet_det(str(tmp_path / 'ilsvrc'), videos)
    path = str(tmp_path / 'vid.json')
    with pytest.raises(FileNotFoundError, match='vid.json'):
        tool.main([root, '--merge-with', path])
    for coco, match in [
        ('{"videos": [', 'not valid JSON'),
        (json.dumps(dict(videos=[], images=[], annotations=[])),
         'no "categories"'),
        (json.dumps(dict(categories=[dict(id=1, name='car')], videos=[],
                         images=[], annotations=[])), 'encode_name'),
        (json.dumps(dict(categories=[dict(id=1, name='car',
                                          encode_name='n02958343')],
                         images=[], annotations=[])), 'no "videos"'),
    ]:
        with open(path, 'w') as f:
            f.write(coco)
        with pytest.raises(ValueError, match=match) as e:
            tool.main([root, '--merge-with', path])
        assert path in str(e.value)
    with open(path, 'w') as f:
        json.dump([dict(id=1, name='car')], f)
    with pytest.raises(ValueError, match='encode_name'):
        tool.main([root, '--categories', path])
    with pytest.raises(SystemExit):  # not both
        tool.main([root, '--categories', path, '--merge-with', path])
