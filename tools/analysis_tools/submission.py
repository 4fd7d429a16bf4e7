# Copyright (c) OpenMMLab. All rights reserved.
"""Write predictions in the official submission formats.

Each writer is an mmengine ``BaseMetric`` that, instead of scoring,
writes what the benchmark's server or offline evaluator reads
(``tools/analysis_tools/eval_offline.py`` scores all of them):

==============  ===========================================================
``kitti_step``  ``<out>/<seq:04d>/<frame:06d>.png``: RGB PNG, R = semantic
                class, G * 256 + B = instance (track) id, the ground-truth
                encoding of KITTI-STEP (deeplab2's STEP format)
``vipseg``      ``<out>/pan_pred/<video>/<frame>.png``: RGB PNG of segment
                ids (id = R + 256 G + 256^2 B, 0 = void) and
                ``<out>/pred.json``: ``{"annotations": [{"video_id",
                "annotations": [{"file_name", "segments_info": [{"id",
                "category_id"}]}]}]}`` (VIPSeg's ``eval_vpq_vspw.py`` /
                ``eval_stq_vspw.py``)
``youtube_vis`` ``<out>/results.json``: a list of ``{"video_id", "score",
                "category_id", "segmentations": [RLE or null per frame]}``
                (zip it as ``results.json`` for the CodaLab server)
``vspw``        ``<out>/<video>/<frame>.png``: uint8 mask values as the
                ground truth stores them (training id + 1; void -> 0),
                which VSPW's ``evaluator_test.py`` compares as they are
==============  ===========================================================

``tools/test.py CONFIG CKPT --out-dir DIR [--format-only]`` picks the
writer from the dataset type (or ``--format``).
"""
import json
import os
import os.path as osp
import re
from collections import Counter, defaultdict
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from PIL import Image

#: dataset type -> format
DATASET_FORMATS = {
    'KITTISTEPDataset': 'kitti_step',
    'VIPSegDataset': 'vipseg',
    'YouTubeVISDataset': 'youtube_vis',
    'VSPWDataset': 'vspw',
}
LABEL_DIVISOR = 1000
VOID = 255


def _frames(data_samples: Sequence):
    """Per-frame dicts of a batch of (video or frame) data samples."""
    for sample in data_samples:
        frames = sample.get('video_data_samples') if isinstance(
            sample, dict) else getattr(sample, 'video_data_samples', None)
        for frame in (frames if frames is not None else [sample]):
            yield frame if isinstance(frame, dict) else frame.to_dict()


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


def _save_png(path: str, array: np.ndarray) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.fromarray(array).save(path)


class SubmissionWriter(BaseMetric):
    """Base of the writers: ``out_dir`` and no score.

    Args:
        out_dir (str): Output directory (created).
        collect_device (str): See ``BaseMetric``.
    """
    default_prefix = 'submission'

    def __init__(self, out_dir: str, collect_device: str = 'cpu'):
        super().__init__(collect_device=collect_device)
        self.out_dir = out_dir
        os.makedirs(out_dir, exist_ok=True)

    def compute_metrics(self, results: list) -> Dict:
        return {}


class KITTISTEPWriter(SubmissionWriter):
    """KITTI-STEP panoptic PNGs (one folder per sequence)."""

    def process(self, data_batch, data_samples: Sequence) -> None:
        for frame in _frames(data_samples):
            where = _where(frame)
            pan = _field(frame, 'pred_panoptic_seg', 'sem_seg', where)[0]
            pan = pan.astype(np.int64)
            sem = pan // LABEL_DIVISOR
            inst = np.where(sem == VOID, 0, pan % LABEL_DIVISOR)
            rgb = np.stack([sem, inst // 256, inst % 256],
                           -1).astype(np.uint8)
            name = str(frame.get('video_name', frame.get('video_id')))
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

    def process(self, data_batch, data_samples: Sequence) -> None:
        for frame in _frames(data_samples):
            where = _where(frame)
            sem = _field(frame, 'pred_sem_seg', 'data', where)[0]
            # void -> 0: the official evaluator indexes a confusion matrix
            # with the predicted values, 255 would crash it
            sem = np.where(sem == VOID, 0, sem.astype(np.int64) + 1)
            video = str(frame.get('video_name', frame.get('video_id')))
            _save_png(
                osp.join(self.out_dir, video, _stem(frame) + '.png'),
                sem.astype(np.uint8))


class VIPSegWriter(SubmissionWriter):
    """VIPSeg ``pan_pred`` PNGs and ``pred.json``.

    Segment id = panoptic id + 1 (``class * 1000 + track + 1``), so it is
    never 0 (void) and stays the same for a track across frames.
    """

    def process(self, data_batch, data_samples: Sequence) -> None:
        for frame in _frames(data_samples):
            where = _where(frame)
            pan = _field(frame, 'pred_panoptic_seg', 'sem_seg',
                         where)[0].astype(np.int64)
            ids = np.where(pan // LABEL_DIVISOR == VOID, 0, pan + 1)
            rgb = np.stack([ids % 256, ids // 256 % 256, ids // 65536],
                           -1).astype(np.uint8)
            video = str(frame.get('video_name', frame.get('video_id')))
            file_name = _stem(frame) + '.png'
            _save_png(
                osp.join(self.out_dir, 'pan_pred', video, file_name), rgb)
            segments = [
                dict(id=int(i), category_id=int((i - 1) // LABEL_DIVISOR))
                for i in np.unique(ids) if i != 0
            ]
            self.results.append((video, int(frame['frame_id']), file_name,
                                 segments))

    def compute_metrics(self, results: list) -> Dict:
        videos: Dict[str, list] = defaultdict(list)
        for video, frame_id, file_name, segments in results:
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
        with open(osp.join(self.out_dir, 'pred.json'), 'w') as f:
            json.dump(dict(annotations=annotations), f)
        return {}


class YouTubeVISWriter(SubmissionWriter):
    """YouTube-VIS ``results.json`` from per-frame track predictions.

    A track (``instances_id``) becomes one result: its category is the
    majority of its per-frame labels (category id = class index +
    ``category_offset``), its score the mean of its per-frame scores, and
    its segmentations one compressed RLE per frame of the video (null where
    the track is absent).

    Args:
        out_dir (str): Output directory.
        category_offset (int): Added to the class index to give the JSON
            category id (1 for YouTube-VIS / OVIS, whose ids start at 1).
    """

    def __init__(self, out_dir: str, category_offset: int = 1, **kwargs):
        super().__init__(out_dir, **kwargs)
        self.category_offset = category_offset

    def process(self, data_batch, data_samples: Sequence) -> None:
        from pycocotools import mask as mask_utils
        for frame in _frames(data_samples):
            where = _where(frame)
            inst = frame.get('pred_track_instances')
            if inst is None:
                raise ValueError(f'{where}: no pred_track_instances')
            masks = np.asarray(_field(frame, 'pred_track_instances',
                                      'masks', where)).astype(np.uint8)
            labels = _field(frame, 'pred_track_instances', 'labels', where)
            scores = _field(frame, 'pred_track_instances', 'scores', where)
            ids = _field(frame, 'pred_track_instances', 'instances_id',
                         where)
            length = frame.get('ori_video_length', frame.get('video_length'))
            rles = mask_utils.encode(
                np.asfortranarray(masks.transpose(1, 2, 0))) if len(
                    masks) else []
            tracks = []
            for rle, label, score, tid in zip(rles, labels, scores, ids):
                if rle is None or not mask_utils.area(rle):
                    continue
                rle['counts'] = rle['counts'].decode()
                tracks.append((int(tid), int(label), float(score), rle))
            self.results.append((frame['video_id'], int(frame['frame_id']),
                                 int(length), tracks))

    def compute_metrics(self, results: list) -> Dict:
        per_video: Dict = defaultdict(dict)
        lengths = {}
        for video_id, frame_id, length, tracks in results:
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
                        category_id=label + self.category_offset,
                        segmentations=[
                            track['segms'].get(t)
                            for t in range(lengths[video_id])
                        ]))
        with open(osp.join(self.out_dir, 'results.json'), 'w') as f:
            json.dump(out, f)
        return {}


WRITERS = {
    'kitti_step': KITTISTEPWriter,
    'vipseg': VIPSegWriter,
    'youtube_vis': YouTubeVISWriter,
    'vspw': VSPWWriter,
}


def build_writer(fmt: Optional[str], dataset_type: Optional[str],
                 out_dir: str) -> SubmissionWriter:
    """The writer of ``fmt``, or of the dataset type when ``fmt`` is None.

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
    return WRITERS[fmt](out_dir)


def formats() -> List[str]:
    """Names of the supported formats."""
    return sorted(WRITERS)
