# Copyright (c) OpenMMLab. All rights reserved.
"""Predictions in the official submission formats.

The per-video metrics write these files when given ``outfile_prefix`` (the
output directory); with ``format_only=True`` they only write them and
return no score (a test split without ground truth). What the benchmark's
server or offline evaluator reads (``tools/analysis_tools/eval_offline.py``
scores all of them):

==============  ===========================================================
``kitti_step``  ``<out>/<seq:04d>/<frame:06d>.png``: RGB PNG, R = semantic
                class, G * 256 + B = instance (track) id, the ground-truth
                encoding of KITTI-STEP (deeplab2's STEP format);
                :class:`~mmvidseg.evaluation.metrics.VPSMetric` with
                ``submission_format='kitti_step'``
``vipseg``      ``<out>/pan_pred/<video>/<frame>.png``: RGB PNG of segment
                ids (id = R + 256 G + 256^2 B, 0 = void) and
                ``<out>/pred.json``: ``{"annotations": [{"video_id",
                "annotations": [{"file_name", "segments_info": [{"id",
                "category_id"}]}]}]}`` (VIPSeg's ``eval_vpq_vspw.py`` /
                ``eval_stq_vspw.py``); ``VPSMetric`` with
                ``submission_format='vipseg'``
``youtube_vis`` ``<out>/results.json``: a list of ``{"video_id", "score",
                "category_id", "segmentations": [RLE or null per frame]}``
                (zip it as ``results.json`` for the CodaLab server);
                :class:`~mmvidseg.evaluation.metrics.YouTubeVISVideoMetric`
``vspw``        ``<out>/<video>/<frame>.png``: uint8 mask values as the
                ground truth stores them (training id + 1; void -> 0),
                which VSPW's ``evaluator_test.py`` compares as they are;
                :class:`~mmvidseg.evaluation.metrics.VSSMetric`
``youtube_vos`` ``<out>/Annotations/<video>/<frame>.png``: 'P' mode PNG
                (PASCAL VOC palette, as the release's annotations) of the
                dataset's object ids (0 background), one per frame of
                ``JPEGImages/<video>/``, named as the frame (zip the
                ``Annotations`` folder for the CodaLab server); format
                only (the server scores YouTube-VOS valid):
                :class:`~mmvidseg.evaluation.metrics.YouTubeVOSSubmission`
==============  ===========================================================

A writer writes the per-frame files as the frames arrive (on every rank)
and returns a small record per frame; the records of all ranks are
gathered and the files that need every frame (``pred.json``,
``results.json``) written by the main process. :func:`submission_evaluator`
sets these options in an evaluator config (``tools/test.py --out-dir``).
"""
import copy
import json
import os
import os.path as osp
import re
from abc import ABCMeta, abstractmethod
from collections import Counter, defaultdict
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.dist import is_main_process
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from PIL import Image

from mmvidseg.registry import METRICS

#: dataset type -> format
DATASET_FORMATS = {
    'KITTISTEPDataset': 'kitti_step',
    'VIPSegDataset': 'vipseg',
    'YouTubeVISDataset': 'youtube_vis',
    'VSPWDataset': 'vspw',
    'YouTubeVOSDataset': 'youtube_vos',
}
#: format -> the registered metric that writes it
FORMAT_METRICS = {
    'kitti_step': 'VPSMetric',
    'vipseg': 'VPSMetric',
    'youtube_vis': 'YouTubeVISVideoMetric',
    'vspw': 'VSSMetric',
    'youtube_vos': 'YouTubeVOSSubmission',
}
LABEL_DIVISOR = 1000
VOID = 255


def _field(frame: dict, name: str, key: str, where: str) -> np.ndarray:
    value = frame.get(name)
    if value is None or key not in value:
        raise ValueError(f'{where}: the prediction has no {name}.{key}')
    value = value[key]
    if hasattr(value, 'cpu'):
        value = value.cpu().numpy()
    return np.asarray(value)


def _where(frame: dict) -> str:
    return frame.get('img_path', f'video {frame.get("video_id")} frame '
                     f'{frame.get("frame_id")}')


def _stem(frame: dict) -> str:
    """File name stem of a frame: its image name without extension."""
    path = frame.get('img_path')
    if not path:
        return f'{int(frame["frame_id"]):06d}'
    return osp.splitext(osp.basename(path))[0]


def _video_name(frame: dict) -> str:
    return str(frame.get('video_name', frame.get('video_id')))


def _save_png(path: str, array: np.ndarray) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.fromarray(array).save(path)


def save_palette_png(path: str, ids: np.ndarray) -> None:
    """Object ids (H, W) as a DAVIS / YouTube-VOS palette PNG ('P' mode,
    the PASCAL VOC palette), creating its folder."""
    from mmvidseg.testing.toy_formats._io import voc_palette
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    image = Image.fromarray(ids.astype(np.uint8), mode='P')
    image.putpalette(np.asarray(voc_palette(), np.uint8).ravel().tolist())
    image.save(path)


class SubmissionWriter(metaclass=ABCMeta):
    """Base of the writers.

    Args:
        out_dir (str): Output directory (created).
    """

    def __init__(self, out_dir: str) -> None:
        self.out_dir = out_dir
        os.makedirs(out_dir, exist_ok=True)

    @abstractmethod
    def add_frame(self, frame: dict) -> Optional[Any]:
        """Write the files of one frame.

        Args:
            frame (dict): The frame's data sample as a dict (metainfo and
                prediction fields).

        Returns:
            A small picklable record for :meth:`write_files`, or None.
        """

    def write_files(self, records: List) -> None:
        """Write the files that need every frame (main process only).

        Args:
            records (List): The non-None records of :meth:`add_frame` of
                all ranks.
        """


class KITTISTEPWriter(SubmissionWriter):
    """KITTI-STEP panoptic PNGs (one folder per sequence)."""

    def add_frame(self, frame: dict) -> None:
        where = _where(frame)
        pan = _field(frame, 'pred_panoptic_seg', 'sem_seg', where)[0]
        pan = pan.astype(np.int64)
        sem = pan // LABEL_DIVISOR
        inst = np.where(sem == VOID, 0, pan % LABEL_DIVISOR)
        rgb = np.stack([sem, inst // 256, inst % 256], -1).astype(np.uint8)
        name = _video_name(frame)
        seq = f'{int(name):04d}' if name.isdigit() else name
        match = re.match(r'^\d+_(\d+)', _stem(frame))
        index = int(match.group(1)) if match else int(frame['frame_id'])
        _save_png(osp.join(self.out_dir, seq, f'{index:06d}.png'), rgb)


class VSPWWriter(SubmissionWriter):
    """VSPW semantic PNGs in the ground truth's value space.

    VSPW masks store class ``c`` (0-based training id) as ``c + 1`` and the
    official ``evaluator_test.py`` compares prediction and ground-truth
    values as stored, so the prediction is written as ``c + 1``; void
    predictions become 0 (VSPW's "others"/void value).
    """

    def add_frame(self, frame: dict) -> None:
        where = _where(frame)
        sem = _field(frame, 'pred_sem_seg', 'data', where)[0]
        # void -> 0: the official evaluator indexes a confusion matrix with
        # the predicted values, 255 would crash it
        sem = np.where(sem == VOID, 0, sem.astype(np.int64) + 1)
        _save_png(
            osp.join(self.out_dir, _video_name(frame),
                     _stem(frame) + '.png'), sem.astype(np.uint8))


class VIPSegWriter(SubmissionWriter):
    """VIPSeg ``pan_pred`` PNGs and ``pred.json``.

    Segment id = panoptic id + 1 (``class * 1000 + track + 1``), so it is
    never 0 (void) and stays the same for a track across frames.
    """

    def add_frame(self, frame: dict) -> tuple:
        where = _where(frame)
        pan = _field(frame, 'pred_panoptic_seg', 'sem_seg',
                     where)[0].astype(np.int64)
        ids = np.where(pan // LABEL_DIVISOR == VOID, 0, pan + 1)
        rgb = np.stack([ids % 256, ids // 256 % 256, ids // 65536],
                       -1).astype(np.uint8)
        video = _video_name(frame)
        file_name = _stem(frame) + '.png'
        _save_png(osp.join(self.out_dir, 'pan_pred', video, file_name), rgb)
        segments = [
            dict(id=int(i), category_id=int((i - 1) // LABEL_DIVISOR))
            for i in np.unique(ids) if i != 0
        ]
        return video, int(frame['frame_id']), file_name, segments

    def write_files(self, records: List[tuple]) -> None:
        videos: Dict[str, list] = defaultdict(list)
        for video, frame_id, file_name, segments in records:
            videos[video].append((frame_id, file_name, segments))
        annotations = []
        for video in sorted(videos):
            frames = sorted(videos[video])
            annotations.append(
                dict(
                    video_id=video,
                    annotations=[
                        dict(file_name=f, segments_info=s)
                        for _, f, s in frames
                    ]))
        os.makedirs(self.out_dir, exist_ok=True)
        with open(osp.join(self.out_dir, 'pred.json'), 'w') as f:
            json.dump(dict(annotations=annotations), f)


class YouTubeVISWriter(SubmissionWriter):
    """YouTube-VIS ``results.json`` from per-frame track predictions.

    A track (``instances_id``) becomes one result: its category is the
    majority of its per-frame labels (the first seen among ties; category
    id = class index + 1, as YouTube-VIS and OVIS ids start at 1), its
    score the mean of its per-frame scores, and its segmentations one
    compressed RLE per frame of the video (null where the track is absent
    or its mask empty).
    """

    def add_frame(self, frame: dict) -> tuple:
        from pycocotools import mask as mask_utils
        where = _where(frame)
        if frame.get('pred_track_instances') is None:
            raise ValueError(f'{where}: no pred_track_instances')
        fields = [
            _field(frame, 'pred_track_instances', key, where)
            for key in ('masks', 'labels', 'scores', 'instances_id')
        ]
        masks = np.asarray(fields[0]).astype(np.uint8)
        length = frame.get('ori_video_length', frame.get('video_length'))
        rles = mask_utils.encode(np.asfortranarray(masks.transpose(
            1, 2, 0))) if len(masks) else []
        tracks = []
        for rle, label, score, tid in zip(rles, *fields[1:]):
            if rle is None or not mask_utils.area(rle):
                continue
            rle['counts'] = rle['counts'].decode()
            tracks.append((int(tid), int(label), float(score), rle))
        return frame['video_id'], int(frame['frame_id']), int(length), tracks

    def write_files(self, records: List[tuple]) -> None:
        per_video: Dict = defaultdict(dict)
        lengths = {}
        for video_id, frame_id, length, tracks in records:
            lengths[video_id] = length
            for tid, label, score, rle in tracks:
                track = per_video[video_id].setdefault(
                    tid, dict(labels=[], scores=[], segms={}))
                track['labels'].append(label)
                track['scores'].append(score)
                track['segms'][frame_id] = rle
        out = []
        for video_id in sorted(per_video):
            for tid, track in sorted(per_video[video_id].items()):
                label = Counter(track['labels']).most_common(1)[0][0]
                out.append(
                    dict(
                        video_id=video_id,
                        score=float(np.mean(track['scores'])),
                        category_id=label + 1,
                        segmentations=[
                            track['segms'].get(t)
                            for t in range(lengths[video_id])
                        ]))
        os.makedirs(self.out_dir, exist_ok=True)
        with open(osp.join(self.out_dir, 'results.json'), 'w') as f:
            json.dump(out, f)


class YouTubeVOSWriter(SubmissionWriter):
    """YouTube-VOS object-id PNGs, as the release's ``Annotations``.

    Each frame's ``pred_sem_seg.data`` ((1, H, W) object ids of the
    dataset, 0 background, as :class:`~mmvidseg.models.VSReID` predicts
    them) is written as a 'P' mode PNG with the PASCAL VOC palette to
    ``Annotations/<video>/<frame stem>.png``: the stem of the frame's image
    (``00005``), so every frame of ``JPEGImages/<video>/`` gets the file
    the server looks for. Ids must be 0..254 (a PNG index; 255 is void
    in the annotations).
    """

    def add_frame(self, frame: dict) -> None:
        where = _where(frame)
        ids = _field(frame, 'pred_sem_seg', 'data', where)[0]
        if ids.size and (ids.min() < 0 or ids.max() >= VOID):
            raise ValueError(f'{where}: YouTube-VOS object ids must be in '
                             f'[0, {VOID}), got {ids.min()}..{ids.max()}')
        save_palette_png(
            osp.join(self.out_dir, 'Annotations', _video_name(frame),
                     _stem(frame) + '.png'), ids)


WRITERS = {
    'kitti_step': KITTISTEPWriter,
    'vipseg': VIPSegWriter,
    'youtube_vis': YouTubeVISWriter,
    'vspw': VSPWWriter,
    'youtube_vos': YouTubeVOSWriter,
}


def build_writer(fmt: str, out_dir: str) -> SubmissionWriter:
    """The writer of a submission format.

    Args:
        fmt (str): One of :data:`WRITERS`.
        out_dir (str): Output directory (created).

    Raises:
        ValueError: Unknown format.
    """
    if fmt not in WRITERS:
        raise ValueError(f'unknown submission format {fmt!r}; use one of '
                         f'{sorted(WRITERS)}')
    return WRITERS[fmt](out_dir)


def format_of(dataset_type: Optional[str], fmt: Optional[str] = None) -> str:
    """``fmt``, or the format of the dataset type when ``fmt`` is None.

    Raises:
        ValueError: Unknown format, or none given for an unknown dataset.
    """
    if fmt is None:
        fmt = DATASET_FORMATS.get(str(dataset_type).split('.')[-1])
        if fmt is None:
            raise ValueError(
                f'no submission format known for dataset {dataset_type}; '
                f'pass --format, one of {sorted(WRITERS)}')
    if fmt not in WRITERS:
        raise ValueError(f'unknown submission format {fmt!r}; use one of '
                         f'{sorted(WRITERS)}')
    return fmt


@METRICS.register_module()
class YouTubeVOSSubmission(BaseMetric):
    """Writes YouTube-VOS submission PNGs (format only, no score).

    The ground truth of YouTube-VOS valid (and test) is not released, only
    the reference masks: the challenge server scores the zipped
    ``Annotations`` folder this writes (:class:`YouTubeVOSWriter`). Frames
    may arrive as whole videos or one at a time; each is written as it
    arrives, on every rank. :meth:`evaluate` returns ``{}``.

    Args:
        outfile_prefix (str): Directory of the submission files (created);
            the PNGs go to ``<outfile_prefix>/Annotations``.
        format_only (bool): Must be True (there is nothing to score).
            Accepted so that :func:`submission_evaluator` can set it.
        collect_device (str): Unused (nothing is gathered); kept for
            mmengine. Defaults to 'cpu'.
        prefix (str, optional): Unused (no metrics). Defaults to None.
    """
    default_prefix: Optional[str] = ''  # no metric to name, no warning

    def __init__(self,
                 outfile_prefix: str,
                 format_only: bool = True,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        if not format_only:
            raise ValueError(
                'YouTubeVOSSubmission only writes the submission files '
                '(format_only=True): YouTube-VOS valid is scored by the '
                'challenge server')
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.format_only = True
        self.outfile_prefix = outfile_prefix
        self._writer = build_writer('youtube_vos', outfile_prefix)
        self._num_frames = 0

    def process(self, data_batch: Any, data_samples: Sequence) -> None:
        """Write the PNG of every frame of every sample."""
        for sample in data_samples:
            frames = sample.get('video_data_samples') if isinstance(
                sample, dict) else getattr(sample, 'video_data_samples',
                                           None)
            for frame in (frames if frames is not None else [sample]):
                self._writer.add_frame(
                    frame if isinstance(frame, dict) else frame.to_dict())
                self._num_frames += 1

    def compute_metrics(self, results: list) -> Dict[str, float]:
        return {}

    def evaluate(self, size: int = 0) -> dict:
        """``{}``; logs where the files are (main process)."""
        if is_main_process():
            print_log(
                f'{type(self).__name__}: youtube_vos submission files '
                f'written to {osp.join(self.outfile_prefix, "Annotations")} '
                f'({self._num_frames} frames on this rank); zip the '
                f'Annotations folder for the server', logger='current')
        self._num_frames = 0
        return {}


def _metric_type(cfg: dict) -> str:
    return str(cfg.get('type', '')).split('.')[-1]


def submission_evaluator(evaluator: Union[dict, Sequence[dict]],
                         dataset_type: Optional[str],
                         out_dir: str,
                         fmt: Optional[str] = None,
                         format_only: bool = False) -> List[dict]:
    """An evaluator config whose metrics also write the submission files.

    The first metric of the format's type (:data:`FORMAT_METRICS`) gets
    ``outfile_prefix=out_dir`` and ``format_only`` (and
    ``submission_format`` for ``VPSMetric``); when the evaluator has none,
    a format-only one is added. With ``format_only`` the other metrics are
    dropped (there may be no ground truth to score).

    Args:
        evaluator (dict | Sequence[dict]): The ``test_evaluator`` config:
            one metric config or a list of them.
        dataset_type (str, optional): The test dataset's type, which gives
            the format when ``fmt`` is None.
        out_dir (str): Output directory.
        fmt (str, optional): Submission format (see :data:`WRITERS`).
        format_only (bool): Only write the files.

    Returns:
        List[dict]: The metric configs (copies).

    Raises:
        ValueError: Unknown format, or none given for an unknown dataset.
    """
    fmt = format_of(dataset_type, fmt)
    metrics = [evaluator] if isinstance(evaluator, dict) else list(evaluator)
    metrics = [copy.deepcopy(m) for m in metrics]
    writer_type = FORMAT_METRICS[fmt]
    writer = next((m for m in metrics if _metric_type(m) == writer_type),
                  None)
    if writer is None:
        writer = dict(type=writer_type, format_only=True)
        metrics.append(writer)
    options = dict(outfile_prefix=out_dir)
    if writer_type == 'VPSMetric':
        options['submission_format'] = fmt
    if format_only:
        options['format_only'] = True
        metrics = [writer]
    writer.update(options)
    return metrics
