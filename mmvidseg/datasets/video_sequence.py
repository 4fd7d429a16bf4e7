# Copyright (c) OpenMMLab. All rights reserved.
"""Bases of the ``video_sequence`` layouts (KITTI-STEP, Cityscapes-DVPS,
SemKITTI-DVPS)."""
from typing import List, Optional

from .base_video_dataset import BaseVideoDataset
from .utils import (check_thing_classes, frame_record, scan_sequence_folder,
                    video_record)

__all__ = ['VideoSequenceDataset', 'DepthVideoSequenceDataset']


class VideoSequenceDataset(BaseVideoDataset):
    """Frames of all sequences of a split in one folder::

        data_root/video_sequence/{train,val}/
            {seq}_{frame}_..._leftImg8bit.png
            {seq}_{frame}_..._<annotation suffix>

    The sequence and frame come from the first two fields of the name
    (:func:`~mmvidseg.datasets.utils.scan_sequence_folder`). Subclasses
    name each frame's annotation files in :meth:`frame_annotations`.

    What a sequence is: the frames sharing ``{seq}``, whose ``{frame}``
    numbers count up by one from the first (as KITTI-STEP, Cityscapes-DVPS
    and SemKITTI-DVPS number them). A skipped number, or an annotation
    file (:attr:`ANN_SUFFIXES`) whose frame file is missing, is an error
    naming the missing frame, not a shorter video; so is a missing
    annotation of a frame (with ``with_gt`` / ``with_depth``). Only a
    sequence's last frame, deleted together with all its annotations,
    cannot be told from a shorter sequence.

    Args:
        data_prefix (dict): ``img_path``: the split folder. Defaults to
            ``dict(img_path='video_sequence/val')``.
        with_gt (bool): Whether the annotation files exist (False for the
            test split). Defaults to True.
        **kwargs: See :class:`BaseVideoDataset`; ``metainfo`` may replace
            ``classes`` / ``thing_classes`` (e.g. the toy classes).
    """

    #: Suffix of the frame files; the rest of the name is the frame stem.
    IMG_SUFFIX = '_leftImg8bit.png'
    #: Suffixes of the per-frame annotation files (``<stem><suffix>``).
    ANN_SUFFIXES = ()

    def __init__(self,
                 data_prefix: dict = dict(img_path='video_sequence/val'),
                 with_gt: bool = True,
                 **kwargs):
        self.with_gt = with_gt
        super().__init__(data_prefix=data_prefix, **kwargs)

    def frame_annotations(self, stem: str, where: str) -> dict:
        """The annotation entries of one frame's info.

        Args:
            stem (str): The frame's path without :attr:`IMG_SUFFIX`.
            where (str): ``'of frame <t> of sequence <seq>:'``, for
                messages.

        Returns:
            dict: E.g. ``dict(pan_map_path=...)``; empty here.
        """
        return {}

    def annotation_frame(self, name: str) -> Optional[str]:
        """The frame file name that annotation file ``name`` belongs to
        (None if ``name`` is no annotation file)."""
        for suffix in self.ANN_SUFFIXES:
            if name.endswith(suffix):
                return name[:-len(suffix)] + self.IMG_SUFFIX
        return None

    def load_data_list(self) -> List[dict]:
        check_thing_classes(self._metainfo, type(self).__name__)
        folder = self.data_prefix['img_path']
        seqs = scan_sequence_folder(folder, self.IMG_SUFFIX, self.backend_args,
                                    self.annotation_frame)
        data_list, img_id = [], 0
        for video_id, (seq, stems) in enumerate(seqs.items()):
            images = []
            for t, stem in enumerate(stems):
                images.append(
                    frame_record(
                        stem + self.IMG_SUFFIX, img_id, t, seq,
                        **self.frame_annotations(
                            stem, f'of frame {t} of sequence {seq}:')))
                img_id += 1
            data_list.append(video_record(video_id, seq, images))
        return data_list


class DepthVideoSequenceDataset(VideoSequenceDataset):
    """A :class:`VideoSequenceDataset` with depth maps (the DVPS datasets).

    Args:
        with_depth (bool): Whether depth maps exist. Defaults to True.
        **kwargs: See :class:`VideoSequenceDataset`.
    """

    def __init__(self, with_depth: bool = True, **kwargs):
        self.with_depth = with_depth
        super().__init__(**kwargs)
