# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from mmvidseg.registry import METRICS
from .video_stream_metric import frame_field, frame_meta, pixel_map

#: Keys reported by :class:`DepthMetric`, in order.
DEPTH_ERROR_KEYS = ('abs_rel', 'sq_rel', 'rmse', 'rmse_log', 'silog', 'd1',
                    'd2', 'd3')


def depth_errors(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Standard monocular depth errors of one frame's valid pixels.

    Args:
        pred (np.ndarray): (P,) predicted depths in metres (> 0).
        gt (np.ndarray): (P,) ground-truth depths in metres (> 0).

    Returns:
        np.ndarray: The :data:`DEPTH_ERROR_KEYS`: mean ``|p - g| / g``,
        mean ``(p - g)**2 / g``, RMSE, RMSE of the logs, SILog
        (``100 * sqrt(mean(e**2) - mean(e)**2)``, ``e = log p - log g``,
        the KITTI benchmark's) and the fractions with ``max(p / g, g / p)``
        below 1.25, 1.25**2, 1.25**3.
    """
    pred = pred.astype(np.float64)
    gt = gt.astype(np.float64)
    ratio = np.maximum(pred / gt, gt / pred)
    log_diff = np.log(pred) - np.log(gt)
    silog = np.sqrt(max(np.mean(log_diff**2) - np.mean(log_diff)**2, 0.))
    return np.array([
        np.mean(np.abs(pred - gt) / gt),
        np.mean((pred - gt)**2 / gt),
        np.sqrt(np.mean((pred - gt)**2)),
        np.sqrt(np.mean(log_diff**2)), 100 * silog,
        np.mean(ratio < 1.25),
        np.mean(ratio < 1.25**2),
        np.mean(ratio < 1.25**3)
    ])


@METRICS.register_module()
class DepthMetric(BaseMetric):
    """Monocular depth errors of every frame (``compute_errors`` style).

    Each frame (every frame of a ``TrackDataSample``'s
    ``video_data_samples``, or a plain sample) needs ``gt_depth.data`` and
    ``pred_depth.data``, (1, H, W) metres. Per frame, the errors of
    :func:`depth_errors` over the pixels with ``min_depth < gt <
    max_depth`` (predictions clipped to ``[min_depth, max_depth]``); the
    reported numbers are their means over the frames with a valid pixel.

    Args:
        min_depth (float): Defaults to 1e-3.
        max_depth (float): Defaults to 80.
        collect_device (str): ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): Metric name prefix. Defaults to none
            (``abs_rel``, ...).
    """
    default_prefix: Optional[str] = ''

    def __init__(self,
                 min_depth: float = 1e-3,
                 max_depth: float = 80.0,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if not 0 < min_depth < max_depth:
            raise ValueError('DepthMetric needs 0 < min_depth < max_depth, '
                             f'got {min_depth}, {max_depth}')
        self.min_depth = min_depth
        self.max_depth = max_depth

    def process(self, data_batch, data_samples: Sequence) -> None:
        """Errors of every frame of the samples: one result per sample
        (a (F, 8) array of its frames with valid depth), since
        :meth:`evaluate` keeps only as many results as the dataset has
        samples (``collect_results(results, size)``); one result per frame
        would drop every frame beyond that count of a video dataset."""
        for sample in data_samples:
            frames = sample.get('video_data_samples') if isinstance(
                sample, dict) else getattr(sample, 'video_data_samples',
                                           None)
            errors = [self._frame_errors(f) for f in frames or [sample]]
            errors = [e for e in errors if e is not None]
            self.results.append(
                np.stack(errors) if errors else np.zeros(
                    (0, len(DEPTH_ERROR_KEYS))))

    def _frame_errors(self, frame) -> Optional[np.ndarray]:
        gt = pixel_map(frame_field(frame, 'gt_depth'))
        pred = pixel_map(frame_field(frame, 'pred_depth'))
        name = frame_meta(frame).get('img_path', 'a frame')
        if gt is None or pred is None:
            raise ValueError(f'DepthMetric: {name} needs gt_depth and '
                             'pred_depth')
        if gt.shape != pred.shape:
            raise ValueError(f'DepthMetric: {name} has gt_depth {gt.shape} '
                             f'but pred_depth {pred.shape}')
        valid = (gt > self.min_depth) & (gt < self.max_depth)
        if not valid.any():
            return None
        pred = np.clip(pred[valid], self.min_depth, self.max_depth)
        return depth_errors(pred, gt[valid])

    def compute_metrics(self, results: List) -> Dict[str, float]:
        """Means over the frames with valid depth (NaN without any)."""
        scored = np.concatenate(
            [np.reshape(r, (-1, len(DEPTH_ERROR_KEYS))) for r in results] or
            [np.zeros((0, len(DEPTH_ERROR_KEYS)))])
        if not len(scored):
            return {k: float('nan') for k in DEPTH_ERROR_KEYS}
        mean = scored.mean(axis=0)
        return {k: float(v) for k, v in zip(DEPTH_ERROR_KEYS, mean)}
