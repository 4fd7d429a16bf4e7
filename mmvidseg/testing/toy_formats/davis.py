# Copyright (c) OpenMMLab. All rights reserved.
import os.path as osp
from typing import Dict, Optional

import numpy as np

from ..toy_video import ToyVideo, generate_toy_video
from ._io import (SplitVideos, mkdir, save_jpg, save_json, save_palette_png,
                  voc_palette, write_flo)
from .occlusion import candidate_boxes, occlude_toy_video

#: Colours of DAVIS annotation PNGs (the PASCAL VOC colour map).
DAVIS_PALETTE = voc_palette()


def davis_object_ids(video: ToyVideo,
                     number_new_objects: bool = False) -> Dict[int, int]:
    """Map toy track ids to DAVIS object ids.

    Tracks visible in the first frame get 1..K by track id; these are the
    objects a semi-supervised method is given and evaluated on (the official
    evaluation counts ``max(first mask)`` objects). Tracks that appear later
    are background (0) in DAVIS 2017, whose objects are all in the first
    frame; with ``number_new_objects`` they get K+1, K+2, ... by first
    appearance instead (YouTube-VOS style).

    Returns:
        dict: ``{track_id: object_id}`` for the tracks that get an id.
    """
    ids = {}
    frames = range(video.num_frames) if number_new_objects else [0]
    for t in frames:
        for track in video.visible_tracks(t):
            ids.setdefault(track, len(ids) + 1)
    if len(ids) > 255:
        raise ValueError(f'{video.name}: DAVIS annotations are 8-bit, '
                         f'got {len(ids)} objects')
    return ids


def write_davis(root: str,
                splits: SplitVideos,
                with_flow: bool = True,
                number_new_objects: bool = False,
                occlude_frames: int = 0,
                occlude_start: Optional[int] = None,
                occlude_transient: bool = False) -> str:
    """DAVIS 2017 (semi-supervised), plus optional precomputed flow.

    Layout::

        <root>/JPEGImages/480p/<seq>/00000.jpg
        <root>/Annotations/480p/<seq>/00000.png   # palette PNG, object ids
        <root>/ImageSets/2017/<split>.txt          # sequence names
        <root>/Flow/480p/<seq>/00000.flo           # flow from 00000 to 00001

    The folders are named ``480p`` as in the release whatever the toy's
    frame size. Annotations are 'P' mode PNGs with :data:`DAVIS_PALETTE`
    whose indices are object ids from :func:`davis_object_ids` (0
    background). ``Flow/480p/<seq>/{t:05d}.flo`` (Middlebury format, as
    VS-ReID reads it) holds the exact forward flow from frame t to t + 1.

    Args:
        root (str): Output directory.
        splits (dict): ``{split: [ToyVideo, ...]}``.
        with_flow (bool): Write the ``Flow`` folder. Defaults to True.
        number_new_objects (bool): Give objects that appear after the first
            frame their own ids. Defaults to False.
        occlude_frames (int): When > 0, hide one first-frame object of
            each video behind a sign for that many frames, after which it
            comes back (:func:`~.occlusion.occlude_toy_video`), and write
            ``Proposals/480p/<split>.json``, the boxes of every visible
            thing per frame (``{seq: {frame index: [[x1, y1, x2, y2,
            score], ...]}}``, VS-ReID's pre-computed candidates). Defaults
            to 0 (neither).
        occlude_start (int, optional): First hidden frame; None: a third
            of the video (at least 1).
        occlude_transient (bool): The sign is there only in the hidden
            frames and the hidden object is back whole afterwards (see
            :func:`~.occlusion.occlude_toy_video`). Defaults to False.

    Returns:
        str: ``root``.
    """
    for split, videos in splits.items():
        if occlude_frames > 0:
            videos = [
                occlude_toy_video(
                    v,
                    occlude_frames,
                    start=occlude_start,
                    transient=occlude_transient) for v in videos
            ]
            save_json(
                osp.join(root, 'Proposals', '480p', f'{split}.json'),
                {v.name: candidate_boxes(v)
                 for v in videos})
        with open(osp.join(mkdir(osp.join(root, 'ImageSets', '2017')),
                           f'{split}.txt'), 'w') as f:
            f.write(''.join(video.name + '\n' for video in videos))
        for video in videos:
            ids = davis_object_ids(video, number_new_objects)
            lut = np.zeros(video.instance.max() + 1, np.uint8)
            for track, obj_id in ids.items():
                lut[track] = obj_id
            for t in range(video.num_frames):
                name = f'{t:05d}'
                save_jpg(
                    osp.join(root, 'JPEGImages', '480p', video.name,
                             name + '.jpg'), video.images[t])
                save_palette_png(
                    osp.join(root, 'Annotations', '480p', video.name,
                             name + '.png'), lut[video.instance[t]],
                    DAVIS_PALETTE)
                if with_flow and t < video.num_frames - 1:
                    write_flo(
                        osp.join(root, 'Flow', '480p', video.name,
                                 name + '.flo'), video.flow[t])
    return root


def write_small_davis(root: str, with_flow: bool = True) -> str:
    """The small DAVIS-format set the projects' short training tests use:
    3 train and 2 val toy videos of 5 frames, 48x64 (seeds 0..2 and 100,
    101).

    Args:
        root (str): Output directory.
        with_flow (bool): Write the ``Flow`` folder. Defaults to True.

    Returns:
        str: ``root``.
    """
    videos = {
        'train': [generate_toy_video(s, 5, 48, 64) for s in range(3)],
        'val': [generate_toy_video(100 + s, 5, 48, 64) for s in range(2)],
    }
    return write_davis(root, videos, with_flow=with_flow)
