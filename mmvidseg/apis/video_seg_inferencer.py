# Copyright (c) OpenMMLab. All rights reserved.
import itertools
import os.path as osp
from typing import Dict, Iterator, List, Optional

import numpy as np
import torch
from mmcv.transforms import Compose
from mmengine.utils import ProgressBar

from mmvidseg.registry import INFERENCERS
from .base import BaseVideoInferencer, array_pipeline, test_pipeline_of
from .video_io import FramesInput, FrameSource, FrameWriter


def _numpy(data) -> np.ndarray:
    return data.detach().cpu().numpy() if isinstance(
        data, torch.Tensor) else np.asarray(data)


def frame_prediction(sample) -> Dict[str, np.ndarray]:
    """The predictions of one frame sample as numpy arrays.

    Args:
        sample (DetDataSample): A frame with ``pred_*`` fields.

    Returns:
        dict: Those of these keys that the model predicts:

        - ``sem_seg``: (H, W) int64 class ids (255 void);
        - ``panoptic_seg``: (H, W) int64 ``class * 1000 + track``;
        - ``depth``: (H, W) float32 metres;
        - ``masks`` (K, H, W) bool, ``labels`` (K,) int64, ``scores`` (K,)
          float32, ``instance_ids`` (K,) int64 track ids, ``bboxes`` (K, 4)
          xyxy: the (tracked) instances.
    """
    out = {}
    for field, attr, key in (('pred_sem_seg', 'data', 'sem_seg'),
                             ('pred_panoptic_seg', 'sem_seg', 'panoptic_seg'),
                             ('pred_depth', 'data', 'depth')):
        if field in sample:
            out[key] = _numpy(sample.get(field).get(attr))[0]
    inst = next((sample.get(n) for n in ('pred_track_instances',
                                         'pred_instances') if n in sample),
                None)
    if inst is not None:
        for name, key in (('masks', 'masks'), ('labels', 'labels'),
                          ('scores', 'scores'), ('instances_id',
                                                 'instance_ids'),
                          ('bboxes', 'bboxes')):
            if inst.get(name) is not None:
                value = inst.get(name)
                out[key] = np.asarray(value.masks if hasattr(
                    value, 'masks') else _numpy(value))
        if 'masks' in out:
            out['masks'] = out['masks'].astype(bool)
    return out


@INFERENCERS.register_module()
class VideoSegInferencer(BaseVideoInferencer):
    """Run a video segmentation model (VPS / VIS / VSS / DVPS) on a video.

    DVPS models (PolyphonicFormer) also return each frame's ``depth``
    (metres) and draw it as a colour-map panel next to the panoptic one.

    Built from a config and a checkpoint (optional: without it the model is
    randomly initialised, with a warning). The input is a video file, a
    folder of frames (sorted image files), a list of (H, W, 3) BGR arrays
    (or image paths) or a webcam index (see :class:`FrameSource`).

    Frames go through the config's **test** pipeline adapted to arrays
    (:func:`~mmvidseg.apis.base.array_pipeline`: image loading from the
    array, annotation loaders dropped, resizing and packing kept), each with
    ``frame_id`` (0, 1, ...), a ``video_id`` new to every call and
    ``ori_shape``, so online models (``start_frame`` / ``reset_state``)
    reset at the start of each input and keep their state across its
    frames.

    Memory: online models (VPS, VSS: Video K-Net, the frame baseline) get
    **one frame at a time**; :meth:`stream` holds only the current frame,
    so it runs on inputs of any length (a webcam). **Clip-level models**
    (Video K-Net VIS, ``task='vis'``) need the whole video at once: their
    frames are collected first and the video is run as one clip, so memory
    grows with its length. ``__call__`` returns every frame's predictions
    (and drawings with ``return_vis``), which grow with the length too.

    Example:
        >>> inferencer = VideoSegInferencer(
        ...     'configs/video_knet/video-knet_r18-w16_1xb2-6k_toy-'
        ...     'kitti-step.py', 'knet_toy.pth', device='cpu')
        >>> result = inferencer('video.mp4', out_dir='outputs/')
        >>> result['predictions'][0]['panoptic_seg'].shape  # (H, W)

    Args:
        model (str | Config): Config file or config.
        weights (str, optional): Checkpoint. Defaults to None.
        device (str, optional): Device. Defaults to None (CUDA if any).
        show_progress (bool): Progress bar on inputs of known length.
            Defaults to True.
        clip_level (bool, optional): Run the whole video as one clip.
            Defaults to None: True for ``task='vis'`` models.
    """

    preprocess_kwargs: set = {'max_frames'}
    forward_kwargs: set = set()
    visualize_kwargs: set = {
        'return_vis', 'show', 'wait_time', 'draw_pred', 'pred_score_thr',
        'out_dir', 'out_format'
    }
    postprocess_kwargs: set = {'return_datasamples'}

    def __init__(self,
                 model,
                 weights: Optional[str] = None,
                 device: Optional[str] = None,
                 show_progress: bool = True,
                 clip_level: Optional[bool] = None) -> None:
        super().__init__(model, weights, device, show_progress)
        if clip_level is None:
            clip_level = getattr(self.model, 'task', None) == 'vis'
        self.clip_level = clip_level
        self._video_count = itertools.count()

    def check_model(self, model, cfg) -> None:
        if hasattr(model, 'synthesis'):
            raise ValueError(
                f'{type(model).__name__} synthesises frames: use '
                'FrameInterpolationInferencer (demo/interpolate_video.py)')

    def _init_pipeline(self, cfg) -> Compose:
        pipeline = array_pipeline(test_pipeline_of(cfg))
        if not any(t.get('type', '').endswith('PackVideoInputs')
                   for t in pipeline if isinstance(t.get('type'), str)):
            raise ValueError('the test pipeline does not end with '
                             'PackVideoInputs: not a video model config')
        return Compose(pipeline)

    # ------------------------------------------------------------ stages
    def _pack(self, frames: List[np.ndarray], first_id: int,
              video_id: int, name: str) -> dict:
        """One collated batch of ``frames`` (consecutive, BGR)."""
        ids = list(range(first_id, first_id + len(frames)))
        results = dict(
            img=list(frames),
            img_id=ids,
            frame_id=ids,
            video_id=[video_id] * len(frames),
            video_name=[name] * len(frames))
        return self.collate_fn([self.pipeline(results)])

    @torch.no_grad()
    def forward(self, inputs: dict, **kwargs) -> list:
        """Run the model on a collated batch; returns its frame samples."""
        out = self.model.test_step(inputs)
        return [f for track in out for f in track.video_data_samples]

    def preprocess(self, inputs, batch_size: int = 1,
                   max_frames: Optional[int] = None, **kwargs) -> Iterator:
        """Yield ``(batch, [(frame_name, bgr)])``: one frame per batch for
        online models, the whole video for clip-level ones.

        Args:
            inputs (FramesInput | FrameSource): The input (or its opened
                source, which is closed at the end).
            batch_size (int): Unused (frames are sequential).
            max_frames (int, optional): Stop after this many frames.
        """
        source = inputs if isinstance(inputs, FrameSource) else \
            FrameSource(inputs, max_frames)
        video_id = next(self._video_count)
        try:
            if self.clip_level:
                frames = list(source)
                yield self._pack([f for _, f in frames], 0, video_id,
                                 source.name), frames
                return
            for index, (name, frame) in enumerate(source):
                yield self._pack([frame], index, video_id,
                                 source.name), [(name, frame)]
        finally:
            source.close()

    def visualize(self,
                  inputs: List[np.ndarray],
                  preds: list,
                  return_vis: bool = False,
                  show: bool = False,
                  wait_time: float = 0.,
                  draw_pred: bool = True,
                  pred_score_thr: float = 0.3,
                  **kwargs) -> Optional[List[np.ndarray]]:
        """Drawings (RGB (H, W, 3) uint8) of frames ``inputs`` (BGR) and
        their samples ``preds``; None unless ``return_vis`` or ``show``."""
        if not (return_vis or show):
            return None
        drawn = []
        for frame, sample in zip(inputs, preds):
            image = self.visualizer.draw_frame(
                frame[..., ::-1], sample, draw_gt=False, draw_pred=draw_pred,
                pred_score_thr=pred_score_thr)
            if show:
                self.visualizer.show(
                    np.ascontiguousarray(image[..., ::-1]),
                    wait_time=wait_time, backend='cv2')
            drawn.append(image)
        return drawn

    def postprocess(self,
                    preds: list,
                    visualization: Optional[List[np.ndarray]] = None,
                    return_datasamples: bool = False,
                    **kwargs) -> dict:
        """``dict(predictions=[per-frame dict (:func:`frame_prediction`) or
        sample], visualization=[RGB drawing] or None)``."""
        if return_datasamples:
            predictions = [sample.cpu() for sample in preds]
        else:
            predictions = [frame_prediction(sample) for sample in preds]
        return dict(predictions=predictions, visualization=visualization)

    # --------------------------------------------------------- the API
    def stream(self,
               inputs: FramesInput,
               return_datasamples: bool = False,
               return_vis: bool = False,
               show: bool = False,
               wait_time: float = 0.,
               draw_pred: bool = True,
               pred_score_thr: float = 0.3,
               out_dir: Optional[str] = None,
               out_format: Optional[str] = None,
               max_frames: Optional[int] = None) -> Iterator[dict]:
        """Run the model frame by frame, yielding each frame's result.

        Args:
            inputs: Video file, frame folder, list of BGR arrays or paths,
                a webcam index, or an opened :class:`FrameSource` (closed
                at the end).
            return_datasamples (bool): Yield the ``DetDataSample`` instead
                of the numpy dict. Defaults to False.
            return_vis (bool): Yield the drawing. Defaults to False.
            show (bool): Show each drawing in an OpenCV window.
            wait_time (float): Seconds each drawing is shown.
            draw_pred (bool): Draw the predictions. Defaults to True.
            pred_score_thr (float): Score threshold of drawn instances.
            out_dir (str, optional): Write the drawings to
                ``out_dir/<name>.mp4`` or ``out_dir/<name>/<frame>.jpg``.
            out_format (str, optional): ``'video'`` or ``'frames'``.
                Defaults to a video for video and webcam inputs, frames for
                folders and lists.
            max_frames (int, optional): Stop after this many frames.

        Yields:
            dict: ``frame_id`` (int), ``frame_name`` (str), ``prediction``
            (see :func:`frame_prediction`) and ``visualization`` (RGB
            (H, W, 3) uint8 drawing, or None).
        """
        source = inputs if isinstance(inputs, FrameSource) else \
            FrameSource(inputs, max_frames)
        writer = self._writer(out_dir, out_format, source)
        total = source.total
        progress = ProgressBar(total) if self.show_progress and total and \
            total > 1 else None
        vis_kwargs = dict(return_vis=return_vis or writer is not None,
                          show=show, wait_time=wait_time,
                          draw_pred=draw_pred, pred_score_thr=pred_score_thr)
        index = 0
        try:
            for data, frames in self.preprocess(source):
                preds = self.forward(data)
                bgr = [f for _, f in frames]
                drawn = self.visualize(bgr, preds, **vis_kwargs)
                result = self.postprocess(preds, drawn, return_datasamples)
                for k, (name, _) in enumerate(frames):
                    if writer is not None:
                        writer.write(drawn[k][..., ::-1], name)
                    if progress is not None:
                        progress.update()
                    yield dict(
                        frame_id=index,
                        frame_name=name,
                        prediction=result['predictions'][k],
                        visualization=drawn[k] if return_vis else None)
                    index += 1
        finally:
            if writer is not None:
                writer.close()

    @staticmethod
    def _writer(out_dir: Optional[str], out_format: Optional[str],
                source: FrameSource) -> Optional[FrameWriter]:
        if out_dir is None:
            return None
        if out_format is None:
            out_format = 'video' if source.kind in ('video', 'webcam') \
                else 'frames'
        if out_format not in ('video', 'frames'):
            raise ValueError(f"out_format must be 'video' or 'frames', got "
                             f'{out_format!r}')
        path = osp.join(out_dir, source.name)
        return FrameWriter(path + '.mp4' if out_format == 'video' else path,
                           source.fps)

    def __call__(self, inputs: FramesInput, return_datasamples: bool = False,
                 batch_size: int = 1, **kwargs) -> dict:
        """Run the model on a whole input (see :meth:`stream` for the
        arguments).

        Returns:
            dict: ``predictions``: one entry per frame (a dict of numpy
            arrays, :func:`frame_prediction`, or a ``DetDataSample`` with
            ``return_datasamples``); ``visualization``: the RGB drawings
            with ``return_vis``, else None.
        """
        self._dispatch_kwargs(**kwargs)  # reject unknown arguments
        results = list(
            self.stream(inputs, return_datasamples=return_datasamples,
                        **kwargs))
        vis = [r['visualization'] for r in results] if kwargs.get(
            'return_vis') else None
        return dict(
            predictions=[r['prediction'] for r in results],
            visualization=vis)
