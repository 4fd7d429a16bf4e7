# Copyright (c) OpenMMLab. All rights reserved.
"""Tests of ``tools/misc/generate_toy_data.py``."""
import importlib.util
import os
import os.path as osp

import pytest

SCRIPT = osp.join(
    osp.dirname(__file__), '..', '..', 'tools', 'misc', 'generate_toy_data.py')
SMALL = ['--num-train', '2', '--num-val', '1', '--frames', '2', '--height',
         '16', '--width', '24', '--objects', '2']


@pytest.fixture(scope='module')
def cli():
    spec = importlib.util.spec_from_file_location('generate_toy_data',
                                                  SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _files(root):
    out = {}
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = osp.join(dirpath, name)
            with open(path, 'rb') as f:
                out[osp.relpath(path, root)] = f.read()
    return out


def test_help(cli, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(['--help'])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for name in ('vspw', 'davis', 'triplets', 'cityscapes_vps',
                 'youtube_vos', 'all', '--num-train'):
        assert name in out


def test_unknown_format_is_rejected(cli, tmp_path):
    with pytest.raises(SystemExit) as exc:
        cli.main(['coco', str(tmp_path)])
    assert exc.value.code == 2


def test_deterministic_and_seeded(cli, tmp_path):
    a, b, c = (str(tmp_path / n) for n in 'abc')
    assert cli.main(['davis', a] + SMALL) == 0
    assert cli.main(['davis', b] + SMALL) == 0
    assert cli.main(['davis', c, '--seed', '5'] + SMALL) == 0
    files_a = _files(a)
    assert files_a == _files(b)
    assert files_a != _files(c)
    # train seeds [seed, seed + N), val seeds from seed + 1000
    with open(osp.join(a, 'ImageSets', '2017', 'train.txt')) as f:
        assert f.read().split() == ['toy_0000', 'toy_0001']
    with open(osp.join(a, 'ImageSets', '2017', 'val.txt')) as f:
        assert f.read().split() == ['toy_1000']
    with open(osp.join(c, 'ImageSets', '2017', 'val.txt')) as f:
        assert f.read().split() == ['toy_1005']
    assert 'JPEGImages/480p/toy_0000/00001.jpg' in files_a


@pytest.mark.parametrize('fmt,expected', [
    ('vspw', 'data/toy_0000/mask/00000001.png'),
    ('kitti_step', 'video_sequence/val/000000_000001_panoptic.png'),
    ('youtube_vis', 'valid.json'),
    ('imagenet_vid', 'annotations/imagenet_vid_val.json'),
    ('vipseg', 'panoptic_gt_VIPSeg_train.json'),
    ('cityscapes_dvps',
     'video_sequence/train/000001_000001_toy_000001_000001_depth.png'),
    ('semkitti_dvps',
     'video_sequence/val/000000_000000_depth_718.8560180664062.png'),
    ('cityscapes_vps',
     'val/panoptic_video/0001_0001_toy_000001_000001_final_mask.png'),
    ('youtube_vos', 'valid/Annotations/toy_1000/00000.png'),
])
def test_each_format(cli, tmp_path, fmt, expected):
    assert cli.main([fmt, str(tmp_path)] + SMALL) == 0
    assert osp.isfile(osp.join(str(tmp_path), expected))


def test_difficulty(cli, tmp_path):
    easy, hard, default = (str(tmp_path / n) for n in ('e', 'h', 'd'))
    assert cli.main(['vspw', easy, '--difficulty', 'easy'] + SMALL) == 0
    assert cli.main(['vspw', default] + SMALL) == 0
    assert cli.main(['vspw', hard, '--difficulty', 'hard'] + SMALL) == 0
    assert _files(easy) == _files(default)
    assert _files(easy) != _files(hard)
    with pytest.raises(SystemExit):
        cli.main(['vspw', hard, '--difficulty', 'medium'])


def test_camouflage(cli, tmp_path):
    plain, camo = str(tmp_path / 'p'), str(tmp_path / 'c')
    assert cli.main(['davis', plain] + SMALL) == 0
    assert cli.main(['davis', camo, '--camouflage'] + SMALL) == 0
    plain, camo = _files(plain), _files(camo)
    assert plain.keys() == camo.keys()
    # same ground truth, repainted frames
    for name in plain:
        if name.startswith('Annotations'):
            assert plain[name] == camo[name]
    assert any(plain[n] != camo[n] for n in plain
               if n.startswith('JPEGImages'))
    colour = str(tmp_path / 'col')
    assert cli.main(['davis', colour, '--camouflage', 'colour'] + SMALL) == 0
    assert _files(colour) != camo
    with pytest.raises(SystemExit):
        cli.main(['davis', colour, '--camouflage', 'texture'])


def test_all(cli, tmp_path):
    # triplets need at least 3 frames per video
    args = SMALL[:SMALL.index('--frames') + 1] + ['3'] + SMALL[
        SMALL.index('--frames') + 2:]
    assert cli.main(['all', str(tmp_path)] + args) == 0
    assert sorted(os.listdir(str(tmp_path))) == sorted(cli.FORMATS)


def test_thing_depth(cli, tmp_path):
    plain, ground = str(tmp_path / 'p'), str(tmp_path / 'g')
    assert cli.main(['cityscapes_dvps', plain] + SMALL) == 0
    assert cli.main(['cityscapes_dvps', ground, '--thing-depth', 'random'] +
                    SMALL) == 0
    assert _files(plain) == _files(ground)
    assert cli.main(['cityscapes_dvps', ground, '--thing-depth', 'ground'] +
                    SMALL + ['--height', '48', '--width', '72']) == 0
    assert cli.main(['cityscapes_dvps', plain] + SMALL +
                    ['--height', '48', '--width', '72']) == 0
    plain, ground = _files(plain), _files(ground)
    assert plain.keys() == ground.keys()
    assert any(plain[n] != ground[n] for n in plain if 'depth' in n)
    with pytest.raises(SystemExit):
        cli.main(['cityscapes_dvps', str(tmp_path), '--thing-depth', 'x'])
