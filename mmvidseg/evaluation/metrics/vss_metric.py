# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from mmvidseg.registry import METRICS
from ..functional.vss import VSSVideoState, vss_summarize


def _as_numpy(pixel_data) -> np.ndarray:
    data = pixel_data.data if hasattr(pixel_data, 'data') else pixel_data[
        'data']
    return data.squeeze(0).cpu().numpy()


@METRICS.register_module()
class VSSMetric(BaseMetric):
    """Video semantic segmentation metric: mIoU and mVC (VSPW's protocol).

    Reads, per frame of each ``TrackDataSample``, ``gt_sem_seg.data`` and
    ``pred_sem_seg.data`` ((1, H, W) class ids, ``ignore_index`` on void)
    and the metainfo ``video_id``, ``frame_id`` and ``ori_video_length``.
    Frames may arrive one at a time (``TrackImgSampler``) or as whole videos;
    each video must arrive in order on one rank, as mmdet's
    ``TrackImgSampler`` guarantees. Only small per-video statistics (a
    confusion matrix and window scores) are kept and collected across
    ranks, so the result is the same with any number of processes.

    The numbers follow :mod:`mmvidseg.evaluation.functional.vss` (the
    official VSPW evaluation), applied to training ids: ground truth equal
    to ``ignore_index`` is void.

    Args:
        windows (Sequence[int]): VC window sizes. Defaults to (8, 16).
        ignore_index (int): Void id. Defaults to 255.
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to 'cpu'.
        prefix (str, optional): Metric name prefix. Defaults to None.
    """
    default_prefix: Optional[str] = None

    def __init__(self,
                 windows: Sequence[int] = (8, 16),
                 ignore_index: int = 255,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.windows = tuple(windows)
        self.ignore_index = ignore_index
        self._videos: Dict[object, VSSVideoState] = {}

    @property
    def num_classes(self) -> int:
        return len(self.dataset_meta['classes'])

    def process(self, data_batch: dict, data_samples: Sequence) -> None:
        """Feed each predicted frame to its video's running statistics."""
        for clip in data_samples:
            frames = (clip['video_data_samples']
                      if isinstance(clip, dict) else clip.video_data_samples)
            for frame in frames:
                self._process_frame(frame)

    def _process_frame(self, frame) -> None:
        meta = frame.metainfo
        video = meta['video_id']
        length = meta.get('ori_video_length', meta.get('video_length'))
        state = self._videos.get(video)
        if state is None:
            name = meta.get('video_name', str(video))
            state = VSSVideoState(self.num_classes, self.windows, name)
            self._videos[video] = state
        if meta['frame_id'] != state.num_frames:
            raise ValueError(
                f'video {state.name}: got frame {meta["frame_id"]} after '
                f'{state.num_frames} frames; frames must arrive in order')
        gt = _as_numpy(frame.gt_sem_seg)
        pred = _as_numpy(frame.pred_sem_seg)
        # void ground truth -> outside [0, C): not counted, as officially
        state.add(gt.astype(np.int64), pred)
        if state.num_frames == length:
            self.results.append(state.finish())
            del self._videos[video]

    def compute_metrics(self, results: List) -> Dict[str, float]:
        """Scores in percent: ``mIoU``, ``aAcc``, ``mVC8``, ``mVC16``."""
        if self._videos:
            names = ', '.join(s.name for s in self._videos.values())
            raise ValueError(f'videos {names} ended before their last frame')
        scores = vss_summarize(results, self.num_classes, self.windows)
        logger = MMLogger.get_current_instance()
        classes = self.dataset_meta['classes']
        per_class = ', '.join(
            f'{c}: {100 * v:.2f}' for c, v in zip(classes, scores['IoU'])
            if not np.isnan(v))
        logger.info(f'per-class IoU: {per_class}')
        out = {'mIoU': 100 * scores['mIoU'], 'aAcc': 100 * scores['aAcc']}
        for n in self.windows:
            out[f'mVC{n}'] = 100 * scores[f'mVC{n}']
        return {k: round(float(v), 4) for k, v in out.items()}
