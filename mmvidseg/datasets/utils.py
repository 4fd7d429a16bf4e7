# Copyright (c) OpenMMLab. All rights reserved.
"""File-format helpers shared by the dataset classes.

Every helper raises an error naming the offending file and what is wrong
with it, so that a broken download fails at dataset construction with a
message a user can act on.
"""
import json
import os
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict, Iterable, List, Sequence, Tuple

from mmengine.fileio import get_local_path

from .base_video_dataset import VideoDatasetError

#: ``{seq}_{frame}_...`` names of the "video_sequence" layouts (KITTI-STEP,
#: Cityscapes-DVPS, SemKITTI-DVPS).
_SEQ_FRAME = re.compile(r'^(\d+)_(\d+)_')


def load_json(path: str, what: str = 'annotation file'):
    """Load a JSON file.

    Raises:
        FileNotFoundError: The file does not exist.
        VideoDatasetError: It is not valid JSON.
    """
    if not osp.isfile(path) and '://' not in path:
        raise FileNotFoundError(f'{what} {path} does not exist')
    with get_local_path(path) as local:
        try:
            with open(local) as f:
                return json.load(f)
        except ValueError as e:
            raise VideoDatasetError(f'{what} {path} is not valid JSON: {e}')


def require_keys(obj, keys: Iterable[str], path: str, where: str) -> None:
    """Raise unless dict ``obj`` has every key.

    Args:
        obj: The parsed JSON object.
        keys (Iterable[str]): Required keys.
        path (str): The file it came from (for the message).
        where (str): Which object of the file, e.g. ``'video 3'``.

    Raises:
        VideoDatasetError: ``obj`` is not a dict or misses a key.
    """
    if not isinstance(obj, dict):
        raise VideoDatasetError(f'{path}: {where} must be a JSON object, got '
                                f'{type(obj).__name__}')
    for key in keys:
        if key not in obj:
            raise VideoDatasetError(
                f'{path}: {where} is missing the key "{key}"')


def scan_sequence_folder(folder: str,
                         suffix: str) -> 'OrderedDict[str, List[str]]':
    """Group the frames of a ``{seq}_{frame}_*<suffix>`` folder by sequence.

    Args:
        folder (str): The split folder, e.g.
            ``data/kitti-step/video_sequence/val``.
        suffix (str): Frame file suffix, e.g. ``'_leftImg8bit.png'``.

    Returns:
        OrderedDict[str, List[str]]: Sequence id -> file stems (path without
        ``suffix``) sorted by frame number, sequences sorted by id.

    Raises:
        FileNotFoundError: The folder does not exist.
        VideoDatasetError: It holds no frame, or a name lacks the
            ``{seq}_{frame}_`` prefix.
    """
    if not osp.isdir(folder):
        raise FileNotFoundError(f'sequence folder {folder} does not exist')
    seqs: Dict[str, List[Tuple[int, str]]] = {}
    for name in os.listdir(folder):
        if not name.endswith(suffix):
            continue
        match = _SEQ_FRAME.match(name)
        if match is None:
            raise VideoDatasetError(
                f'{osp.join(folder, name)}: expected a name '
                f'"<sequence>_<frame>_...{suffix}"')
        seq, frame = match.group(1), int(match.group(2))
        seqs.setdefault(seq, []).append(
            (frame, osp.join(folder, name[:-len(suffix)])))
    if not seqs:
        raise VideoDatasetError(
            f'sequence folder {folder} holds no frame ending with {suffix}')
    return OrderedDict((seq, [stem for _, stem in sorted(seqs[seq])])
                       for seq in sorted(seqs))


def check_thing_classes(metainfo: dict, name: str) -> None:
    """Raise unless every ``thing_classes`` entry is in ``classes``."""
    classes = metainfo.get('classes') or ()
    missing = [c for c in metainfo.get('thing_classes') or ()
               if c not in classes]
    if missing:
        raise ValueError(
            f'{name}: thing_classes {missing} are not in classes '
            f'{tuple(classes)}; pass both in metainfo')


def frame_record(img_path: str, img_id: int, frame_id: int,
                 video_name: str, **extra) -> dict:
    """The per-frame info dict every mmvidseg video dataset produces."""
    return dict(img_path=img_path, img_id=img_id, frame_id=frame_id,
                video_name=video_name, **extra)


def video_record(video_id: int, video_name: str,
                 images: Sequence[dict]) -> dict:
    """The per-video item of ``data_list``."""
    return dict(video_id=video_id, video_name=video_name,
                video_length=len(images), images=list(images))
