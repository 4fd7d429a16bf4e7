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
from typing import (Callable, Dict, Iterable, List, Optional, Sequence, Tuple,
                    Union)

from mmengine import fileio

__all__ = [
    'VideoDatasetError', 'check_choice', 'read_text', 'read_lines',
    'load_json', 'list_names', 'require_keys', 'scan_sequence_folder',
    'check_thing_classes', 'frame_record', 'video_record', 'frame_number',
    'numbered_name', 'check_frame_numbers'
]

#: ``{seq}_{frame}_...`` names of the "video_sequence" layouts (KITTI-STEP,
#: Cityscapes-DVPS, SemKITTI-DVPS).
_SEQ_FRAME = re.compile(r'^(\d+)_(\d+)_')
#: ``<prefix><number><extension>`` frame names (``00005.jpg``,
#: ``frame_12.png``).
_NUMBERED = re.compile(r'^(.*?)(\d+)(\.[^.]*)?$')


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
        VideoDatasetError: It is not UTF-8 text (the message gives the line
            and byte).
    """
    try:
        return fileio.get_text(path, backend_args=backend_args)
    except FileNotFoundError:
        raise FileNotFoundError(f'{what} {path} does not exist') from None
    except UnicodeDecodeError as e:
        line = e.object[:e.start].count(b'\n') + 1
        raise VideoDatasetError(
            f'{what} {path} is not UTF-8 text: line {line} holds the byte '
            f'0x{e.object[e.start]:02x} (offset {e.start}; {e.reason})'
        ) from None


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
        VideoDatasetError: It is not UTF-8 text or not valid JSON.
    """
    text = read_text(path, what, backend_args)
    try:
        return json.loads(text)
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
    backend_args: Optional[dict] = None,
    frame_of: Optional[Callable[[str], Optional[str]]] = None
) -> 'OrderedDict[str, List[str]]':
    """Group the frames of a ``{seq}_{frame}_*<suffix>`` folder by sequence.

    A sequence is the frames that share ``{seq}``; their ``{frame}``
    numbers must be consecutive from the first, and every annotation file
    of the folder (see ``frame_of``) must have its frame, so that a
    deleted frame fails here, naming it, instead of shortening the video.

    Args:
        folder (str): The split folder, e.g.
            ``data/kitti-step/video_sequence/val``.
        suffix (str): Frame file suffix, e.g. ``'_leftImg8bit.png'``.
        backend_args (dict, optional): mmengine file backend arguments.
        frame_of (Callable[[str], str | None], optional): The name of the
            frame file that an annotation file of the folder belongs to
            (None for any other file). Defaults to None (not checked).

    Returns:
        OrderedDict[str, List[str]]: Sequence id -> file stems (path without
        ``suffix``) sorted by frame number, sequences sorted by id.

    Raises:
        FileNotFoundError: The folder does not exist, a sequence skips a
            frame number or an annotation's frame is missing (named).
        VideoDatasetError: It holds no frame, a name lacks the
            ``{seq}_{frame}_`` prefix, or two frames share a number.
    """
    seqs: Dict[str, List[Tuple[int, str]]] = {}
    annotations = []
    for name in list_names(
            folder, 'sequence folder', dirs=False, backend_args=backend_args):
        if not name.endswith(suffix):
            frame = None if frame_of is None else frame_of(name)
            if frame is not None:
                annotations.append((name, frame))
            continue
        match = _SEQ_FRAME.match(name)
        if match is None:
            raise VideoDatasetError(
                f'{osp.join(folder, name)}: expected a name '
                f'"<sequence>_<frame>_...{suffix}"')
        seqs.setdefault(match.group(1), []).append(
            (int(match.group(2)), name))
    if not seqs:
        raise VideoDatasetError(
            f'sequence folder {folder} holds no frame ending with {suffix}')
    frames = {name for seq in seqs.values() for _, name in seq}
    for name, frame in annotations:
        if frame not in frames:
            raise FileNotFoundError(
                f'frame {osp.join(folder, frame)} does not exist, but its '
                f'annotation {osp.join(folder, name)} does')
    out = OrderedDict()
    for seq in sorted(seqs):
        numbered = sorted(seqs[seq])
        _check_sequence_numbers(folder, seq, numbered, suffix)
        out[seq] = [osp.join(folder, name[:-len(suffix)])
                    for _, name in numbered]
    return out


def _check_sequence_numbers(folder: str, seq: str,
                            numbered: List[Tuple[int, str]],
                            suffix: str) -> None:
    """Raise unless the sorted ``(frame number, name)`` of sequence ``seq``
    count up by one (see :func:`scan_sequence_folder`)."""
    for (before, name), (after, next_name) in zip(numbered, numbered[1:]):
        if after == before:
            raise VideoDatasetError(
                f'{osp.join(folder, name)} and {osp.join(folder, next_name)} '
                f'are both frame {before} of sequence {seq}')
        if after > before + 1:
            match = _SEQ_FRAME.match(name)
            rest = name[match.end():]
            tail = rest if rest == suffix[1:] else '*' + suffix
            number = f'{before + 1:0{len(match.group(2))}d}'
            raise FileNotFoundError(
                f'frame {osp.join(folder, f"{seq}_{number}_{tail}")} does '
                f'not exist, but frames {name} and {next_name} of sequence '
                f'{seq} around it do: a sequence must not skip a frame')


def frame_number(name: str) -> Optional[Tuple[str, int, int, str]]:
    """Parse a numbered frame file name such as ``00005.jpg``.

    Returns:
        tuple | None: ``(prefix, number, digits, extension)``: the number is
        the run of digits that ends the stem (``frame_012.png``: ``('frame_',
        12, 3, '.png')``); None when the stem does not end with a digit.
    """
    match = _NUMBERED.match(name)
    if match is None:
        return None
    return (match.group(1), int(match.group(2)), len(match.group(2)),
            match.group(3) or '')


def numbered_name(like: str, number: int) -> str:
    """The name of frame ``number`` in the numbering of the numbered name
    ``like`` (same prefix, zero padding and extension)."""
    prefix, _, digits, ext = frame_number(like)
    return f'{prefix}{number:0{digits}d}{ext}'


def check_frame_numbers(folder: str,
                        names: Sequence[str],
                        what: str,
                        require: bool = False) -> None:
    """Raise unless frame files are numbered consecutively from the first.

    Args:
        folder (str): The folder holding them, for the message.
        names (Sequence[str]): Their names, in the order the dataset reads
            them (sorted). A frame's number is the run of digits that ends
            its stem (:func:`frame_number`).
        what (str): Whose frames they are, e.g. ``'video toy_1000'``.
        require (bool): Raise when a name carries no number; otherwise
            such a folder is not checked. Defaults to False.

    Raises:
        FileNotFoundError: A number is skipped; the message names the
            missing file (e.g. ``<folder>/00001.jpg``).
        VideoDatasetError: The numbers repeat or go down (e.g. unpadded
            names sorted out of frame order), or, with ``require``, a name
            has no number.
    """
    parsed = [frame_number(name) for name in names]
    if None in parsed:
        if require:
            bad = osp.join(folder, names[parsed.index(None)])
            raise VideoDatasetError(
                f'{bad}: the frames of {what} must be named by their number '
                '(e.g. 00000.jpg)')
        return
    numbers = [p[1] for p in parsed]
    for k in range(1, len(names)):  # order first: unpadded names mis-sort
        if numbers[k] <= numbers[k - 1]:
            raise VideoDatasetError(
                f'{what}: frame {osp.join(folder, names[k])} (number '
                f'{numbers[k]}) follows {names[k - 1]} (number '
                f'{numbers[k - 1]}) in name order; frame numbers must '
                'increase by one (zero-pad the numbers so that the names '
                'sort in frame order)')
    for k in range(1, len(names)):
        if numbers[k] > numbers[k - 1] + 1:
            missing = osp.join(folder,
                               numbered_name(names[k - 1], numbers[k - 1] + 1))
            raise FileNotFoundError(
                f'frame {missing} of {what} does not exist, but frames '
                f'{names[k - 1]} and {names[k]} around it do: a video must '
                'not skip a frame')


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
