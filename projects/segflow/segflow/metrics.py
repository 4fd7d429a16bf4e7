# Copyright (c) OpenMMLab. All rights reserved.
"""Optical flow end-point error of the frames that have a ground truth."""
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from mmvidseg.evaluation.metrics.video_stream_metric import (frame_field,
                                                             frame_meta,
                                                             to_numpy)
from mmvidseg.registry import METRICS


def _flow_of(frame, name: str) -> Optional[np.ndarray]:
    """(2, H, W) flow of a frame's ``PixelData`` field (or its dict)."""
    field = frame_field(frame, name)
    if field is None:
        return None
    data = field.get('data') if isinstance(field, dict) else field.data
    return to_numpy(data).astype(np.float64)


@METRICS.register_module()
class FlowEPEMetric(BaseMetric):
    """Average end-point error (EPE) of predicted optical flow.

    Reads, per frame (whole videos or single frames), ``pred_flow`` and
    ``gt_flow`` (``PixelData`` (2, H, W), pixels) and scores the frames
    whose metainfo ``flow_valid`` is true (a video's last frame has no
    forward flow). ``EPE`` is the mean over all scored pixels;
    ``EPE-zero`` the same for a zero flow (the reference a model must
    beat).

    Args:
        collect_device (str): Device to gather results on. Defaults to
            ``'cpu'``.
        prefix (str, optional): Metric name prefix.
    """
    default_prefix: Optional[str] = ''

    def process(self, data_batch: Any, data_samples: Sequence) -> None:
        """Sums of EPEs, of zero-flow EPEs and the pixel count per sample.

        One result per sample (a whole video or a frame): mmengine keeps
        only as many results as the dataset has samples, so per-frame
        results of a video dataset would be cut.
        """
        for sample in data_samples:
            frames = sample.get('video_data_samples') if isinstance(
                sample, dict) else getattr(sample, 'video_data_samples',
                                           None)
            sums = dict(epe=0.0, zero=0.0, pixels=0)
            for frame in (frames if frames is not None else [sample]):
                for key, value in self._score_frame(frame).items():
                    sums[key] += value
            self.results.append(sums)

    def _score_frame(self, frame) -> Dict[str, float]:
        meta = frame_meta(frame)
        if not meta.get('flow_valid', False):
            return {}
        where = (f"video {meta.get('video_id')} frame "
                 f"{meta.get('frame_id')}")
        gt, pred = _flow_of(frame, 'gt_flow'), _flow_of(frame, 'pred_flow')
        if gt is None or pred is None:
            raise ValueError(
                f'{where}: FlowEPEMetric needs gt_flow (LoadOpticalFlow) and '
                f'pred_flow (a flow model), got '
                f'{"no gt_flow" if gt is None else "no pred_flow"}')
        h, w = gt.shape[-2:]
        if pred.ndim != 3 or pred.shape[0] != 2 or pred.shape[1] < h or \
                pred.shape[2] < w:
            raise ValueError(f'{where}: pred_flow {pred.shape} does not '
                             f'cover gt_flow {gt.shape}')
        diff = pred[:, :h, :w] - gt
        return dict(
            epe=float(np.sqrt((diff**2).sum(0)).sum()),
            zero=float(np.sqrt((gt**2).sum(0)).sum()),
            pixels=h * w)

    def compute_metrics(self, results: List) -> Dict[str, float]:
        """``EPE`` and ``EPE-zero`` (pixels)."""
        pixels = sum(r['pixels'] for r in results)
        if pixels == 0:
            raise ValueError('FlowEPEMetric scored no frame: no frame had '
                             'flow_valid=True')
        return {
            'EPE': sum(r['epe'] for r in results) / pixels,
            'EPE-zero': sum(r['zero'] for r in results) / pixels
        }
