# Copyright (c) OpenMMLab. All rights reserved.
"""Shared base of mmvidseg's video datasets."""
import os
import os.path as osp
from typing import List, Sequence

from mmdet.datasets import BaseVideoDataset as MMDetBaseVideoDataset
from mmengine.fileio import list_from_file


class VideoDatasetError(ValueError):
    """Raised for malformed dataset files; the message names the file."""


class BaseVideoDataset(MMDetBaseVideoDataset):
    """A video dataset whose items are whole videos.

    Each item of ``data_list`` is a video::

        dict(video_id=int, video_name=str, video_length=int,
             images=[dict(img_path=..., frame_id=t, img_id=..., ...), ...])

    so mmdet's ``TrackImgSampler`` (frame-level sampling, whole videos per
    rank at test time), its frame samplers and ours work on it unchanged.
    Subclasses implement :meth:`load_data_list` for their on-disk format.

    Args:
        check_files (bool): Check at load time that every frame and
            annotation file exists, so a missing file fails early with its
            name instead of deep inside a data-loader worker. Defaults to
            True.
        **kwargs: Arguments of :class:`mmengine.dataset.BaseDataset`
            (``ann_file``, ``data_root``, ``data_prefix``, ``pipeline``,
            ``test_mode``, ``metainfo``...).
    """

    METAINFO = dict(classes=None, palette=None)

    def __init__(self, *args, check_files: bool = True, **kwargs):
        self.check_files = check_files
        super().__init__(*args, **kwargs)

    def read_split(self, path: str) -> List[str]:
        """Read a split file of one name per line (blank lines skipped).

        Raises:
            FileNotFoundError: The file does not exist.
            VideoDatasetError: The file lists nothing.
        """
        if not osp.isfile(path):
            raise FileNotFoundError(f'split file {path} does not exist')
        names = [x.strip() for x in list_from_file(path) if x.strip()]
        if not names:
            raise VideoDatasetError(f'split file {path} lists no video')
        return names

    def list_frames(self, folder: str, suffixes: Sequence[str]) -> List[str]:
        """Sorted file names in ``folder`` with one of ``suffixes``.

        Raises:
            FileNotFoundError: The folder does not exist.
            VideoDatasetError: It holds no frame (an empty video).
        """
        if not osp.isdir(folder):
            raise FileNotFoundError(f'video folder {folder} does not exist')
        names = sorted(
            f for f in os.listdir(folder) if f.lower().endswith(
                tuple(s.lower() for s in suffixes)))
        if not names:
            raise VideoDatasetError(
                f'video folder {folder} holds no frame ending with '
                f'{tuple(suffixes)}: an empty video')
        return names

    def require_file(self, path: str, what: str) -> str:
        """Return ``path``; raise if ``check_files`` and it is missing."""
        if self.check_files and not osp.isfile(path):
            raise FileNotFoundError(f'{what} {path} does not exist')
        return path

    def get_len_per_video(self, idx: int) -> int:
        """Number of frames of video ``idx`` (without copying its info)."""
        if self.serialize_data:
            return self.get_data_info(idx)['video_length']
        return self.data_list[idx]['video_length']

    def filter_data(self) -> List[dict]:
        """Drop videos without frames; subclasses may filter further."""
        return [v for v in self.data_list if v['video_length'] > 0]
