# Copyright (c) OpenMMLab. All rights reserved.
"""Shared base of mmvidseg's video datasets."""
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence

from mmdet.datasets import BaseVideoDataset as MMDetBaseVideoDataset
from mmengine import fileio

from .utils import (VideoDatasetError, frame_record, list_names, load_json,
                    read_lines, require_keys, video_record)

__all__ = ['BaseVideoDataset', 'VideoDatasetError']


class BaseVideoDataset(MMDetBaseVideoDataset):
    """A video dataset whose items are whole videos.

    Each item of ``data_list`` is a video::

        dict(video_id=int, video_name=str, video_length=int,
             images=[dict(img_path=..., frame_id=t, img_id=..., ...), ...])

    so mmdet's ``TrackImgSampler`` (frame-level sampling, whole videos per
    rank at test time), its frame samplers and ours work on it unchanged.
    Subclasses implement :meth:`load_data_list` for their on-disk format.

    Every file is read, listed and checked through :mod:`mmengine.fileio`
    with ``backend_args``, so the data may live on any storage backend
    (pass the same ``backend_args`` to the loading transforms of the
    pipeline).

    Args:
        check_files (bool): Check at load time that every frame and
            annotation file exists, and that no annotation file lacks its
            frame (a deleted frame), so a missing file fails early with its
            name instead of deep inside a data-loader worker or as a
            silently shorter video. Checks that need no extra file access
            (e.g. frame numbering) run whatever this is. Defaults to True.
        backend_args (dict, optional): Arguments of the mmengine file
            backend, e.g. ``dict(backend='petrel')``. Defaults to None (the
            backend is inferred from the path: local files).
        **kwargs: Arguments of :class:`mmengine.dataset.BaseDataset`
            (``ann_file``, ``data_root``, ``data_prefix``, ``pipeline``,
            ``test_mode``, ``metainfo``...).
    """

    METAINFO = dict(classes=None, palette=None)

    def __init__(self,
                 *args,
                 check_files: bool = True,
                 backend_args: Optional[dict] = None,
                 **kwargs):
        self.check_files = check_files
        # mmdet's BaseVideoDataset keeps it as ``self.backend_args``
        super().__init__(*args, backend_args=backend_args, **kwargs)

    # --------------------------------------------------------- file access
    def read_lines(self, path: str, what: str) -> List[str]:
        """Stripped lines of a text file, blank lines kept.

        Raises:
            FileNotFoundError: The file does not exist.
        """
        return read_lines(path, what, self.backend_args)

    def read_split(self, path: str) -> List[str]:
        """Read a split file of one name per line (blank lines skipped).

        Raises:
            FileNotFoundError: The file does not exist.
            VideoDatasetError: The file lists nothing.
        """
        names = [name for name in self.read_lines(path, 'split file') if name]
        if not names:
            raise VideoDatasetError(f'split file {path} lists no video')
        return names

    def load_json(self, path: str, what: str):
        """Load a JSON file (see :func:`~mmvidseg.datasets.utils.load_json`).
        """
        return load_json(path, what, self.backend_args)

    def list_files(self,
                   folder: str,
                   suffixes: Sequence[str],
                   what: str = 'video folder') -> List[str]:
        """Sorted names of the files in ``folder`` ending with one of
        ``suffixes`` (compared case-insensitively); may be empty.

        Raises:
            FileNotFoundError: The folder does not exist.
        """
        return list_names(folder, what, suffixes, False, self.backend_args)

    def list_dirs(self, folder: str, what: str) -> List[str]:
        """Sorted names of the sub-folders of ``folder``.

        Raises:
            FileNotFoundError: The folder does not exist.
        """
        return list_names(folder, what, None, True, self.backend_args)

    def list_frames(self, folder: str, suffixes: Sequence[str]) -> List[str]:
        """Sorted file names in ``folder`` with one of ``suffixes``.

        Raises:
            FileNotFoundError: The folder does not exist.
            VideoDatasetError: It holds no frame (an empty video).
        """
        names = self.list_files(folder, suffixes)
        if not names:
            raise VideoDatasetError(
                f'video folder {folder} holds no frame ending with '
                f'{tuple(suffixes)}: an empty video')
        return names

    def require_file(self, path: str, what: str) -> str:
        """Return ``path``; raise if ``check_files`` and it is missing."""
        if self.check_files and not fileio.isfile(
                path, backend_args=self.backend_args):
            raise FileNotFoundError(f'{what} {path} does not exist')
        return path

    def frame_file(self, folder: str, frame: str, suffix: str, what: str,
                   video: str) -> str:
        """The file ``<folder>/<frame stem><suffix>`` of frame file
        ``frame`` of video ``video`` (its mask, flow...), checked by
        :meth:`require_file`; ``what`` names it in the message."""
        return self.require_file(
            osp.join(folder,
                     osp.splitext(frame)[0] + suffix),
            f'{what} of frame {frame} of video {video}:')

    # -------------------------------------------------------- annotations
    def category_labels(self, categories: List[dict],
                        path: str) -> Dict[int, int]:
        """``{category id: class index}`` of COCO-style ``categories``.

        Categories are matched to ``classes`` by name; those not in the
        class list are left out. When ``metainfo`` sets no ``classes``,
        they become the category names sorted by id.

        Args:
            categories (list[dict]): The JSON's categories (``id``,
                ``name``).
            path (str): The file they come from (for messages).

        Raises:
            VideoDatasetError: A category lacks ``id`` or ``name``.
        """
        for i, cat in enumerate(categories):
            require_keys(cat, ('id', 'name'), path, f'categories[{i}]')
        cats = sorted(categories, key=lambda c: c['id'])
        if self._metainfo.get('classes') is None:
            self._metainfo['classes'] = tuple(c['name'] for c in cats)
        classes = list(self._metainfo['classes'])
        return {
            c['id']: classes.index(c['name'])
            for c in cats if c['name'] in classes
        }

    # ------------------------------------------------------------ videos
    def check_annotated_frames(self, frame_dir: str, frames: List[str],
                               ann_dir: str, suffix: str, what: str,
                               video: str) -> None:
        """Raise if a file of ``ann_dir`` ending with ``suffix`` (a frame's
        mask, flow...) has no frame of the same stem in ``frames``: its
        frame was deleted, and the video must not silently shrink.

        Skipped without ``check_files``. A missing ``ann_dir`` is not
        checked here (the frames' own annotation checks name the missing
        files).

        Raises:
            FileNotFoundError: Names the missing frame file (with the
                extension of the video's first frame) and the annotation.
        """
        if not self.check_files or not fileio.isdir(
                ann_dir, backend_args=self.backend_args):
            return
        stems = {osp.splitext(f)[0] for f in frames}
        ext = osp.splitext(frames[0])[1]
        for name in self.list_files(ann_dir, (suffix, ), what + ' folder'):
            stem = name[:-len(suffix)]
            if stem not in stems:
                raise FileNotFoundError(
                    f'frame {osp.join(frame_dir, stem + ext)} of video '
                    f'{video} does not exist, but its {what} '
                    f'{osp.join(ann_dir, name)} does')

    def load_split_videos(
        self,
        frame_dir: Callable[[str], str],
        suffixes: Sequence[str],
        annotate: Callable[[str, List[str], int], dict],
        check: Optional[Callable[[str, str, List[str]], None]] = None
    ) -> List[dict]:
        """``data_list`` of the videos that the split file ``ann_file``
        names, each a folder of frame files (sorted by name).

        Args:
            frame_dir (Callable[[str], str]): The frame folder of a video
                name.
            suffixes (Sequence[str]): Frame file suffixes.
            annotate (Callable[[str, list[str], int], dict]): ``(video name,
                its frame files, t)`` -> the annotation entries of frame
                ``t``'s info (``seg_map_path``...).
            check (Callable[[str, str, list[str]], None], optional):
                ``(video name, frame folder, frame files)``: raises if
                frames are missing from the video (e.g.
                :meth:`check_annotated_frames`). Defaults to None.

        Raises:
            FileNotFoundError: The split file or a frame folder is missing.
            VideoDatasetError: The split is empty or a video has no frame.
        """
        data_list, img_id = [], 0
        for video_id, name in enumerate(self.read_split(self.ann_file)):
            folder = frame_dir(name)
            frames = self.list_frames(folder, suffixes)
            if check is not None:
                check(name, folder, frames)
            images = []
            for t, fname in enumerate(frames):
                images.append(
                    frame_record(
                        osp.join(folder, fname), img_id, t, name,
                        **annotate(name, frames, t)))
                img_id += 1
            data_list.append(video_record(video_id, name, images))
        return data_list

    def get_len_per_video(self, idx: int) -> int:
        """Number of frames of video ``idx`` (without copying its info)."""
        if self.serialize_data:
            return self.get_data_info(idx)['video_length']
        return self.data_list[idx]['video_length']

    def filter_data(self) -> List[dict]:
        """Drop videos without frames; subclasses may filter further.

        Raises:
            VideoDatasetError: No video is left (names ``ann_file`` or the
                frame folder).
        """
        return self.require_videos(
            [v for v in self.data_list if v['video_length'] > 0])

    def require_videos(self, videos: List[dict]) -> List[dict]:
        """Return ``videos``; raise if it is empty, naming the source."""
        if not videos:
            source = self.ann_file or self.data_prefix.get('img_path')
            raise VideoDatasetError(
                f'{type(self).__name__}: {source} yields no video with a '
                'frame: nothing to load')
        return videos
