# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.logging import MMLogger

from mmvidseg.registry import METRICS
from ..functional.vss import (VSSVideoState, vss_class_null_reason,
                              vss_null_reasons, vss_summarize)
from .video_stream_metric import VideoStreamMetric, frame_field, pixel_map


@METRICS.register_module()
class VSSMetric(VideoStreamMetric):
    """Video semantic segmentation metric: mIoU and mVC (VSPW's protocol).

    Reads, per frame of each ``TrackDataSample``, ``gt_sem_seg.data`` and
    ``pred_sem_seg.data`` ((1, H, W) class ids, ``ignore_index`` on void)
    and the metainfo ``video_id``, ``frame_id`` and ``video_length``. Frames
    may arrive one at a time (``TrackImgSampler``) or as whole videos; each
    video must arrive in order on one rank. Only small per-video statistics
    (a confusion matrix and window scores) are kept and gathered across
    ranks, so the result is the same with any number of processes.

    The numbers follow :mod:`mmvidseg.evaluation.functional.vss` (the
    official VSPW evaluation), applied to training ids: ground truth outside
    ``[0, num_classes)`` (``ignore_index``) is void, and so is whatever is
    predicted there. mIoU averages the IoU of the classes that have
    ground-truth pixels only (VSPW's ``Mean_Intersection_over_Union``): a
    class that is only predicted is not averaged (its pixels still count
    as FPs of the classes they belong to). The log lists each scored
    class's IoU and the classes left out.

    With ``outfile_prefix`` it also writes VSPW PNGs of the predictions
    (mask values: class + 1, void 0; see :mod:`.submission`).

    Args:
        windows (Sequence[int]): VC window sizes. Defaults to (8, 16).
        collect_device (str): See :class:`VideoStreamMetric`.
        prefix (str, optional): Metric name prefix. Defaults to None.
        format_only (bool): Only write the submission files, score
            nothing (no ground truth needed). Defaults to False.
        outfile_prefix (str, optional): Directory of the submission files.
            Defaults to None (no files).
        per_class (bool): Also return ``IoU.<class name>`` (percent) per
            class: NaN (``null`` with a reason in strict JSON) for a class
            without ground-truth pixels. Defaults to False.
    """
    default_prefix: Optional[str] = ''  # plain metric names, no warning
    submission_format = 'vspw'

    def __init__(self,
                 windows: Sequence[int] = (8, 16),
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 format_only: bool = False,
                 outfile_prefix: Optional[str] = None,
                 per_class: bool = False):
        super().__init__(
            collect_device=collect_device,
            prefix=prefix,
            format_only=format_only,
            outfile_prefix=outfile_prefix)
        self.windows = tuple(windows)
        self.per_class = per_class

    @property
    def num_classes(self) -> int:
        return len(self.dataset_meta['classes'])

    def new_video(self, video_id, frame) -> VSSVideoState:
        name = frame.metainfo.get('video_name', str(video_id)) if hasattr(
            frame, 'metainfo') else str(video_id)
        return VSSVideoState(self.num_classes, self.windows, name)

    def add_frame(self, state: VSSVideoState, frame, where: str) -> None:
        gt = pixel_map(frame_field(frame, 'gt_sem_seg'))
        pred = pixel_map(frame_field(frame, 'pred_sem_seg'))
        if gt is None or pred is None:
            raise ValueError(f'{where}: VSSMetric needs gt_sem_seg and '
                             'pred_sem_seg')
        state.add(gt.astype(np.int64), pred, where)

    def finish_video(self, state: VSSVideoState):
        return state.finish()

    def compute_metrics(self, results: List) -> Dict[str, float]:
        """Scores in percent: ``mIoU``, ``aAcc``, ``mVC<n>`` per window
        (and ``IoU.<class>`` with ``per_class``)."""
        scores = vss_summarize(results, self.num_classes, self.windows)
        classes = self.dataset_meta['classes']
        self._log_classes(classes, scores)
        out = {'mIoU': 100 * scores['mIoU'], 'aAcc': 100 * scores['aAcc']}
        for n in self.windows:
            out[f'mVC{n}'] = 100 * scores[f'mVC{n}']
        if self.per_class:
            for name, value in zip(classes, scores['IoU']):
                out[f'IoU.{name}'] = 100 * value
        return {k: round(float(v), 4) for k, v in out.items()}

    @staticmethod
    def _log_classes(classes: Sequence[str], scores: Dict) -> None:
        """Log the per-class IoU and the classes left out of the mean."""
        iou, confusion = scores['IoU'], scores['confusion']
        per_class = ', '.join(f'{c}: {100 * v:.2f}'
                              for c, v in zip(classes, iou)
                              if not np.isnan(v))
        logger = MMLogger.get_current_instance()
        logger.info(f'per-class IoU: {per_class}')
        only_pred = [
            c for k, c in enumerate(classes)
            if np.isnan(iou[k]) and confusion[:, k].sum() > 0
        ]
        if only_pred:
            logger.info('predicted but without ground truth (not in mIoU, '
                        'as in the official VSPW evaluation): ' +
                        ', '.join(only_pred))

    def null_reasons_of(self, metrics: Dict[str, float],
                        stats: List) -> Dict[str, str]:
        """Why mIoU / aAcc / mVC<n> / ``IoU.<class>`` are NaN."""
        reasons = vss_null_reasons(metrics, [s.num_frames for s in stats],
                                   self.windows)
        if self.per_class:
            confusion = sum((s.confusion for s in stats),
                            np.zeros((self.num_classes, ) * 2, np.int64))
            for k, name in enumerate(self.dataset_meta['classes']):
                key = f'IoU.{name}'
                if key in metrics and np.isnan(metrics[key]):
                    reasons[key] = vss_class_null_reason(confusion, k)
        return reasons
