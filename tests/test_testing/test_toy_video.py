# Copyright (c) OpenMMLab. All rights reserved.
import dataclasses

import numpy as np
import pytest

from mmvidseg.testing import TOY_CLASSES, TOY_THING_CLASSES, generate_toy_video
from mmvidseg.testing import toy_video as toy_video_module

ARRAYS = ('images', 'semantic', 'instance', 'depth', 'flow')
THINGS = [TOY_CLASSES.index(c) for c in TOY_THING_CLASSES]


def _silhouettes(video, t):
    """Full (unoccluded) mask of every object at frame t, from its
    parameters: {track_id: (H, W) bool}."""
    height, width = video.semantic.shape[1:]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32) + 0.5
    out = {}
    for obj in video.objects:
        cx = obj.centre[0] + obj.velocity[0] * t
        cy = obj.centre[1] + obj.velocity[1] * t
        out[obj.track_id] = toy_video_module._inside(obj, xs, ys, cx, cy)
    return out


def test_shapes_and_dtypes():
    video = generate_toy_video(0, num_frames=5, height=24, width=40)
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


def test_same_seed_same_video_different_seed_different_video():
    a = generate_toy_video(7, num_frames=4, height=32, width=48)
    b = generate_toy_video(7, num_frames=4, height=32, width=48)
    c = generate_toy_video(8, num_frames=4, height=32, width=48)
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


def test_nearest_object_wins_and_depth_matches():
    occlusions = 0
    for seed in range(6):
        video = generate_toy_video(seed, num_frames=6, height=48, width=72)
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


def test_objects_enter_and_leave():
    entered = left = 0
    for seed in range(20):
        video = generate_toy_video(seed)
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


def test_flow_moves_thing_pixels_with_their_object():
    """The flow of a thing pixel is its object's velocity, and the pixel
    centre moved by the flow lies inside the object in the next frame."""
    for seed in range(4):
        video = generate_toy_video(seed, num_frames=5, height=32, width=48)
        by_id = {o.track_id: o for o in video.objects}
        for t in range(video.num_frames - 1):
            for track in video.visible_tracks(t):
                obj = by_id[track]
                ys, xs = np.nonzero(video.instance[t] == track)
                flow = video.flow[t][ys, xs]
                np.testing.assert_array_equal(
                    flow, np.broadcast_to(
                        np.float32(obj.velocity), flow.shape))
                cx = obj.centre[0] + obj.velocity[0] * (t + 1)
                cy = obj.centre[1] + obj.velocity[1] * (t + 1)
                # a 1e-4 larger silhouette absorbs float32 rounding at edges
                grown = dataclasses.replace(
                    obj, size=tuple(r * (1 + 1e-4) for r in obj.size))
                moved = toy_video_module._inside(
                    grown, xs + 0.5 + obj.velocity[0],
                    ys + 0.5 + obj.velocity[1], cx, cy)
                assert moved.all()
