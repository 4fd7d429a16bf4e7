# Copyright (c) OpenMMLab. All rights reserved.
from typing import Any, Sequence

from mmengine.evaluator import DumpResults
from mmengine.evaluator.metric import _to_cpu

from mmvidseg.registry import METRICS


def _frames(pred) -> list:
    """The frame samples of a dumped prediction (a ``TrackDataSample`` as
    the evaluator's dict), or []."""
    if isinstance(pred, dict):
        return pred.get('video_data_samples') or []
    return []


@METRICS.register_module()
class DumpVideoResults(DumpResults):
    """mmengine's ``DumpResults`` that keeps every frame of every video.

    The evaluator cuts the results to ``len(dataset)``, the number of
    *videos*. With a frame-level test sampler (mmdet's ``TrackImgSampler``)
    every iteration predicts one frame, so ``DumpResults`` would keep only
    the first few frames. Here the frames of one video (same ``video_id``,
    ``frame_id`` > 0) are appended to that video's entry, so the pickle
    holds one entry per video (``video_data_samples``: its frames in
    order) whichever sampler ran.

    Args:
        out_file_path (str): A ``.pkl`` / ``.pickle`` file.
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to 'cpu'.
        collect_dir (str, optional): Directory of the CPU collection.
    """
    # it returns no metric to name: no prefix, and no warning about it
    default_prefix = ''

    def process(self, data_batch: Any, predictions: Sequence[dict]) -> None:
        for pred in _to_cpu(list(predictions)):
            frames = _frames(pred)
            last = _frames(self.results[-1]) if self.results else []
            if frames and last:
                first, prev = frames[0].metainfo, last[-1].metainfo
                if first.get('frame_id', 0) != 0 and \
                        first.get('video_id') == prev.get('video_id'):
                    last.extend(frames)
                    continue
            self.results.append(pred)
