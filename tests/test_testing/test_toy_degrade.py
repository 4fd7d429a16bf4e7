# Copyright (c) OpenMMLab. All rights reserved.
"""Degraded toy ImageNet VID frames (``--degrade``)."""
import hashlib
import importlib.util
import json
import os
import os.path as osp

import numpy as np
import pytest

from mmvidseg.testing import generate_toy_videos
from mmvidseg.testing.toy_degrade import (DEGRADATIONS, degrade_frame,
                                          plan_degradations)
from mmvidseg.testing.toy_formats._io import save_jpg
from mmvidseg.testing.toy_formats.imagenet_vid import write_imagenet_vid

SCRIPT = osp.join(
    osp.dirname(__file__), '..', '..', 'tools', 'misc', 'generate_toy_data.py')


@pytest.fixture(scope='module')
def splits():
    kwargs = dict(num_frames=6, height=32, width=48, num_objects=2)
    return dict(
        train=generate_toy_videos(2, 0, **kwargs),
        val=generate_toy_videos(1, 1000, **kwargs))


def _read(root):
    out = {}
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = osp.join(dirpath, name)
            with open(path, 'rb') as f:
                out[osp.relpath(path, root)] = f.read()
    return out


def _jpg_bytes(tmp_path, image):
    path = str(tmp_path / 'ref.jpg')
    save_jpg(path, image)
    with open(path, 'rb') as f:
        return f.read()


def test_default_output_is_the_clean_frames(tmp_path, splits):
    """Without ``degrade`` every JPEG is exactly the clean frame's and the
    output equals ``degrade=0``'s, byte for byte."""
    plain = _read(write_imagenet_vid(str(tmp_path / 'a'), splits))
    zero = _read(
        write_imagenet_vid(str(tmp_path / 'b'), splits, degrade=0.0,
                           degrade_seed=5))
    assert plain == zero
    video = splits['val'][0]
    for t in range(video.num_frames):
        name = f'Data/VID/val/{video.name}/{t:06d}.JPEG'
        assert plain[name] == _jpg_bytes(tmp_path, video.images[t])


def test_degraded_share_and_clean_annotations(tmp_path, splits):
    clean = _read(write_imagenet_vid(str(tmp_path / 'clean'), splits))
    bad = _read(
        write_imagenet_vid(str(tmp_path / 'bad'), splits, degrade=0.5))
    again = _read(
        write_imagenet_vid(str(tmp_path / 'again'), splits, degrade=0.5))
    other = _read(
        write_imagenet_vid(str(tmp_path / 'other'), splits, degrade=0.5,
                           degrade_seed=1))
    assert bad == again and bad != other
    assert set(bad) == set(clean)
    for name in clean:
        if not name.endswith('.JPEG'):  # JSON, XML, lists: the clean ones
            assert bad[name] == clean[name], name
    for split, videos in splits.items():
        for video in videos:
            folder = (f'Data/VID/train/ILSVRC2015_VID_train_0000/{video.name}'
                      if split == 'train' else f'Data/VID/val/{video.name}')
            names = [f'{folder}/{t:06d}.JPEG' for t in range(video.num_frames)]
            changed = sum(bad[n] != clean[n] for n in names)
            assert changed == 3  # half of 6 frames
    with open(tmp_path / 'bad' / 'annotations' /
              'imagenet_vid_val.json') as f:
        assert json.load(f)['annotations']


def test_degrade_frame_kinds():
    rng = np.random.default_rng(0)
    image = np.zeros((20, 30, 3), np.uint8)
    image[5:15, 10:20] = 255
    blur = degrade_frame(image, 'motion_blur', [], rng)
    defocus = degrade_frame(image, 'defocus', [], rng)
    for out in (blur, defocus):
        assert out.shape == image.shape and out.dtype == np.uint8
        assert 0 < out[5:15, 10:20].mean() < 255  # edges smeared
        assert abs(float(out.mean()) - float(image.mean())) < 5
    occluded = degrade_frame(image, 'occlusion', [(10, 5, 20, 15)], rng)
    changed = (occluded != image).any(-1)
    ys, xs = np.nonzero(changed)
    assert changed.sum() >= 0.5 * 100 * 0.9  # at least half of the box
    assert ys.min() >= 5 and ys.max() < 15 and xs.min() >= 10 and \
        xs.max() < 20
    assert (image == degrade_frame(image, 'defocus', [], rng)).any()
    with pytest.raises(ValueError, match='unknown degradation'):
        degrade_frame(image, 'snow', [], rng)


def test_plan_degradations():
    rng = np.random.default_rng(0)
    plan = plan_degradations(10, 0.3, rng)
    assert sum(k is not None for k in plan) == 3
    assert {k for k in plan if k} <= set(DEGRADATIONS)
    assert plan_degradations(4, 0.0, rng) == [None] * 4
    assert None not in plan_degradations(4, 1.0, rng)
    with pytest.raises(ValueError, match='fraction'):
        plan_degradations(4, 1.5, rng)


def test_cli_degrade_option(tmp_path):
    spec = importlib.util.spec_from_file_location('generate_toy_data',
                                                  SCRIPT)
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    small = ['--num-train', '1', '--num-val', '1', '--frames', '4',
             '--height', '16', '--width', '24', '--objects', '1']
    assert cli.main(['imagenet_vid', str(tmp_path / 'd'), '--degrade',
                     '0.5', *small]) == 0
    for argv in (['vspw', str(tmp_path / 'v'), '--degrade', '0.5'],
                 ['imagenet_vid', str(tmp_path / 'x'), '--degrade', '2']):
        with pytest.raises(SystemExit) as exc:
            cli.main(argv + small)
        assert exc.value.code == 2


def _mild_digest(strength=None):
    """SHA-256 of mild degradations of a fixed frame (the default)."""
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (24, 36, 3)).astype(np.uint8)
    kwargs = {} if strength is None else dict(strength=strength)
    digest = hashlib.sha256()
    for kind in ('motion_blur', 'defocus', 'occlusion', 'occlusion'):
        boxes = [(4, 3, 20, 18), (18, 8, 33, 22)] \
            if kind == 'occlusion' else []
        digest.update(
            degrade_frame(image, kind, boxes, rng, **kwargs).tobytes())
    digest.update(degrade_frame(image, 'occlusion', [], rng).tobytes())
    return digest.hexdigest()


def test_mild_is_the_default_and_unchanged():
    """The default strength gives the frames of earlier releases (digest
    taken with the code before ``strength`` existed)."""
    old = 'b8460866da05890b91ab54033e14aefdae78d3071564b012b6e2ddba6b5f76dc'
    assert _mild_digest() == old == _mild_digest('mild')


def test_strong_degradations():
    rng = np.random.default_rng(0)
    image = np.zeros((40, 60, 3), np.uint8)
    image[10:30, 20:40] = 255
    boxes = [(20, 10, 40, 30), (2, 2, 12, 12)]
    for kind in ('motion_blur', 'defocus'):
        mild = degrade_frame(image, kind, boxes, np.random.default_rng(1))
        strong = degrade_frame(image, kind, boxes, np.random.default_rng(1),
                               'strong')
        # a wider kernel smears more of the square's inside
        assert (strong[10:30, 20:40] < 255).sum() > \
            (mild[10:30, 20:40] < 255).sum()
    out = degrade_frame(image, 'occlusion', boxes, rng, 'strong')
    for x1, y1, x2, y2 in boxes:  # every box is >= 75 % hidden
        hidden = (out[y1:y2, x1:x2] != image[y1:y2, x1:x2]).any(-1)
        assert hidden.mean() >= 0.7
    assert (out != image).any(-1).sum() <= 20 * 20 + 10 * 10
    assert (degrade_frame(image, 'occlusion', [], rng, 'strong') !=
            image).any()
    with pytest.raises(ValueError, match='strength'):
        degrade_frame(image, 'defocus', [], rng, 'heavy')


def test_strong_writer_and_cli(tmp_path, splits):
    mild = _read(write_imagenet_vid(str(tmp_path / 'm'), splits,
                                    degrade=0.5))
    strong = _read(write_imagenet_vid(str(tmp_path / 's'), splits,
                                      degrade=0.5,
                                      degrade_strength='strong'))
    assert set(mild) == set(strong)
    jpgs = [n for n in mild if n.endswith('.JPEG')]
    assert any(mild[n] != strong[n] for n in jpgs)
    assert all(mild[n] == strong[n] for n in mild if n not in jpgs)
    with pytest.raises(ValueError, match='degrade_strength'):
        write_imagenet_vid(str(tmp_path / 'x'), splits, degrade=0.5,
                           degrade_strength='heavy')
    spec = importlib.util.spec_from_file_location('generate_toy_data',
                                                  SCRIPT)
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    small = ['--num-train', '1', '--num-val', '1', '--frames', '4',
             '--height', '16', '--width', '24', '--objects', '1']
    assert cli.main(['imagenet_vid', str(tmp_path / 'c'), '--degrade', '0.5',
                     '--degrade-strength', 'strong', *small]) == 0
    with pytest.raises(SystemExit) as exc:  # strength without --degrade
        cli.main(['imagenet_vid', str(tmp_path / 'y'),
                  '--degrade-strength', 'strong', *small])
    assert exc.value.code == 2
