# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict, List, Optional

import numpy as np

from mmvidseg.registry import METRICS
from ..functional.davis import (DAVISVideo, DAVISVideoStats,
                                davis_null_reasons, davis_summarize)
from .video_stream_metric import (VideoStreamMetric, frame_field, frame_meta,
                                  instance_field, pixel_map)


def _index_map(instances, ids_names, sem_seg, shape=None) -> np.ndarray:
    """Object-id map from instance masks (later ones on top) or sem_seg."""
    masks = instance_field(instances, 'masks')
    if masks is not None:
        ids = instance_field(instances, *ids_names)
        if ids is None:
            raise ValueError('instances need object ids')
        if masks.ndim != 3:
            if shape is None:
                raise ValueError(f'instance masks of shape {masks.shape} '
                                 f'and no frame shape')
            masks = np.zeros((0, ) + tuple(shape), bool)
        out = np.zeros(masks.shape[1:], np.int64)
        for m, i in zip(masks.astype(bool), ids.tolist()):
            out[m] = i
        return out
    arr = pixel_map(sem_seg)
    if arr is None:
        raise ValueError('neither instance masks nor an index map')
    return arr.astype(np.int64)


@METRICS.register_module()
class DAVISMetric(VideoStreamMetric):
    """Semi-supervised VOS J&F, as ``davis2017-evaluation``.

    Reads, per frame, the ground-truth object ids from ``gt_instances``
    (``masks`` (K, H, W) and ``instances_ids`` (K,), ids from 1) or, when
    there are no instances, from ``gt_sem_seg.data`` (an index map, 0
    background, 255 void); the prediction from ``pred_track_instances``
    (``masks`` and ``instances_id``) or ``pred_sem_seg.data``; and the
    metainfo ``video_id``, ``frame_id``, ``video_length``. The number of
    objects is the largest id of the first frame; the first and last frames
    are not scored. A finished video leaves 2 x 3 numbers per object.

    Args:
        bound_th (float): Boundary tolerance. Defaults to 0.008.
        collect_device (str): See :class:`VideoStreamMetric`.
        prefix (str, optional): Metric name prefix.
    """
    default_prefix: Optional[str] = ''  # plain metric names, no warning

    def __init__(self,
                 bound_th: float = 0.008,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.bound_th = bound_th

    def new_video(self, video_id, frame) -> DAVISVideo:
        return DAVISVideo(str(video_id), self.bound_th)

    def add_frame(self, state: DAVISVideo, frame, where: str) -> None:
        meta = frame_meta(frame)
        shape = meta.get('ori_shape', meta.get('img_shape'))
        try:
            gt = _index_map(frame_field(frame, 'gt_instances'),
                            ('instances_ids', 'instances_id'),
                            frame_field(frame, 'gt_sem_seg'),
                            shape[:2] if shape is not None else None)
            pred = _index_map(frame_field(frame, 'pred_track_instances'),
                              ('instances_id', 'instances_ids'),
                              frame_field(frame, 'pred_sem_seg'), gt.shape)
        except ValueError as e:
            raise ValueError(f'{where}: {e}') from None
        state.add_frame(gt, pred, where)

    def finish_video(self, state: DAVISVideo) -> DAVISVideoStats:
        return state.finish()

    def compute_metrics(self, results: List) -> Dict[str, float]:
        """``J&F``, ``J-Mean``, ``J-Recall``, ``J-Decay``, ``F-Mean``,
        ``F-Recall``, ``F-Decay`` (fractions, as the official CSV)."""
        return davis_summarize(results)

    def null_reasons_of(self, metrics: Dict[str, float],
                        stats: List) -> Dict[str, str]:
        return davis_null_reasons(metrics, stats)
