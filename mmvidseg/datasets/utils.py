# Copyright (c) OpenMMLab. All rights reserved.
"""File-format helpers shared by the dataset classes.

Every helper reads through :mod:`mmengine.fileio` (pass ``backend_args``
for a non-local storage) and raises an error naming the offending file and
what is wrong with it, so that a broken download fails at dataset
construction with a message a user can act on.
"""
import io
import json
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

from mmengine import fileio

__all__ = [
    'VideoDatasetError', 'check_choice', 'read_text', 'read_lines',
    'load_json', 'list_names', 'require_keys', 'scan_sequence_folder',
    'check_thing_classes', 'frame_record', 'video_record'
]

#: ``{seq}_{frame}_...`` names of the "video_sequence" layouts (KITTI-STEP,
#: Cityscapes-DVPS, SemKITTI-DVPS).
_SEQ_FRAME = re.compile(r'^(\d+)_(\d+)_')


class VideoDatasetError(ValueError):
    """Raised for malformed dataset files; the message names the file."""


def check_choice(name: str, value, choices: Sequence) -> None:
    """Raise ``ValueError`` unless ``value`` is one of ``choices``.

    Args:
        name (str): The argument's name, for the message.
        value: Its value.
        choices (Sequence): The accepted values.
    """
    if value not in choices:
        raise ValueError(f'{name} must be one of {tuple(choices)}, got '
                         f'{value!r}')


def read_text(path: str,
              what: str,
              backend_args: Optional[dict] = None) -> str:
    """The text of a file.

    Args:
        path (str): File path or URI.
        what (str): What the file is, for the message.
        backend_args (dict, optional): mmengine file backend arguments.

    Raises:
        FileNotFoundError: The file does not exist.
    """
    try:
        return fileio.get_text(path, backend_args=backend_args)
    except FileNotFoundError:
        raise FileNotFoundError(f'{what} {path} does not exist') from None


def read_lines(path: str,
               what: str,
               backend_args: Optional[dict] = None) -> List[str]:
    """The lines of a text file (see :func:`read_text`), stripped, blank
    lines kept so that a line's index + 1 is its line number."""
    return [
        line.strip()
        for line in io.StringIO(read_text(path, what, backend_args))
    ]


def load_json(path: str,
              what: str = 'annotation file',
              backend_args: Optional[dict] = None):
    """Load a JSON file (see :func:`read_text` for the arguments).

    Raises:
        FileNotFoundError: The file does not exist.
        VideoDatasetError: It is not valid JSON.
    """
    try:
        return json.loads(read_text(path, what, backend_args))
    except ValueError as e:
        raise VideoDatasetError(f'{what} {path} is not valid JSON: {e}')


def list_names(folder: str,
               what: str,
               suffixes: Union[str, Sequence[str], None] = None,
               dirs: bool = False,
               backend_args: Optional[dict] = None) -> List[str]:
    """Sorted names of the files (or sub-folders) of a folder.

    Args:
        folder (str): Folder path or URI.
        what (str): What the folder is, for the message.
        suffixes (str | Sequence[str], optional): Keep the names ending with
            one of these, compared case-insensitively. Defaults to None
            (all).
        dirs (bool): List sub-folders instead of files. Defaults to False.
        backend_args (dict, optional): mmengine file backend arguments.

    Raises:
        FileNotFoundError: The folder does not exist.
    """
    if not fileio.isdir(folder, backend_args=backend_args):
        raise FileNotFoundError(f'{what} {folder} does not exist')
    names = fileio.list_dir_or_file(
        folder, list_dir=dirs, list_file=not dirs, backend_args=backend_args)
    if suffixes is not None:
        ends = tuple(
            s.lower()
            for s in ([suffixes] if isinstance(suffixes, str) else suffixes))
        names = (name for name in names if name.lower().endswith(ends))
    return sorted(names)


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


def scan_sequence_folder(
        folder: str,
        suffix: str,
        backend_args: Optional[dict] = None) -> 'OrderedDict[str, List[str]]':
    """Group the frames of a ``{seq}_{frame}_*<suffix>`` folder by sequence.

    Args:
        folder (str): The split folder, e.g.
            ``data/kitti-step/video_sequence/val``.
        suffix (str): Frame file suffix, e.g. ``'_leftImg8bit.png'``.
        backend_args (dict, optional): mmengine file backend arguments.

    Returns:
        OrderedDict[str, List[str]]: Sequence id -> file stems (path without
        ``suffix``) sorted by frame number, sequences sorted by id.

    Raises:
        FileNotFoundError: The folder does not exist.
        VideoDatasetError: It holds no frame, or a name lacks the
            ``{seq}_{frame}_`` prefix.
    """
    seqs: Dict[str, List[Tuple[int, str]]] = {}
    for name in list_names(
            folder, 'sequence folder', dirs=False, backend_args=backend_args):
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
    return OrderedDict(
        (seq, [stem for _, stem in sorted(seqs[seq])]) for seq in sorted(seqs))


def check_thing_classes(metainfo: dict, name: str) -> None:
    """Raise unless every ``thing_classes`` entry is in ``classes``."""
    classes = metainfo.get('classes') or ()
    missing = [
        c for c in metainfo.get('thing_classes') or () if c not in classes
    ]
    if missing:
        raise ValueError(f'{name}: thing_classes {missing} are not in classes '
                         f'{tuple(classes)}; pass both in metainfo')


def frame_record(img_path: str, img_id: int, frame_id: int, video_name: str,
                 **extra) -> dict:
    """The per-frame info dict every mmvidseg video dataset produces."""
    return dict(
        img_path=img_path,
        img_id=img_id,
        frame_id=frame_id,
        video_name=video_name,
        **extra)


def video_record(video_id: int, video_name: str,
                 images: Sequence[dict]) -> dict:
    """The per-video item of ``data_list``."""
    return dict(
        video_id=video_id,
        video_name=video_name,
        video_length=len(images),
        images=list(images))
