# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.logging import MMLogger

from mmvidseg.registry import METRICS
from ..functional.vss import VSSVideoState, vss_null_reasons, vss_summarize
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
    ``[0, num_classes)`` (``ignore_index``) is void.

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
    """
    default_prefix: Optional[str] = None
    submission_format = 'vspw'

    def __init__(self,
                 windows: Sequence[int] = (8, 16),
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 format_only: bool = False,
                 outfile_prefix: Optional[str] = None):
        super().__init__(
            collect_device=collect_device,
            prefix=prefix,
            format_only=format_only,
            outfile_prefix=outfile_prefix)
        self.windows = tuple(windows)

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
        """Scores in percent: ``mIoU``, ``aAcc``, ``mVC<n>`` per window."""
        scores = vss_summarize(results, self.num_classes, self.windows)
        classes = self.dataset_meta['classes']
        per_class = ', '.join(
            f'{c}: {100 * v:.2f}' for c, v in zip(classes, scores['IoU'])
            if not np.isnan(v))
        MMLogger.get_current_instance().info(f'per-class IoU: {per_class}')
        out = {'mIoU': 100 * scores['mIoU'], 'aAcc': 100 * scores['aAcc']}
        for n in self.windows:
            out[f'mVC{n}'] = 100 * scores[f'mVC{n}']
        return {k: round(float(v), 4) for k, v in out.items()}

    def null_reasons_of(self, metrics: Dict[str, float],
                        stats: List) -> Dict[str, str]:
        return vss_null_reasons(metrics, [s.num_frames for s in stats],
                                self.windows)
