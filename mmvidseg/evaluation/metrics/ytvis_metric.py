# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict, List, Optional

import numpy as np
from pycocotools import mask as mask_utils

from mmvidseg.registry import METRICS
from ..functional.ytvis import YTVISVideo, YTVISVideoStats, ytvis_summarize
from .video_stream_metric import (VideoStreamMetric, frame_field,
                                  instance_field, num_classes_of)


def _encode(masks: np.ndarray) -> List[dict]:
    """(K, H, W) binary masks -> K compressed RLEs."""
    if masks is None or len(masks) == 0:
        return []
    masks = np.asfortranarray(masks.astype(np.uint8).transpose(1, 2, 0))
    return mask_utils.encode(masks)


class _TrackState:
    """A video's streaming IoU state plus per-track label/score votes."""

    def __init__(self, video_id):
        self.video = YTVISVideo(video_id)
        self.labels: Dict = {}
        self.scores: Dict = {}
        self.num_frames = 0


@METRICS.register_module()
class YouTubeVISVideoMetric(VideoStreamMetric):
    """Video instance segmentation AP, as YouTube-VIS's ``ytvoseval``.

    Reads, per frame, ``pred_track_instances`` (``masks`` (K, H, W),
    ``scores`` (K,), ``labels`` (K,), ``instances_id`` (K,)) and
    ``gt_instances`` (``masks``, ``labels``, ``instances_ids``, and
    ``ignore_flags`` if present, used as ``iscrowd``), plus the metainfo
    ``video_id``, ``frame_id``, ``video_length``. A predicted track's
    category is the majority of its per-frame labels and its score their
    mean (mmdet's ``YouTubeVISMetric`` formatting). Each video is reduced on
    the fly to per-track areas and summed intersections (masks are
    RLE-encoded per frame, never stored), and leaves a (D, G) IoU matrix;
    the AP is the same with any number of processes.

    With ``outfile_prefix`` it also writes the YouTube-VIS ``results.json``
    of the predictions (see :mod:`.submission`).

    Args:
        num_classes (int, optional): Defaults to
            ``len(dataset_meta['classes'])``.
        collect_device (str): See :class:`VideoStreamMetric`.
        prefix (str, optional): Metric name prefix.
        format_only (bool): Only write the submission file, score nothing
            (no ground truth needed). Defaults to False.
        outfile_prefix (str, optional): Directory of the submission file.
            Defaults to None (no file).
    """
    default_prefix: Optional[str] = ''  # plain metric names, no warning
    submission_format = 'youtube_vis'

    def __init__(self,
                 num_classes: Optional[int] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 format_only: bool = False,
                 outfile_prefix: Optional[str] = None) -> None:
        super().__init__(
            collect_device=collect_device,
            prefix=prefix,
            format_only=format_only,
            outfile_prefix=outfile_prefix)
        self._num_classes = num_classes

    @property
    def num_classes(self) -> int:
        return num_classes_of(self._num_classes, self.dataset_meta)

    def new_video(self, video_id, frame) -> _TrackState:
        return _TrackState(video_id)

    def add_frame(self, state: _TrackState, frame, where: str) -> None:
        video = state.video
        gt = frame_field(frame, 'gt_instances')
        pred = frame_field(frame, 'pred_track_instances')
        if pred is None:
            raise ValueError(f'{where}: no pred_track_instances')
        g_masks = instance_field(gt, 'masks')
        g_ids = instance_field(gt, 'instances_ids', 'instances_id')
        g_labels = instance_field(gt, 'labels')
        g_crowd = instance_field(gt, 'ignore_flags')
        p_masks = instance_field(pred, 'masks')
        p_ids = instance_field(pred, 'instances_id', 'instances_ids')
        p_labels = instance_field(pred, 'labels')
        p_scores = instance_field(pred, 'scores')
        gt_rles, dt_rles = {}, {}
        if g_masks is not None and len(g_masks):
            if g_ids is None or g_labels is None:
                raise ValueError(f'{where}: gt_instances need labels and '
                                 f'instances_ids')
            for k, rle in zip(g_ids.tolist(), _encode(g_masks)):
                if k not in video.gt:
                    label = int(g_labels[list(g_ids).index(k)])
                    if label < 0 or label >= self.num_classes:
                        raise ValueError(f'{where}: ground-truth label '
                                         f'{label} is beyond the class list')
                    crowd = 0 if g_crowd is None else int(
                        g_crowd[list(g_ids).index(k)])
                    video.add_gt_track(k, len(video.gt) + 1, label, crowd)
                gt_rles[k] = rle
        if p_masks is not None and len(p_masks):
            if p_ids is None or p_labels is None or p_scores is None:
                raise ValueError(f'{where}: pred_track_instances need '
                                 f'instances_id, labels and scores')
            for j, (k, rle) in enumerate(zip(p_ids.tolist(),
                                             _encode(p_masks))):
                label = int(p_labels[j])
                if label < 0 or label >= self.num_classes:
                    raise ValueError(f'{where}: predicted label {label} is '
                                     f'beyond the class list')
                if k not in video.dt:
                    video.add_dt_track(k, -1, 0.0)
                    state.labels[k], state.scores[k] = [], []
                score = float(p_scores[j])
                if not np.isfinite(score):
                    raise ValueError(f'{where}: track {k} has the predicted '
                                     f'score {score}; scores must be finite')
                state.labels[k].append(label)
                state.scores[k].append(score)
                dt_rles[k] = rle
        video.add_frame(gt_rles, dt_rles, where)
        state.num_frames += 1

    def finish_video(self, state: _TrackState) -> YTVISVideoStats:
        for k, track in state.video.dt.items():
            track['cat'] = int(np.bincount(state.labels[k]).argmax())
            track['score'] = float(np.array(state.scores[k]).mean())
        return state.video.finish()

    def compute_metrics(self, results: List) -> Dict[str, float]:
        """COCO-style video AP/AR (fractions): ``AP``, ``AP50``, ``AP75``,
        ``APs``, ``APm``, ``APl``, ``AR1``, ``AR10``."""
        res = ytvis_summarize(results, list(range(self.num_classes)))
        return {
            k: res[k]
            for k in ('AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'AR1',
                      'AR10')
        }
