# Copyright (c) OpenMMLab. All rights reserved.
"""Toy videos in which an object is fully occluded for a while and comes
back: the case VS-ReID's re-identification is for.

:func:`occlude_toy_video` adds a static, camera-fixed *sign* (a grey
checkerboard rectangle nearer than everything) over the path that one
first-frame object takes during ``num_frames`` frames: that object is fully
hidden then, partly hidden around them, and visible again afterwards. Every
ground-truth map stays exact (the sign is stuff of class ``building``, no
track, flow 0 since it is fixed to the camera, depth 0.5 m).
:func:`candidate_boxes` lists the tight box of every visible thing per frame,
the stand-in for a detector's pre-computed boxes.

With ``transient=True`` the sign is there only in the hidden frames (a
panel passing close to the camera) and the hidden object is one that is
back *whole* in the first frame after them and stays in view: the case the
paper targets, an object that disappears and comes back for a good part of
the video. With the static sign, the object slides out from behind it and
is back only as a sliver for a few frames.
"""
import copy
from typing import Dict, List, Optional

import numpy as np

from ..toy_video import BUILDING, ToyVideo

#: Depth of the sign in metres: nearer than every toy thing.
SIGN_DEPTH = 0.5


def _candidates(video: ToyVideo, start: int, num_frames: int) -> List[int]:
    """First-frame tracks visible in every frame to hide, the largest
    (smallest area over those frames) first."""
    areas = {}
    for track in video.visible_tracks(0):
        area = min(int((video.instance[t] == track).sum())
                   for t in range(start, start + num_frames))
        if area > 0:
            areas[track] = area
    return sorted(areas, key=lambda k: (-areas[k], k))


def _returning(video: ToyVideo, start: int, num_frames: int) -> List[int]:
    """First-frame tracks that are back whole right after the hidden frames
    (at least 90 % of their largest area), the longest in view afterwards
    (frames with at least half of that area) first, then the largest."""
    ret = start + num_frames
    order = {}
    for track in video.visible_tracks(0):
        areas = (video.instance == track).sum((1, 2))
        if areas[ret] < 0.9 * areas.max():
            continue
        order[track] = (int((areas[ret:] >= 0.5 * areas.max()).sum()),
                        int(areas[ret]))
    return sorted(order, key=lambda k: (-order[k][0], -order[k][1], k))


def _add_sign(video: ToyVideo,
              track: int,
              start: int,
              num_frames: int,
              margin: int,
              transient: bool = False) -> ToyVideo:
    """A copy with a sign over ``track``'s boxes in the hidden frames, in
    every frame or (``transient``) only in the hidden ones."""
    boxes = np.array([video.box(t, track)
                      for t in range(start, start + num_frames)])
    h, w = video.instance.shape[1:]
    x1 = max(int(np.floor(boxes[:, 0].min())) - margin, 0)
    y1 = max(int(np.floor(boxes[:, 1].min())) - margin, 0)
    x2 = min(int(np.ceil(boxes[:, 2].max())) + margin, w)
    y2 = min(int(np.ceil(boxes[:, 3].max())) + margin, h)
    out = copy.deepcopy(video)
    ys, xs = np.mgrid[y1:y2, x1:x2]
    sign = np.where((ys // 4 + xs // 4) % 2 == 0, 150, 110).astype(np.uint8)
    frames = range(start, start + num_frames) if transient else range(
        video.num_frames)
    for t in frames:
        out.images[t, y1:y2, x1:x2] = sign[..., None]
        out.semantic[t, y1:y2, x1:x2] = BUILDING
        out.instance[t, y1:y2, x1:x2] = 0
        out.depth[t, y1:y2, x1:x2] = SIGN_DEPTH
        if t < video.num_frames - 1:
            out.flow[t, y1:y2, x1:x2] = 0
    return out


def occlude_toy_video(video: ToyVideo,
                      num_frames: int = 3,
                      start: Optional[int] = None,
                      margin: int = 1,
                      transient: bool = False) -> ToyVideo:
    """A copy of ``video`` with one first-frame object fully occluded.

    With the static sign, the object is the largest first-frame object that
    is visible in the first frame and again after the hidden frames once
    the sign is there. With ``transient``, it is the first-frame object
    that is back whole (>= 90 % of its largest area) in the first frame
    after the hidden ones and then stays in view (>= half of that area) for
    the most frames.

    Args:
        video (ToyVideo): The video.
        num_frames (int): Frames during which the object is hidden.
        start (int, optional): First hidden frame; defaults to a third of
            the video (at least 1).
        margin (int): Pixels the sign extends beyond the object's boxes.
        transient (bool): Draw the sign only in the hidden frames. Defaults
            to False (a static sign in every frame).

    Returns:
        ToyVideo: The occluded copy (the same video when no first-frame
        object qualifies).
    """
    start = max(1, video.num_frames // 3) if start is None else start
    if num_frames < 1 or start < 1 or start + num_frames >= video.num_frames:
        raise ValueError(
            f'{video.name}: cannot hide frames {start}..'
            f'{start + num_frames - 1} of a {video.num_frames}-frame video '
            '(the first frame and a frame after must stay visible)')
    if transient:
        tracks = _returning(video, start, num_frames)
    else:
        tracks = _candidates(video, start, num_frames)
    for track in tracks:
        out = _add_sign(video, track, start, num_frames, margin, transient)
        if (out.instance[0] == track).any() and (
                out.instance[start + num_frames:] == track).any():
            return out
    return video


def candidate_boxes(video: ToyVideo) -> Dict[str, List[List[float]]]:
    """``{frame index: [[x1, y1, x2, y2, 1.0], ...]}``: the tight box of
    every visible thing of each frame (an oracle detector)."""
    return {
        str(t): [list(video.box(t, track)) + [1.0]
                 for track in video.visible_tracks(t)]
        for t in range(video.num_frames)
    }
