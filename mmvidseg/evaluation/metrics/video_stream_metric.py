# Copyright (c) OpenMMLab. All rights reserved.
"""Shared plumbing of the per-video runner metrics.

Frames arrive either as whole videos (one ``TrackDataSample`` holding every
frame) or one at a time (``TrackImgSampler``). Each video keeps a small
streaming state until its last frame (``frame_id == video_length - 1``),
then only its per-video statistics go to ``self.results``. At
:meth:`VideoStreamMetric.evaluate` the statistics of all ranks are
gathered, sorted by video id and reduced, so the numbers do not depend on
how the videos were split across processes. Every frame of a video must
reach the same rank, in order (as mmdet's ``TrackImgSampler`` and
video-level samplers guarantee).

A metric that writes a submission format (``submission_format``, see
:mod:`.submission`) takes ``outfile_prefix`` (the output directory) and
``format_only``: each frame's files are written as it arrives, the files
that need every frame by the main process at :meth:`evaluate`.
"""
import sys
from abc import abstractmethod
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.dist import (broadcast_object_list, collect_results,
                           is_main_process)
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from .submission import build_writer

#: ``collect_results`` keeps at most this many items: no truncation (the
#: per-video statistics are not one per dataset sample).
_NO_LIMIT = sys.maxsize


def frame_meta(frame) -> dict:
    """Metainfo of a frame given as a data sample or its dict."""
    return frame if isinstance(frame, dict) else frame.metainfo


def frame_field(frame, name: str):
    """A data field of a frame (sample or dict), None when absent."""
    if isinstance(frame, dict):
        return frame.get(name)
    return getattr(frame, name) if name in frame else None


def to_numpy(value) -> np.ndarray:
    """Tensor / BitmapMasks / array -> numpy array."""
    if value is None:
        return None
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    if hasattr(value, 'to_ndarray'):  # mmdet BitmapMasks
        return value.to_ndarray()
    return np.asarray(value)


def pixel_map(pixel_data, key: str = 'data') -> Optional[np.ndarray]:
    """The (H, W) map of a ``PixelData`` (or its dict); ``key`` is ``data``
    or ``sem_seg``; the other one is tried too."""
    if pixel_data is None:
        return None
    for k in (key, 'sem_seg', 'data'):
        if isinstance(pixel_data, dict):
            value = pixel_data.get(k)
        else:
            value = getattr(pixel_data, k) if k in pixel_data else None
        if value is not None:
            arr = to_numpy(value)
            return arr[0] if arr.ndim == 3 else arr
    return None


def instance_field(instances, *names):
    """The first present field of an ``InstanceData`` (or dict)."""
    if instances is None:
        return None
    for name in names:
        if isinstance(instances, dict):
            value = instances.get(name)
        else:
            value = getattr(instances, name) if name in instances else None
        if value is not None:
            return to_numpy(value)
    return None


def num_classes_of(given: Optional[int], dataset_meta: dict) -> int:
    """``given`` when set, else the length of ``dataset_meta['classes']``."""
    if given is not None:
        return given
    return len(dataset_meta['classes'])


def thing_class_ids(given: Optional[Sequence[int]],
                    dataset_meta: dict) -> List[int]:
    """``given`` when set, else the indices of ``dataset_meta
    ['thing_classes']`` in ``dataset_meta['classes']``."""
    if given is not None:
        return [int(c) for c in given]
    classes = list(dataset_meta['classes'])
    return [classes.index(c) for c in dataset_meta['thing_classes']]


#: Metainfo keys of a frame's files, in the order error messages name them
#: (the annotation first: it fixes the shapes and ids being checked).
FRAME_PATH_KEYS = ('seg_map_path', 'pan_map_path', 'mask_path', 'img_path')


def frame_where(meta: dict, video_id, frame_id) -> str:
    """How error messages name a frame: its annotation (or image) file
    when the metainfo has one, and the video (``video_name`` when there
    is one, else ``video_id``) and frame.

    Example:
        >>> frame_where(dict(seg_map_path='v/mask/3.png'), 'v', 3)
        'v/mask/3.png (video v frame 3)'
    """
    name = f'video {meta.get("video_name", video_id)} frame {frame_id}'
    for key in FRAME_PATH_KEYS:
        path = meta.get(key)
        if isinstance(path, str) and path:
            return f'{path} ({name})'
    return name


def _sort_key(key) -> Tuple[str, Any]:
    return (type(key).__name__, key)


class VideoStreamMetric(BaseMetric):
    """Base of the per-video metrics: streaming and order-free collection.

    Subclasses implement :meth:`new_video` (a streaming state with
    ``num_frames``), :meth:`add_frame` and :meth:`finish_video`, and
    ``compute_metrics(results)`` where ``results`` is a list of the
    per-video statistics sorted by video id. One that writes a submission
    format sets ``submission_format`` (before calling this ``__init__``)
    and passes ``format_only`` and ``outfile_prefix`` on.

    Args:
        collect_device (str): How the per-video statistics of the ranks
            reach the main process (mmengine's ``collect_results``):
            ``'cpu'`` through pickles in a temporary directory under
            ``./.dist_test`` that every rank must be able to read,
            ``'gpu'`` (or ``'npu'``) with ``all_gather_object`` on the
            process group's device. Defaults to ``'cpu'``.
        prefix (str, optional): Metric name prefix (``'vps'`` names
            ``VPQ`` ``vps/VPQ``). Subclasses set ``default_prefix = ''``:
            plain names by default, without mmengine's "prefix is not set"
            warning.
        format_only (bool): Only write the submission files (needs
            ``outfile_prefix``): nothing is scored, no ground truth is
            read, and :meth:`evaluate` returns ``{}``. Defaults to False.
        outfile_prefix (str, optional): Directory to write the submission
            files to (created). Defaults to None (no files).
    """
    #: Submission format written with ``outfile_prefix`` (None: none).
    submission_format: Optional[str] = None

    def __init__(self,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 format_only: bool = False,
                 outfile_prefix: Optional[str] = None) -> None:
        if collect_device not in ('cpu', 'gpu', 'npu'):
            raise ValueError(f"collect_device must be 'cpu', 'gpu' or 'npu', "
                             f'got {collect_device!r}')
        super().__init__(collect_device=collect_device, prefix=prefix)
        name = type(self).__name__
        if format_only and outfile_prefix is None:
            raise ValueError(f'{name}: format_only needs outfile_prefix (the '
                             f'directory of the submission files)')
        if outfile_prefix is not None and self.submission_format is None:
            raise ValueError(f'{name}: outfile_prefix needs a submission '
                             f'format to write')
        self.format_only = format_only
        self.outfile_prefix = outfile_prefix
        self._writer = build_writer(self.submission_format, outfile_prefix) \
            if outfile_prefix is not None else None
        self._records: List = []
        self._open: Dict[Any, Any] = {}
        #: After :meth:`evaluate` on the main process: why each NaN metric
        #: is NaN (metric name -> a sentence), where the metric knows.
        self.null_reasons: Dict[str, str] = {}

    @abstractmethod
    def new_video(self, video_id, frame) -> Any:
        """A fresh streaming state (with ``num_frames``) for a video."""

    @abstractmethod
    def add_frame(self, state, frame, where: str) -> None:
        """Add the next frame; ``where`` names it for error messages."""

    @abstractmethod
    def finish_video(self, state) -> Any:
        """Small, picklable per-video statistics of a finished video."""

    def process(self, data_batch: Any, data_samples: Sequence) -> None:
        """Feed every frame of every sample to its video's state (and to
        the submission writer)."""
        for sample in data_samples:
            frames = sample.get('video_data_samples') if isinstance(
                sample, dict) else getattr(sample, 'video_data_samples',
                                           None)
            for frame in (frames if frames is not None else [sample]):
                self._process_frame(frame)

    def _process_frame(self, frame) -> None:
        if self._writer is not None:
            record = self._writer.add_frame(
                frame if isinstance(frame, dict) else frame.to_dict())
            if record is not None:
                self._records.append(record)
        if not self.format_only:
            self._score_frame(frame)

    def _score_frame(self, frame) -> None:
        meta = frame_meta(frame)
        video_id = meta['video_id']
        # mmdet's frame-level test mode sets video_length to the number of
        # frames in the sample (1) and ori_video_length to the video's
        length = meta.get('ori_video_length', meta.get('video_length'))
        if length is None:
            raise ValueError(f'video {video_id}: the frame metainfo needs '
                             f'"video_length" (or "ori_video_length")')
        state = self._open.get(video_id)
        if state is None:
            state = self._open[video_id] = self.new_video(video_id, frame)
        frame_id = meta.get('frame_id', state.num_frames)
        if frame_id != state.num_frames:
            raise ValueError(
                f'video {video_id}: got frame {frame_id} after '
                f'{state.num_frames} frames; frames must arrive in order')
        self.add_frame(state, frame, frame_where(meta, video_id, frame_id))
        if state.num_frames == length:
            self.results.append((video_id, self.finish_video(state)))
            del self._open[video_id]

    def _collect(self, items: list) -> Optional[list]:
        """Every rank's ``items`` on the main process (None elsewhere),
        through ``collect_device``."""
        return collect_results(items, _NO_LIMIT, self.collect_device)

    def null_reasons_of(self, metrics: Dict[str, float],
                        stats: List) -> Dict[str, str]:
        """Why the NaN values of ``metrics`` are NaN (metric name -> a
        sentence), from the per-video ``stats`` they came from. The base
        class gives none (``tools/test.py`` then prints a generic one)."""
        return {}

    def _reduce(self, results: List) -> Dict[str, float]:
        """Sort the gathered ``(video id, statistics)`` and score them;
        the reasons of NaN scores go to ``self.null_reasons``."""
        results.sort(key=lambda r: _sort_key(r[0]))
        ids = [r[0] for r in results]
        if len(set(ids)) != len(ids):
            raise ValueError('a video was evaluated twice (by two ranks or '
                             'two passes)')
        stats = [r[1] for r in results]
        metrics = self.compute_metrics(stats)
        nan = {k for k, v in metrics.items()
               if isinstance(v, float) and np.isnan(v)}
        self.null_reasons = {
            k: v for k, v in self.null_reasons_of(metrics, stats).items()
            if k in nan
        } if nan else {}
        return metrics

    def evaluate(self, size: int = 0) -> dict:
        """Gather the per-video statistics (and submission records) of all
        ranks and reduce them; ``{}`` with ``format_only``."""
        if self._open:
            names = ', '.join(str(k) for k in self._open)
            self._open.clear()
            self.results.clear()
            self._records.clear()
            raise ValueError(f'videos {names} ended before their last frame '
                             f'(check video_length and the sampler)')
        results = self._collect(self.results)
        records = self._collect(self._records) \
            if self._writer is not None else None
        self.results.clear()
        self._records.clear()
        if is_main_process():
            if self._writer is not None:
                self._writer.write_files(records)
                print_log(f'{type(self).__name__}: {self.submission_format} '
                          f'submission files written to '
                          f'{self.outfile_prefix}', logger='current')
            self.null_reasons = {}
            metrics = {} if self.format_only else self._reduce(results)
            if self.prefix:
                metrics = {f'{self.prefix}/{k}': v for k, v in metrics.items()}
                self.null_reasons = {
                    f'{self.prefix}/{k}': v
                    for k, v in self.null_reasons.items()
                }
            out = [metrics]
        else:
            out = [None]
        broadcast_object_list(out)
        return out[0]


class PanopticVideoMetric(VideoStreamMetric):
    """Base of the video panoptic metrics: class lists and panoptic maps.

    Args:
        num_classes (int, optional): Defaults to
            ``len(dataset_meta['classes'])``.
        thing_classes (Sequence[int], optional): Defaults to the indices of
            ``dataset_meta['thing_classes']`` in ``dataset_meta
            ['classes']``.
        label_divisor (int): Panoptic id = ``class * label_divisor +
            track``. Defaults to 1000.
        ignore_index (int): Void class. Defaults to 255.
        **kwargs: See :class:`VideoStreamMetric`.
    """

    def __init__(self,
                 num_classes: Optional[int] = None,
                 thing_classes: Optional[Sequence[int]] = None,
                 label_divisor: int = 1000,
                 ignore_index: int = 255,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self._num_classes = num_classes
        self._thing_classes = thing_classes
        self.label_divisor = label_divisor
        self.ignore_index = ignore_index

    @property
    def num_classes(self) -> int:
        return num_classes_of(self._num_classes, self.dataset_meta)

    @property
    def thing_classes(self) -> List[int]:
        return thing_class_ids(self._thing_classes, self.dataset_meta)

    def panoptic_maps(self, frame,
                      where: str) -> Tuple[np.ndarray, np.ndarray]:
        """The (H, W) ``gt_panoptic_seg`` and ``pred_panoptic_seg`` maps
        of a frame.

        Raises:
            ValueError: One of them is missing.
        """
        gt = pixel_map(frame_field(frame, 'gt_panoptic_seg'), 'sem_seg')
        pred = pixel_map(frame_field(frame, 'pred_panoptic_seg'), 'sem_seg')
        if gt is None or pred is None:
            raise ValueError(f'{where}: {type(self).__name__} needs '
                             f'gt_panoptic_seg and pred_panoptic_seg')
        return gt, pred
