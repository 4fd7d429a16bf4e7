# Copyright (c) OpenMMLab. All rights reserved.
import dataclasses
import hashlib

import numpy as np
import pytest

from mmvidseg.testing import TOY_CLASSES, TOY_THING_CLASSES, generate_toy_video
from mmvidseg.testing import toy_video as toy_video_module
from mmvidseg.testing.toy_video import DIFFICULTIES

ARRAYS = ('images', 'semantic', 'instance', 'depth', 'flow')
THINGS = [TOY_CLASSES.index(c) for c in TOY_THING_CLASSES]


def _silhouettes(video, t):
    """Full (unoccluded) mask of every object at frame t, from its
    parameters: {track_id: (H, W) bool}."""
    height, width = video.semantic.shape[1:]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32) + 0.5
    out = {}
    for obj in video.objects:
        cx, cy = obj.position(t)
        out[obj.track_id] = toy_video_module._inside(obj, xs, ys, cx, cy)
    return out


@pytest.mark.parametrize('difficulty', DIFFICULTIES)
def test_shapes_and_dtypes(difficulty):
    video = generate_toy_video(
        0, num_frames=5, height=24, width=40, difficulty=difficulty)
    assert video.images.shape == (5, 24, 40, 3)
    assert video.images.dtype == np.uint8
    assert video.semantic.shape == (5, 24, 40)
    assert video.semantic.dtype == np.uint8
    assert video.instance.dtype == np.int32
    assert video.depth.dtype == np.float32
    assert video.flow.shape == (4, 24, 40, 2)
    assert video.semantic.max() < len(TOY_CLASSES)
    # track ids only on things, and every thing pixel has one
    things = np.isin(video.semantic, THINGS)
    np.testing.assert_array_equal(video.instance > 0, things)


@pytest.mark.parametrize('difficulty', DIFFICULTIES)
def test_same_seed_same_video_different_seed_different_video(difficulty):
    kw = dict(num_frames=4, height=32, width=48, difficulty=difficulty)
    a = generate_toy_video(7, **kw)
    b = generate_toy_video(7, **kw)
    c = generate_toy_video(8, **kw)
    for key in ARRAYS:
        np.testing.assert_array_equal(getattr(a, key), getattr(b, key))
    assert a.objects == b.objects
    for key in ('images', 'semantic', 'instance', 'depth'):
        assert not np.array_equal(getattr(a, key), getattr(c, key)), key


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match='num_frames'):
        generate_toy_video(0, num_frames=0)
    with pytest.raises(ValueError, match='8x8'):
        generate_toy_video(0, height=4)
    with pytest.raises(ValueError, match='difficulty'):
        generate_toy_video(0, difficulty='medium')


@pytest.mark.parametrize('difficulty', DIFFICULTIES)
def test_nearest_object_wins_and_depth_matches(difficulty):
    occlusions = 0
    for seed in range(6):
        video = generate_toy_video(
            seed, num_frames=6, height=48, width=72, difficulty=difficulty)
        depth = {o.track_id: o.depth for o in video.objects}
        for t in range(video.num_frames):
            sil = _silhouettes(video, t)
            expected = np.zeros(video.instance.shape[1:], np.int32)
            nearest = np.full(expected.shape, np.inf)
            for track, mask in sil.items():
                closer = mask & (depth[track] < nearest)
                expected[closer] = track
                nearest[closer] = depth[track]
            np.testing.assert_array_equal(video.instance[t], expected)
            occlusions += int((sum(m.astype(int)
                                   for m in sil.values()) > 1).sum())
            inst = video.instance[t]
            for track in video.visible_tracks(t):
                np.testing.assert_array_equal(
                    video.depth[t][inst == track], np.float32(depth[track]))
                assert video.semantic[t][inst == track][0] == \
                    video.track_label(track)
    assert occlusions > 0, 'no two objects overlapped in any tested video'


@pytest.mark.parametrize('difficulty', DIFFICULTIES)
def test_objects_enter_and_leave(difficulty):
    entered = left = 0
    for seed in range(20):
        video = generate_toy_video(seed, difficulty=difficulty)
        visible = [set(video.visible_tracks(t))
                   for t in range(video.num_frames)]
        tracks = set().union(*visible)
        entered += len(tracks - visible[0])
        left += len(tracks - visible[-1])
    assert entered > 0 and left > 0


def test_flow_moves_stuff_pixels_exactly():
    """Integer camera pan, no noise: a stuff pixel that is stuff in both
    frames has exactly the same colour at x + flow in the next frame."""
    video = generate_toy_video(
        3, num_frames=4, height=40, width=64, camera_speed=2.0, noise=0.0)
    checked = 0
    for t in range(video.num_frames - 1):
        stuff = video.instance[t] == 0
        assert (video.flow[t][stuff] == np.float32([-2.0, 0.0])).all()
        ys, xs = np.nonzero(stuff)
        xt = xs + video.flow[t][ys, xs, 0].astype(int)
        inside = (xt >= 0) & (xt < video.images.shape[2])
        ys, xs, xt = ys[inside], xs[inside], xt[inside]
        stays = video.instance[t + 1][ys, xt] == 0
        np.testing.assert_array_equal(video.images[t + 1][ys, xt][stays],
                                      video.images[t][ys, xs][stays])
        np.testing.assert_array_equal(video.semantic[t + 1][ys, xt][stays],
                                      video.semantic[t][ys, xs][stays])
        checked += int(stays.sum())
    assert checked > 1000


@pytest.mark.parametrize('difficulty', DIFFICULTIES)
def test_flow_moves_thing_pixels_with_their_object(difficulty):
    """The flow of a thing pixel is its object's motion to the next frame
    (its velocity in easy videos), and the pixel centre moved by the flow
    lies inside the object in the next frame."""
    for seed in range(4):
        video = generate_toy_video(
            seed, num_frames=5, height=32, width=48, difficulty=difficulty)
        by_id = {o.track_id: o for o in video.objects}
        for t in range(video.num_frames - 1):
            for track in video.visible_tracks(t):
                obj = by_id[track]
                step = obj.step(t)
                if difficulty == 'easy':
                    assert step == obj.velocity
                ys, xs = np.nonzero(video.instance[t] == track)
                flow = video.flow[t][ys, xs]
                np.testing.assert_array_equal(
                    flow, np.broadcast_to(np.float32(step), flow.shape))
                cx, cy = obj.position(t + 1)
                # a 1e-4 larger silhouette absorbs float32 rounding at edges
                grown = dataclasses.replace(
                    obj, size=tuple(r * (1 + 1e-4) for r in obj.size))
                moved = toy_video_module._inside(
                    grown, xs + 0.5 + step[0], ys + 0.5 + step[1], cx, cy)
                assert moved.all()


def test_easy_videos_are_unchanged_bit_for_bit():
    """``difficulty='easy'`` (the default) draws the videos of earlier
    releases: a hash of every array of three videos, computed before the
    ``difficulty`` option existed."""
    digest = hashlib.sha1()
    for seed in range(3):
        video = generate_toy_video(seed, num_frames=6, height=48, width=72)
        for key in ARRAYS:
            digest.update(np.ascontiguousarray(getattr(video, key)).tobytes())
    assert digest.hexdigest() == '4ecebd66b0b47b23acafa45e3c21410424ee8135'


def test_hard_stuff_flow_is_the_camera_motion():
    """Hard videos: the camera accelerates and shakes (not a constant pan),
    and every stuff pixel's flow is minus the camera's motion."""
    steps = []
    for seed in range(4):
        video = generate_toy_video(
            seed, num_frames=6, height=32, width=48, difficulty='hard')
        motion = np.diff(video.camera, axis=0)
        for t in range(video.num_frames - 1):
            stuff = video.instance[t] == 0
            np.testing.assert_allclose(
                video.flow[t][stuff],
                np.broadcast_to(-motion[t], video.flow[t][stuff].shape),
                atol=1e-4)
        steps.append(motion)
    steps = np.concatenate(steps)
    assert np.abs(steps[:, 1]).max() > 0.1  # vertical shake
    assert np.ptp(steps[:, 0]) > 0.5  # the pan speed changes


def test_hard_things_accelerate_turn_and_bounce():
    changed = turned = bounced = 0
    for seed in range(10):
        video = generate_toy_video(seed, num_frames=10, difficulty='hard')
        for obj in video.objects:
            steps = np.diff(np.asarray(obj.path), axis=0)
            changed += int(np.abs(np.diff(steps, axis=0)).max() > 1e-3)
            turned += int((np.sign(steps[:, 0]) != np.sign(steps[0, 0])).any())
            if obj.label == toy_video_module.BALL:
                bounced += int((steps[:, 1] < 0).any() and
                               (steps[:, 1] > 0).any())
    assert changed > 10 and turned > 0 and bounced > 0


def test_hard_colours_do_not_tell_the_class():
    """Nearest-class-mean on an instance's mean colour finds the class of
    nearly every easy thing, and of far fewer hard ones."""

    def accuracy(difficulty):
        colours, labels = [], []
        for seed in range(30):
            video = generate_toy_video(
                seed, num_frames=1, height=48, width=72,
                difficulty=difficulty)
            for track in video.visible_tracks(0):
                mask = video.instance[0] == track
                colours.append(video.images[0][mask].mean(0))
                labels.append(video.track_label(track))
        colours, labels = np.asarray(colours), np.asarray(labels)
        means = {c: colours[labels == c].mean(0) for c in set(labels)}
        names = sorted(means)
        dist = np.stack(
            [np.linalg.norm(colours - means[c], axis=1) for c in names])
        return (np.asarray(names)[dist.argmin(0)] == labels).mean()

    assert accuracy('easy') > 0.95
    assert accuracy('hard') < 0.6


def test_hard_same_class_things_cross():
    crossings = 0
    for seed in range(10):
        video = generate_toy_video(seed, num_frames=8, difficulty='hard')
        for t in range(video.num_frames):
            sil = _silhouettes(video, t)
            for a in video.objects:
                for b in video.objects:
                    if a.track_id < b.track_id and a.label == b.label:
                        crossings += int((sil[a.track_id]
                                          & sil[b.track_id]).any())
    assert crossings > 0


@pytest.mark.parametrize('difficulty', DIFFICULTIES)
def test_camouflage_keeps_the_ground_truth(difficulty):
    """Camouflage repaints the things only: labels, tracks, depth, flow and
    geometry are those of the same video without it."""
    plain = generate_toy_video(5, num_frames=4, height=32, width=48,
                               difficulty=difficulty)
    camo = generate_toy_video(5, num_frames=4, height=32, width=48,
                              difficulty=difficulty, camouflage=True)
    for key in ARRAYS[1:]:
        np.testing.assert_array_equal(getattr(camo, key), getattr(plain, key))
    for a, b in zip(plain.objects, camo.objects):
        assert (a.track_id, a.label, a.size, a.depth) == \
            (b.track_id, b.label, b.size, b.depth)
        assert [a.position(t) for t in range(4)] == \
            [b.position(t) for t in range(4)]
    things = plain.instance > 0
    np.testing.assert_array_equal(camo.images[~things], plain.images[~things])
    assert (camo.images[things] != plain.images[things]).any()


@pytest.mark.parametrize('difficulty', DIFFICULTIES)
def test_camouflaged_things_share_the_stuff_colours(difficulty):
    """Each thing's mean colour is close to one stuff region's mean colour
    of its frame with camouflage, and far from all of them without."""

    def share_close(camouflage):
        close = []
        for seed in range(12):
            video = generate_toy_video(
                seed, num_frames=1, height=48, width=72,
                difficulty=difficulty, camouflage=camouflage)
            image, sem = video.images[0].astype(np.float32), video.semantic[0]
            stuff = [image[sem == c].mean(0) for c in range(3)
                     if (sem == c).sum() > 50]
            for track in video.visible_tracks(0):
                mask = video.instance[0] == track
                if mask.sum() < 20:
                    continue
                colour = image[mask].mean(0)
                close.append(
                    min(np.linalg.norm(colour - s) for s in stuff) < 20)
        assert len(close) > 20
        return np.mean(close)

    assert share_close(True) > 0.9
    assert share_close('colour') > 0.9
    assert share_close(False) < 0.3


def test_colour_camouflage_keeps_the_things_texture():
    """``'colour'``: same mean colours as full camouflage, but each thing
    keeps its own texture; bad values raise."""
    full = generate_toy_video(2, num_frames=1, camouflage='full')
    colour = generate_toy_video(2, num_frames=1, camouflage='colour')
    for a, b in zip(full.objects, colour.objects):
        assert a.colour == b.colour and a.blobs != b.blobs
    hard = generate_toy_video(2, num_frames=1, difficulty='hard')
    hard_colour = generate_toy_video(
        2, num_frames=1, difficulty='hard', camouflage='colour')
    assert [o.blobs for o in hard.objects] == \
        [o.blobs for o in hard_colour.objects]
    assert [o.colour for o in hard.objects] != \
        [o.colour for o in hard_colour.objects]
    with pytest.raises(ValueError, match='camouflage'):
        generate_toy_video(2, camouflage='stripes')


def test_hard_videos_are_unchanged_by_the_thing_depth_option():
    """The default ``thing_depth='random'`` leaves hard videos as they
    were: a hash of every array of three videos, computed with the
    generator before ``thing_depth`` existed (the easy ones are pinned
    above)."""
    digest = hashlib.sha1()
    for seed in range(3):
        video = generate_toy_video(
            seed, num_frames=6, height=48, width=72, difficulty='hard')
        for key in ARRAYS:
            digest.update(np.ascontiguousarray(getattr(video, key)).tobytes())
    assert digest.hexdigest() == '225d22f2cb67ec0e9e30544c18fbce3d6fc43bc4'


@pytest.mark.parametrize('difficulty', DIFFICULTIES)
def test_ground_depth_nearest_object_wins(difficulty):
    """With ``thing_depth='ground'`` each frame paints its things far to
    near by that frame's depth; every other array but the frames' thing
    pixels is the one of the default video."""
    occlusions = changed = 0
    for seed in range(6):
        kwargs = dict(num_frames=6, height=48, width=72,
                      difficulty=difficulty)
        video = generate_toy_video(seed, thing_depth='ground', **kwargs)
        plain = generate_toy_video(seed, **kwargs)
        np.testing.assert_array_equal(video.flow != 0, plain.flow != 0)
        for t in range(video.num_frames):
            sil = _silhouettes(video, t)
            expected = np.zeros(video.instance.shape[1:], np.int32)
            nearest = np.full(expected.shape, np.inf)
            for obj in video.objects:  # ties: the later object is painted
                closer = sil[obj.track_id] & (obj.depth_at(t) <= nearest)
                expected[closer] = obj.track_id
                nearest[closer] = obj.depth_at(t)
            np.testing.assert_array_equal(video.instance[t], expected)
            occlusions += int((sum(m.astype(int)
                                   for m in sil.values()) > 1).sum())
            for obj in video.objects:
                mask = video.instance[t] == obj.track_id
                np.testing.assert_array_equal(video.depth[t][mask],
                                              np.float32(obj.depth_at(t)))
            stuff = plain.instance[t] == 0
            np.testing.assert_array_equal(video.depth[t][stuff],
                                          plain.depth[t][stuff])
        changed += int((video.instance != plain.instance).any())
    assert occlusions > 0 and changed > 0


def test_ground_depth_is_the_road_depth_where_the_thing_stands():
    """An easy video's road depth depends on the row only: a thing whose
    lowest point lies between the centres of two road rows has a depth
    between those rows' road depths, and it changes as the thing moves
    up or down the image."""
    checked = 0
    moving = set()
    for seed in range(8):
        video = generate_toy_video(seed, thing_depth='ground')
        height = video.depth.shape[1]
        for t in range(video.num_frames):
            road = video.semantic[t] == TOY_CLASSES.index('road')
            for obj in video.objects:
                bottom = obj.position(t)[1] + obj.size[1]
                row = int(np.floor(bottom - 0.5))  # pixel centres: r + 0.5
                if not 0 <= row < height - 1:
                    continue
                near, far = road[row + 1], road[row]
                if not (near.any() and far.any()):
                    continue
                lo = video.depth[t, row + 1][near][0]
                hi = video.depth[t, row][far][0]
                assert lo - 1e-4 <= obj.depth_at(t) <= hi + 1e-4
                checked += 1
        assert all(d == obj.depths[0] or obj.velocity[1] != 0
                   for obj in video.objects for d in obj.depths)
        moving |= {len(set(obj.depths)) > 1 for obj in video.objects}
    assert checked > 50 and True in moving


def test_bad_thing_depth_raises():
    with pytest.raises(ValueError, match='thing_depth'):
        generate_toy_video(0, thing_depth='pinhole')
