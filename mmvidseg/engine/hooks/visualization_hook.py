# Copyright (c) OpenMMLab. All rights reserved.
import os.path as osp
import warnings
from typing import Iterator, Optional, Sequence

import mmcv
import numpy as np
from mmengine.fileio import get
from mmengine.hooks import Hook
from mmengine.visualization import Visualizer

from mmvidseg.registry import HOOKS


def frame_samples(outputs: Sequence) -> Iterator:
    """The per-frame samples of a batch of ``TrackDataSample`` (or of
    per-frame samples, passed through)."""
    for sample in outputs:
        if 'video_data_samples' in sample:
            yield from sample.video_data_samples
        else:
            yield sample


def frame_file_name(meta: dict) -> str:
    """``<video>/<frame>.jpg`` of a frame's metainfo.

    The video is its ``video_name`` (else ``video_<video_id>``), the frame
    the stem of its ``img_path`` (else its ``frame_id``, 6 digits).
    """
    video = meta.get('video_name')
    if video is None:
        video = f'video_{meta.get("video_id", 0)}'
    path = meta.get('img_path')
    if path:
        frame = osp.splitext(osp.basename(path))[0]
    else:
        frame = f'{int(meta.get("frame_id", 0)):06d}'
    return osp.join(str(video), frame + '.jpg')


@HOOKS.register_module()
class VideoVisualizationHook(Hook):
    """Draw the frames of validation and test videos with the runner's
    visualizer (a :class:`~mmvidseg.visualization.VideoLocalVisualizer`).

    Every frame of every ``TrackDataSample`` output is drawn: ground truth
    (``draw_gt``) and predictions side by side, on the frame read from its
    ``img_path``.

    * validation: every ``interval``-th frame goes to the visualizer's
      backends (``add_image``, step = the training iteration);
    * test: every ``interval``-th frame is written to
      ``test_out_dir/<video>/<frame>.jpg`` (a relative ``test_out_dir`` is
      under ``<work_dir>/<timestamp>/``, as in mmdet), else recorded by the
      backends; ``show`` also opens a window (and then the backends get
      nothing, as in mmdet).

    Args:
        draw (bool): Draw at all. Defaults to False (``tools/test.py
            --show`` / ``--show-dir`` switch it on).
        interval (int): Draw every ``interval``-th frame. Defaults to 1.
        score_thr (float): Score threshold of predicted instances.
            Defaults to 0.3.
        show (bool): Show each drawing in a window. Defaults to False.
        wait_time (float): Seconds each drawing is shown (0: until a key).
            Defaults to 0.
        draw_gt (bool): Draw the ground truth too. Defaults to True.
        test_out_dir (str, optional): Where test drawings are written.
            Defaults to None.
        backend_args (dict, optional): mmengine file backend arguments to
            read the frames.
    """

    def __init__(self,
                 draw: bool = False,
                 interval: int = 1,
                 score_thr: float = 0.3,
                 show: bool = False,
                 wait_time: float = 0.,
                 draw_gt: bool = True,
                 test_out_dir: Optional[str] = None,
                 backend_args: Optional[dict] = None) -> None:
        if interval < 1:
            raise ValueError(f'interval must be >= 1, got {interval}')
        self._visualizer: Visualizer = Visualizer.get_current_instance()
        if not hasattr(self._visualizer, 'draw_frame'):
            warnings.warn(
                f'VideoVisualizationHook needs a VideoLocalVisualizer; the '
                f'runner has a {type(self._visualizer).__name__}: set '
                "visualizer=dict(type='VideoLocalVisualizer', ...)")
        self.draw = draw
        self.interval = interval
        self.score_thr = score_thr
        self.show = show
        if show:  # as mmdet: shown, not stored
            self._visualizer._vis_backends = {}
        self.wait_time = wait_time
        self.draw_gt = draw_gt
        self.test_out_dir = test_out_dir
        self.backend_args = backend_args
        self._out_dir: Optional[str] = None
        self._count = 0

    def _image(self, meta: dict) -> Optional[np.ndarray]:
        """The frame as RGB (H, W, 3), or None without ``img_path``."""
        path = meta.get('img_path')
        if not path:
            return None
        data = get(path, backend_args=self.backend_args)
        return mmcv.imfrombytes(data, channel_order='rgb')

    def _draw(self, frame, name: str, step: int,
              out_file: Optional[str] = None) -> None:
        image = self._image(frame.metainfo)
        if image is None:
            warnings.warn(f'{name}: no img_path in the frame metainfo, not '
                          'drawn')
            return
        self._visualizer.add_datasample(
            name,
            image,
            data_sample=frame,
            draw_gt=self.draw_gt,
            show=self.show,
            wait_time=self.wait_time,
            out_file=out_file,
            pred_score_thr=self.score_thr,
            step=step)

    def before_val(self, runner) -> None:
        self._count = 0

    def after_val_iter(self, runner, batch_idx: int, data_batch: dict,
                       outputs: Sequence) -> None:
        """Record every ``interval``-th validation frame."""
        if not self.draw:
            return
        for frame in frame_samples(outputs):
            self._count += 1
            if (self._count - 1) % self.interval == 0:
                self._draw(frame, 'val_' + frame_file_name(frame.metainfo),
                           runner.iter)

    def before_test(self, runner) -> None:
        self._count = 0
        self._out_dir = None
        if self.test_out_dir is not None:
            self._out_dir = self.test_out_dir if osp.isabs(
                self.test_out_dir) else osp.join(runner.work_dir,
                                                 runner.timestamp,
                                                 self.test_out_dir)

    def after_test_iter(self, runner, batch_idx: int, data_batch: dict,
                        outputs: Sequence) -> None:
        """Write (or record, or show) every ``interval``-th test frame."""
        if not self.draw:
            return
        for frame in frame_samples(outputs):
            self._count += 1
            if (self._count - 1) % self.interval:
                continue
            name = frame_file_name(frame.metainfo)
            out_file = None if self._out_dir is None else osp.join(
                self._out_dir, name)
            self._draw(frame, name, self._count, out_file)
