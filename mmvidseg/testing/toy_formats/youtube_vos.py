# Copyright (c) OpenMMLab. All rights reserved.
import os.path as osp

import numpy as np

from ..toy_video import TOY_CLASSES
from ._io import SplitVideos, save_jpg, save_json, save_palette_png, write_flo
from .davis import DAVIS_PALETTE, davis_object_ids

#: The release calls its validation split ``valid``.
_SPLIT_DIRS = {'val': 'valid'}


def write_youtube_vos(root: str,
                      splits: SplitVideos,
                      with_flow: bool = True) -> str:
    """YouTube-VOS (semi-supervised video object segmentation).

    Layout, as the release ships it (split ``val`` is written as
    ``valid``, the release's name)::

        <root>/<split>/JPEGImages/<video>/00000.jpg, 00005.jpg, ...
        <root>/<split>/Annotations/<video>/00000.png, ...  # palette PNG
        <root>/<split>/meta.json
        <root>/<split>/Flow/<video>/00000.flo, ...  # not in the release

    Frames are named by their index in the source video, which the release
    samples every fifth frame. Annotations are 'P' mode PNGs with
    :data:`~mmvidseg.testing.toy_formats.DAVIS_PALETTE` whose indices are
    object ids (0 background): the tracks get 1, 2, ... in order of first
    appearance (:func:`~mmvidseg.testing.toy_formats.davis_object_ids` with
    ``number_new_objects=True``). In ``train`` every frame has a mask of
    all its objects; in every other split only the frames where objects
    first appear have one, and it holds only those new objects (the
    references a semi-supervised method is given). ``meta.json`` is
    ``{"videos": {<video>: {"objects": {"<object id>": {"category":
    <toy class name>, "frames": [<frame names where it is visible>]}}}}}``.
    ``Flow/<video>/<name>.flo`` (Middlebury format, as
    :class:`~mmvidseg.datasets.YouTubeVOSDataset` reads it with a
    ``flow_path`` prefix) holds the exact forward flow from that frame to
    the next written one (toy frame t to t + 1, named ``5 t`` and
    ``5 (t + 1)``), as in :func:`~.davis.write_davis`; the last frame has
    none.

    Args:
        root (str): Output directory.
        splits (dict): ``{split: [ToyVideo, ...]}``.
        with_flow (bool): Write the ``Flow`` folders. Defaults to True.

    Returns:
        str: ``root``.
    """
    for split, videos in splits.items():
        split_dir = _SPLIT_DIRS.get(split, split)
        meta = dict(videos={})
        for video in videos:
            ids = davis_object_ids(video, number_new_objects=True)
            lut = np.zeros(video.instance.max() + 1, np.uint8)
            for track, obj_id in ids.items():
                lut[track] = obj_id
            objects = {}
            for t in range(video.num_frames):
                name = f'{5 * t:05d}'
                save_jpg(
                    osp.join(root, split_dir, 'JPEGImages', video.name,
                             name + '.jpg'), video.images[t])
                if with_flow and t < video.num_frames - 1:
                    write_flo(
                        osp.join(root, split_dir, 'Flow', video.name,
                                 name + '.flo'), video.flow[t])
                new = []
                for track in video.visible_tracks(t):
                    key = str(ids[track])
                    if key not in objects:
                        new.append(ids[track])
                        objects[key] = dict(
                            category=TOY_CLASSES[video.track_label(track)],
                            frames=[])
                    objects[key]['frames'].append(name)
                frame = lut[video.instance[t]]
                if split_dir != 'train':
                    if not new:
                        continue
                    frame = np.where(np.isin(frame, new), frame, 0)
                save_palette_png(
                    osp.join(root, split_dir, 'Annotations', video.name,
                             name + '.png'), frame, DAVIS_PALETTE)
            meta['videos'][video.name] = dict(objects=objects)
        save_json(osp.join(root, split_dir, 'meta.json'), meta)
    return root
