# Copyright (c) OpenMMLab. All rights reserved.
"""The dataset converters write the same files with --nproc 1 and 2, and
show a progress bar."""
import importlib.util
import os
import os.path as osp
import shutil
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _tool(name):
    path = osp.join(REPO, 'tools', 'dataset_converters', f'{name}.py')
    module_name = f'_nproc_converter_{name}'
    if module_name not in sys.modules:
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        # worker processes unpickle the task functions by module name
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    return sys.modules[module_name]


@pytest.fixture(scope='module')
def videos():
    from mmvidseg.testing import generate_toy_video
    return {
        'train': [
            generate_toy_video(s, num_frames=3, height=24, width=32)
            for s in (1, 2, 3)
        ],
        'val': [
            generate_toy_video(2000 + s, num_frames=3, height=24, width=32)
            for s in range(2)
        ],
    }


def _files(root):
    """Relative path -> bytes of every file under ``root``."""
    out = {}
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = osp.join(dirpath, name)
            with open(path, 'rb') as f:
                out[osp.relpath(path, root)] = f.read()
    return out


def _run_both(run, tmp_path, capfd):
    """``run(out_dir, nproc)`` for nproc 1 and 2: their files."""
    outputs = []
    for nproc in (1, 2):
        out = str(tmp_path / f'nproc{nproc}')
        run(out, nproc)
        text = capfd.readouterr().out
        assert 'task/s' in text, text  # mmengine's progress bar
        outputs.append(_files(out))
    assert outputs[0] and outputs[0].keys() == outputs[1].keys()
    for key in outputs[0]:
        assert outputs[0][key] == outputs[1][key], key
    return outputs[0]


def test_imagenet_vid(videos, tmp_path, capfd):
    from mmvidseg.testing.toy_formats import (imagenet_vid_categories,
                                              write_imagenet_vid)
    root = write_imagenet_vid(str(tmp_path / 'ilsvrc'), videos)
    cats = str(tmp_path / 'categories.json')
    with open(cats, 'w') as f:
        import json
        json.dump(imagenet_vid_categories(), f)
    tool = _tool('imagenet_vid2cocovid')
    files = _run_both(
        lambda out, n: tool.main(
            [root, '--out-dir', out, '--categories', cats, '--nproc',
             str(n)]), tmp_path, capfd)
    assert sorted(files) == ['imagenet_vid_train.json',
                             'imagenet_vid_val.json']


def test_imagenet_det(videos, tmp_path, capfd):
    from mmvidseg.testing.toy_formats import write_imagenet_det
    root = write_imagenet_det(str(tmp_path / 'ilsvrc'),
                              {'train': videos['train']})
    tool = _tool('imagenet_det2cocovid')
    files = _run_both(
        lambda out, n: tool.main(
            [root, '--out', osp.join(out, 'det.json'), '--nproc',
             str(n)]), tmp_path, capfd)
    assert list(files) == ['det.json']


def test_vipseg(videos, tmp_path, capfd):
    from mmvidseg.testing.toy_formats import write_vipseg
    ref = write_vipseg(str(tmp_path / 'vipseg'), videos)
    shutil.rmtree(osp.join(ref, 'panomasksRGB'))
    tool = _tool('vipseg2cocovid')

    def run(out, nproc):
        shutil.copytree(ref, out)
        tool.main([out, '--nproc', str(nproc)])

    files = _run_both(run, tmp_path, capfd)
    assert sum(k.startswith('panomasksRGB') for k in files) == 15


def test_kitti_step(videos, tmp_path, capfd):
    from mmvidseg.testing.toy_formats import write_kitti_step
    ref = write_kitti_step(str(tmp_path / 'ref'), videos)
    images, step = str(tmp_path / 'kitti'), str(tmp_path / 'step')
    for split in ('train', 'val'):
        folder = osp.join(ref, 'video_sequence', split)
        for name in os.listdir(folder):
            seq, frame = f'{int(name[:6]):04d}', int(name[7:13])
            dst = osp.join(images, 'training', 'image_02', seq,
                           f'{frame:06d}.png') \
                if name.endswith('_leftImg8bit.png') else osp.join(
                    step, 'panoptic_maps', split, seq, f'{frame:06d}.png')
            os.makedirs(osp.dirname(dst), exist_ok=True)
            shutil.copyfile(osp.join(folder, name), dst)
    tool = _tool('kitti_step2video_sequence')
    files = _run_both(
        lambda out, n: tool.main(
            [images, step, out, '--copy', '--nproc', str(n)]), tmp_path,
        capfd)
    # frames and panoptic maps of 5 videos x 3 frames
    assert len(files) == 30


def test_nproc_must_be_positive(capfd):
    with pytest.raises(SystemExit):
        _tool('vipseg2cocovid').parse_args(['root', '--nproc', '0'])
    assert '--nproc must be at least 1, got 0' in capfd.readouterr().err
    from mmvidseg.utils.progress import track_map
    with pytest.raises(ValueError, match='nproc must be at least 1'):
        track_map(abs, [1], nproc=0)
    assert track_map(abs, [-1, -2, 3], nproc=2) == [1, 2, 3]
