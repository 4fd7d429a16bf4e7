# Copyright (c) OpenMMLab. All rights reserved.
import os.path as osp
from typing import List, Optional

import numpy as np
from mmengine import fileio

from mmvidseg.registry import DATASETS
from .base_video_dataset import BaseVideoDataset
from .transforms.loading import read_label_png
from .utils import (VideoDatasetError, check_choice, check_frame_numbers,
                    frame_number, frame_record, numbered_name, require_keys,
                    video_record)


def forward_flow_path(dataset: BaseVideoDataset, flow_root: str, video: str,
                      frames: List[str], t: int) -> Optional[str]:
    """``<flow_root>/<video>/<stem of frames[t]>.flo``, the forward flow
    from frame ``t`` to frame ``t + 1`` of the video's frame list, checked
    by :meth:`BaseVideoDataset.frame_file` (a missing file is an error
    naming it and the video); None for the last frame, which has no
    forward flow."""
    if t == len(frames) - 1:
        return None
    return dataset.frame_file(
        osp.join(flow_root, video), frames[t], '.flo', 'flow', video)


def check_forward_flows(dataset: BaseVideoDataset, video: str,
                        frame_dir: str, frames: List[str], flow_dir: str,
                        after_last: str) -> None:
    """Raise if a ``.flo`` file of ``flow_dir`` has no frame in ``frames``
    (its frame was deleted) or the last frame has a forward flow (the frame
    after it, ``after_last`` in the message, was deleted). Skipped without
    ``check_files``.

    Raises:
        FileNotFoundError: Names the flow file, the missing frame and the
            video.
    """
    if not dataset.check_files:
        return
    dataset.check_annotated_frames(frame_dir, frames, flow_dir, '.flo',
                                   'flow', video)
    last = osp.join(flow_dir, osp.splitext(frames[-1])[0] + '.flo')
    if fileio.isfile(last, backend_args=dataset.backend_args):
        raise FileNotFoundError(
            f'{after_last} of video {video} does not exist, but the '
            f'forward flow {last} into it does')


@DATASETS.register_module()
class DAVISDataset(BaseVideoDataset):
    """`DAVIS <https://davischallenge.org/>`_ 2016 / 2017 semi-supervised
    video object segmentation::

        data_root/
          JPEGImages/480p/<seq>/00000.jpg ...
          Annotations/480p/<seq>/00000.png   # palette PNG, object ids
          ImageSets/2017/{train,val}.txt     # sequence names
          Flow/480p/<seq>/00000.flo          # optional: forward flow
                                             # 00000 -> 00001 (Middlebury)

    The first frame's mask is the given reference: its frame info lists
    the objects in ``ref_object_ids`` (read from the PNG at load time);
    other frames list none. ``version='2016'`` merges all objects into one
    (DAVIS 2016 masks store 0/255); use it with
    ``LoadVOSAnnotation(binary=True)``. With a ``flow_path`` entry in
    ``data_prefix`` every frame but the last gets the ``flow_path`` of its
    forward flow (the last gets None) for ``LoadOpticalFlow``.

    What a sequence is: its frames, named by their number as released
    (``00000.jpg``, ``00001.jpg``...), must count up by one from the
    first; every mask in ``Annotations/<seq>/`` and every flow in
    ``Flow/<seq>/`` must have its frame, and the last frame has no forward
    flow. A deleted frame is thus an error naming it, never a shorter
    video (whose flows would pair with the wrong frames). Only a last
    frame deleted with its mask, in a split without flow, cannot be told
    from a shorter video.

    Args:
        ann_file (str): Split file relative to ``data_root``. Defaults to
            ``'ImageSets/2017/val.txt'``.
        version (str): ``'2017'`` or ``'2016'``. Defaults to ``'2017'``.
        data_prefix (dict): ``img_path``, ``seg_map_path`` and optionally
            ``flow_path`` folders. Defaults to
            ``dict(img_path='JPEGImages/480p',
            seg_map_path='Annotations/480p')``.
        with_gt (bool): Whether every frame has a mask; False (test-dev)
            needs only the first frame's. Defaults to True.
        **kwargs: See :class:`BaseVideoDataset`.
    """

    METAINFO = dict(classes=('object', ), palette=None)

    def __init__(self,
                 ann_file: str = 'ImageSets/2017/val.txt',
                 version: str = '2017',
                 data_prefix: dict = dict(
                     img_path='JPEGImages/480p',
                     seg_map_path='Annotations/480p'),
                 with_gt: bool = True,
                 **kwargs):
        check_choice('version', version, ('2016', '2017'))
        self.version = version
        self.with_gt = with_gt
        super().__init__(ann_file=ann_file, data_prefix=data_prefix, **kwargs)

    def _reference_ids(self, path: str) -> List[int]:
        """Object ids of a reference mask."""
        ids = read_label_png(path, self.backend_args, 'first-frame mask')
        if ids.ndim != 2:
            raise VideoDatasetError(
                f'first-frame mask {path} has shape {ids.shape}: expected a '
                'palette or greyscale PNG of object ids')
        objects = [int(i) for i in np.unique(ids) if 0 < i < 255]
        if self.version == '2016':
            objects = [1] if objects or (ids == 255).any() else []
        return objects

    def _annotate(self, name: str, frames: List[str], t: int) -> dict:
        """``seg_map_path`` (None on unannotated frames), ``ref_object_ids``
        and, with a ``flow_path`` prefix, ``flow_path`` of frame ``t``."""
        info = dict(seg_map_path=None, ref_object_ids=[])
        if t == 0 or self.with_gt:
            info['seg_map_path'] = self.frame_file(
                osp.join(self.data_prefix['seg_map_path'], name), frames[t],
                '.png', 'mask', name)
        if t == 0:
            info['ref_object_ids'] = self._reference_ids(info['seg_map_path'])
        flow_root = self.data_prefix.get('flow_path')
        if flow_root is not None:
            info['flow_path'] = forward_flow_path(self, flow_root, name,
                                                  frames, t)
        return info

    def _check(self, name: str, folder: str, frames: List[str]) -> None:
        """Frames of sequence ``name`` numbered one by one, every mask and
        flow file with its frame, no flow from the last frame."""
        check_frame_numbers(folder, frames, f'video {name}', require=True)
        self.check_annotated_frames(
            folder, frames,
            osp.join(self.data_prefix['seg_map_path'], name), '.png', 'mask',
            name)
        flow_root = self.data_prefix.get('flow_path')
        if flow_root is None:
            return
        missing = osp.join(folder,
                           numbered_name(frames[-1],
                                         frame_number(frames[-1])[1] + 1))
        check_forward_flows(self, name, folder, frames,
                            osp.join(flow_root, name), f'frame {missing}')

    def load_data_list(self) -> List[dict]:
        img_root = self.data_prefix['img_path']
        return self.load_split_videos(lambda name: osp.join(img_root, name),
                                      ('.jpg', ), self._annotate, self._check)


@DATASETS.register_module()
class YouTubeVOSDataset(BaseVideoDataset):
    """`YouTube-VOS <https://youtube-vos.org/>`_ semi-supervised video
    object segmentation::

        data_root/{train,valid}/
          JPEGImages/<video>/00000.jpg, 00005.jpg ...
          Annotations/<video>/00000.png ...    # palette PNG, object ids
          meta.json    # {"videos": {<video>: {"objects": {"1":
                       #   {"category": ..., "frames": ["00000", ...]}}}}}
          Flow/<video>/00000.flo, 00005.flo ...  # optional: forward flow
                                                 # 00000 -> 00005 (Middlebury)

    Objects may enter after the first frame; each object's reference is
    its mask in the first frame ``meta.json`` lists for it, so a frame's
    ``ref_object_ids`` holds the objects that first appear there. In the
    validation split only those frames have masks; frames without an
    annotation file get ``seg_map_path`` None.

    What a video is: the frames in ``JPEGImages/<video>/`` sorted by name
    (every fifth frame of the source, ``00000``, ``00005``... in the
    release, so numbers are not required to be consecutive). Every frame
    that ``meta.json`` lists for an object and every mask in
    ``Annotations/<video>/`` must exist as a frame, so a deleted frame
    where an object is visible is an error naming it; a deleted frame
    that no object's ``frames`` lists cannot be detected.

    Optical flow (not part of the release; e.g. for VS-ReID): with a
    ``flow_path`` entry in ``data_prefix`` (``'valid/Flow'``) every frame
    but the last gets the ``flow_path`` of ``Flow/<video>/<stem>.flo``, the
    forward flow from that frame to the *next frame of the video's sorted
    frame list*, for ``LoadOpticalFlow``; the last frame gets None. The
    released frames are every fifth frame of the source video, so this
    flow spans five source frames (``00000.flo``: ``00000`` ->
    ``00005``): compute it between the released frames, not between
    consecutive source frames. As in :class:`DAVISDataset`, a missing flow
    file, a flow whose frame does not exist and a flow from the last frame
    are errors naming the file and the video.

    Args:
        ann_file (str): ``meta.json`` relative to ``data_root``. Defaults
            to ``'valid/meta.json'``.
        data_prefix (dict): ``img_path``, ``seg_map_path`` and optionally
            ``flow_path`` folders. Defaults to
            ``dict(img_path='valid/JPEGImages',
            seg_map_path='valid/Annotations')``.
        **kwargs: See :class:`BaseVideoDataset`.
    """

    METAINFO = dict(classes=('object', ), palette=None)

    def __init__(self,
                 ann_file: str = 'valid/meta.json',
                 data_prefix: dict = dict(
                     img_path='valid/JPEGImages',
                     seg_map_path='valid/Annotations'),
                 **kwargs):
        super().__init__(ann_file=ann_file, data_prefix=data_prefix, **kwargs)

    def _first_frames(self, name: str, video: dict) -> tuple:
        """``({frame stem: [object ids first seen there]}, every frame stem
        listed)`` of one video of ``meta.json``."""
        path = self.ann_file
        require_keys(video, ('objects', ), path, f'video {name}')
        first, listed = {}, set()
        for obj_id, obj in video['objects'].items():
            require_keys(obj, ('frames', ), path,
                         f'object {obj_id} of video {name}')
            if not obj['frames']:
                raise VideoDatasetError(
                    f'{path}: object {obj_id} of video {name} lists no '
                    'frame')
            first.setdefault(min(obj['frames']), []).append(int(obj_id))
            listed.update(obj['frames'])
        return first, sorted(listed)

    def _check_video(self, name: str, frames: List[str], first: dict,
                     listed: List[str], ann_dir: str) -> None:
        """Every frame ``meta.json`` lists for video ``name`` and every mask
        (and flow) of it exists as a frame; the reference masks exist; the
        last frame has no forward flow."""
        folder = osp.join(self.data_prefix['img_path'], name)
        stems = {osp.splitext(f)[0] for f in frames}
        for stem in listed:  # the reference frames included
            if stem not in stems:
                raise FileNotFoundError(
                    f'frame {osp.join(folder, stem)}.jpg of video {name} '
                    f'does not exist, but {self.ann_file} lists it')
        self.check_annotated_frames(folder, frames, ann_dir, '.png', 'mask',
                                    name)
        for stem in first:
            self.require_file(
                osp.join(ann_dir, stem + '.png'),
                f'reference mask of video {name}:')
        flow_root = self.data_prefix.get('flow_path')
        if flow_root is not None:
            check_forward_flows(self, name, folder, frames,
                                osp.join(flow_root, name),
                                f'the frame after {frames[-1]}')

    def load_data_list(self) -> List[dict]:
        path = self.ann_file
        meta = self.load_json(path, 'YouTube-VOS meta file')
        require_keys(meta, ('videos', ), path, 'the top level')
        img_root = self.data_prefix['img_path']
        ann_root = self.data_prefix['seg_map_path']
        flow_root = self.data_prefix.get('flow_path')
        data_list, img_id = [], 0
        for video_id, (name, video) in enumerate(meta['videos'].items()):
            first, listed = self._first_frames(name, video)
            frames = self.list_frames(osp.join(img_root, name), ('.jpg', ))
            ann_dir = osp.join(ann_root, name)
            masks = set(self.list_files(ann_dir, ('.png', ))) if fileio.isdir(
                ann_dir, backend_args=self.backend_args) else set()
            self._check_video(name, frames, first, listed, ann_dir)
            images = []
            for t, fname in enumerate(frames):
                stem = osp.splitext(fname)[0]
                seg = osp.join(ann_dir, stem + '.png') \
                    if stem + '.png' in masks else None
                extra = dict(seg_map_path=seg,
                             ref_object_ids=sorted(first.get(stem, [])))
                if flow_root is not None:
                    extra['flow_path'] = forward_flow_path(
                        self, flow_root, name, frames, t)
                images.append(
                    frame_record(
                        osp.join(img_root, name, fname), img_id, t, name,
                        **extra))
                img_id += 1
            data_list.append(video_record(video_id, name, images))
        return data_list
