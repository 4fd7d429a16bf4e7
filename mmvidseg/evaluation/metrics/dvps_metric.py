# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict, List, Optional, Sequence

import numpy as np

from mmvidseg.registry import METRICS
from ..functional.dvpq import (DVPQ_DEPTH_THRESHOLDS, DVPQVideo,
                               DVPQVideoStats, dvpq_null_reasons, dvpq_rules,
                               dvpq_summarize)
from .video_stream_metric import PanopticVideoMetric, frame_field, pixel_map


@METRICS.register_module()
class DVPSMetric(PanopticVideoMetric):
    """Depth-aware video panoptic segmentation: DVPQ (ViP-DeepLab).

    Reads, per frame, ``gt_panoptic_seg.sem_seg`` and
    ``pred_panoptic_seg.sem_seg`` ((1, H, W) ``class * label_divisor +
    track_id``, void ``ignore_index * label_divisor``), ``gt_depth.data``
    and ``pred_depth.data`` ((1, H, W) metres, 0 = no ground truth), and
    the metainfo ``video_id``, ``frame_id``, ``video_length``. Finished
    videos leave per-class (IoU sum, TP, FN, FP) per window size and depth
    threshold, so the result does not depend on the number of processes.

    ``rules`` picks the official evaluation (see
    :mod:`mmvidseg.evaluation.functional.dvpq`):

    * ``'cityscapes'``: ``cityscapes-dvps/eval_dvpq.py``, epsilon 0 (a
      class with no TP, e.g. absent from both the ground truth and the
      prediction, makes the mean NaN), windows 1, 2, 3, 4.
    * ``'semkitti'``: ``semkitti-dvps/eval_dvpq.py``, epsilon 1e-10 (such
      a class has PQ 0 and counts as 0 in the mean), windows 1, 5, 10, 20.

    Both: no crowd (a ground-truth thing with track 0 is an ordinary
    segment), void as the official void class, a predicted pixel whose
    relative depth error exceeds the threshold is dropped. The class list
    and the thing classes come from ``dataset_meta`` (the official ones
    for the full datasets: things 11..18 for Cityscapes-DVPS, 0..7 for
    SemKITTI-DVPS), and windows stay within each video (the SemKITTI
    script runs them over all files in name order, across sequences: the
    same on its one-sequence val split; ``eval_offline.py dvpq --layout
    semkitti`` follows the script). A window size longer than every video
    gives NaN. A predicted void pixel (which the official code cannot read)
    counts as "no prediction": it goes to the depth-drop class, like a
    pixel with a wrong depth.

    Args:
        num_classes (int, optional): Defaults to
            ``len(dataset_meta['classes'])``.
        thing_classes (Sequence[int], optional): Defaults to the indices of
            ``dataset_meta['thing_classes']``.
        rules (str): ``'cityscapes'`` or ``'semkitti'``. Defaults to
            ``'cityscapes'``.
        windows (Sequence[int], optional): Defaults to the rules' window
            sizes.
        depth_thresholds (Sequence[float]): Defaults to (0.5, 0.25, 0.1).
        epsilon (float, optional): See :func:`dvpq_summarize`. Defaults to
            the rules' (0 or 1e-10).
        label_divisor (int): Defaults to 1000.
        ignore_index (int): Void class. Defaults to 255.
        collect_device (str): See :class:`VideoStreamMetric`.
        prefix (str, optional): Metric name prefix.
    """
    default_prefix: Optional[str] = ''  # plain metric names, no warning

    def __init__(self,
                 num_classes: Optional[int] = None,
                 thing_classes: Optional[Sequence[int]] = None,
                 rules: str = 'cityscapes',
                 windows: Optional[Sequence[int]] = None,
                 depth_thresholds: Sequence[float] = DVPQ_DEPTH_THRESHOLDS,
                 epsilon: Optional[float] = None,
                 label_divisor: int = 1000,
                 ignore_index: int = 255,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(num_classes, thing_classes, label_divisor,
                         ignore_index, collect_device=collect_device,
                         prefix=prefix)
        official = dvpq_rules(rules)
        self.rules = rules
        self.windows = tuple(
            official['windows'] if windows is None else windows)
        self.depth_thresholds = tuple(float(t) for t in depth_thresholds)
        self.epsilon = official['epsilon'] if epsilon is None else epsilon

    def new_video(self, video_id, frame) -> DVPQVideo:
        return DVPQVideo(self.num_classes, self.windows,
                         self.depth_thresholds, self.ignore_index,
                         self.label_divisor, str(video_id))

    def add_frame(self, state: DVPQVideo, frame, where: str) -> None:
        gt, pred = self.panoptic_maps(frame, where)
        pred = pred.astype(np.int64)
        pred = np.where(pred // self.label_divisor == self.ignore_index,
                        self.num_classes * self.label_divisor, pred)
        depth_gt = pixel_map(frame_field(frame, 'gt_depth'))
        depth_pred = pixel_map(frame_field(frame, 'pred_depth'))
        state.add_frame(gt, pred, depth_gt, depth_pred, where)

    def finish_video(self, state: DVPQVideo) -> DVPQVideoStats:
        return state.finish()

    def compute_metrics(self, results: List) -> Dict[str, float]:
        """``DVPQ``, ``DVPQ_th``, ``DVPQ_st`` and ``DVPQ@k@lambda`` in
        percent (NaN where the official evaluation gives NaN)."""
        res = dvpq_summarize(results, self.num_classes, self.thing_classes,
                             self.windows, self.depth_thresholds,
                             self.epsilon)
        keys = ['DVPQ', 'DVPQ_th', 'DVPQ_st'] + [
            f'DVPQ@{k}@{t}' for k in self.windows
            for t in self.depth_thresholds
        ]
        return {k: float(res[k]) for k in keys}

    def null_reasons_of(self, metrics: Dict[str, float],
                        stats: List) -> Dict[str, str]:
        """Classes without a true positive, windows longer than every
        sequence."""
        return dvpq_null_reasons(stats, self.num_classes,
                                 self.thing_classes, self.windows,
                                 self.depth_thresholds, self.epsilon)
