# Copyright (c) OpenMMLab. All rights reserved.
"""Toy DAVIS videos with an object that is hidden and comes back."""
import filecmp
import hashlib
import importlib.util
import json
import os
import os.path as osp

import numpy as np
import pytest

from mmvidseg.testing import generate_toy_videos
from mmvidseg.testing.toy_formats.davis import write_davis
from mmvidseg.testing.toy_formats.occlusion import (candidate_boxes,
                                                    occlude_toy_video)


@pytest.fixture(scope='module')
def videos():
    return generate_toy_videos(4, 1000, num_frames=8, height=48, width=64)


def test_an_object_is_hidden_then_back(videos):
    hidden_any = 0
    for video in videos:
        out = occlude_toy_video(video, num_frames=3, start=2)
        assert out.images.shape == video.images.shape
        if out is video:
            continue
        hidden = [k for k in video.visible_tracks(0)
                  if (out.instance[0] == k).any()
                  and not (out.instance[2:5] == k).any()
                  and (out.instance[5:] == k).any()]
        assert hidden, video.name
        hidden_any += 1
        # the sign is camera-fixed stuff: no track, no motion
        sign = (out.instance != video.instance) | (
            out.images != video.images).any(-1)
        assert (out.instance[sign] == 0).all()
        assert (out.flow[sign[:-1]] == 0).all()
        # the original video is untouched
        assert not np.shares_memory(out.images, video.images)
    assert hidden_any >= 3


def test_static_sign_videos_unchanged(videos):
    """The default (static sign) output is the one of earlier releases,
    bit for bit (digest of the arrays and boxes before the transient
    option was added)."""
    digest = hashlib.md5()
    for video in videos:
        out = occlude_toy_video(video, 3)
        for a in (out.images, out.semantic, out.instance, out.depth,
                  out.flow):
            digest.update(a.tobytes())
        digest.update(repr(candidate_boxes(out)).encode())
    assert digest.hexdigest() == '933471ba54847dd41e9df6141602edc4'


def test_transient_sign_object_back_whole():
    videos = generate_toy_videos(6, 1000, num_frames=16)
    for video in videos:
        out = occlude_toy_video(video, 3, start=2, transient=True)
        assert out is not video, video.name
        hidden = [k for k in video.visible_tracks(0)
                  if (video.instance[2:5] == k).any()
                  and not (out.instance[2:5] == k).any()]
        assert hidden, video.name
        # the sign is there only in the hidden frames
        same = [t for t in range(16) if t not in (2, 3, 4)]
        assert (out.images[same] == video.images[same]).all()
        assert (out.instance[same] == video.instance[same]).all()
        changed = (out.instance != video.instance) | (
            out.images != video.images).any(-1)
        assert (out.instance[changed] == 0).all()
        assert (out.flow[changed[:-1]] == 0).all()
        # back whole right after, and in view for most of the rest
        areas = (video.instance == hidden[0]).sum((1, 2))
        assert areas[5] >= 0.9 * areas.max()
        assert (areas[5:] >= 0.5 * areas.max()).sum() >= 8


def test_bad_frames_raise(videos):
    with pytest.raises(ValueError, match='cannot hide'):
        occlude_toy_video(videos[0], num_frames=7, start=1)
    with pytest.raises(ValueError, match='cannot hide'):
        occlude_toy_video(videos[0], num_frames=2, start=0)


def test_candidate_boxes_are_the_visible_things(videos):
    boxes = candidate_boxes(videos[0])
    assert sorted(boxes, key=int) == [str(t) for t in range(8)]
    for t, frame_boxes in boxes.items():
        assert len(frame_boxes) == len(videos[0].visible_tracks(int(t)))
        assert all(b[4] == 1.0 and len(b) == 5 for b in frame_boxes)


def _same_tree(a, b):
    for root, _, files in os.walk(a):
        for name in files:
            rel = osp.relpath(osp.join(root, name), a)
            assert filecmp.cmp(osp.join(a, rel), osp.join(b, rel),
                               shallow=False), rel
    return True


def test_writer_default_unchanged_and_option(tmp_path, videos):
    splits = {'val': videos[:2]}
    plain = write_davis(str(tmp_path / 'a'), splits)
    zero = write_davis(str(tmp_path / 'b'), splits, occlude_frames=0)
    assert _same_tree(plain, zero) and _same_tree(zero, plain)
    assert not osp.exists(osp.join(plain, 'Proposals'))
    occ = write_davis(str(tmp_path / 'c'), splits, occlude_frames=3)
    with open(osp.join(occ, 'Proposals', '480p', 'val.json')) as f:
        props = json.load(f)
    assert sorted(props) == [v.name for v in videos[:2]]
    with pytest.raises(AssertionError):
        _same_tree(plain, occ)


def test_cli_option(tmp_path):
    path = osp.join(osp.dirname(__file__), '..', '..', 'tools', 'misc',
                    'generate_toy_data.py')
    spec = importlib.util.spec_from_file_location('generate_toy_data', path)
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    small = ['--num-train', '0', '--num-val', '1', '--frames', '6',
             '--height', '32', '--width', '48']
    out = str(tmp_path / 'occ')
    assert cli.main(['davis', out, '--occlude-frames', '2'] + small) == 0
    assert osp.exists(osp.join(out, 'Proposals', '480p', 'val.json'))
    with pytest.raises(SystemExit):
        cli.main(['vspw', out, '--occlude-frames', '2'] + small)
    with pytest.raises(SystemExit):  # needs --occlude-frames
        cli.main(['davis', out, '--occluder', 'transient'] + small)
    with pytest.raises(SystemExit):
        cli.main(['davis', out, '--occlude-start', '1'] + small)
    out = str(tmp_path / 'transient')
    assert cli.main(['davis', out, '--occlude-frames', '2',
                     '--occlude-start', '1', '--occluder', 'transient'] +
                    small) == 0
    assert osp.exists(osp.join(out, 'Proposals', '480p', 'val.json'))
