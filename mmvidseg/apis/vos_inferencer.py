# Copyright (c) OpenMMLab. All rights reserved.
import copy
import itertools
import os
import os.path as osp
import warnings
from typing import Dict, List, Optional, Sequence, Union

import cv2
import numpy as np
import torch
from mmcv.transforms import Compose
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.structures import InstanceData, PixelData
from mmengine.utils import ProgressBar
from PIL import Image

from mmvidseg.evaluation.metrics.submission import save_palette_png
from mmvidseg.registry import INFERENCERS
from .base import BaseVideoInferencer, array_pipeline, test_pipeline_of
from .video_io import FramesInput, FrameSource
from .video_seg_inferencer import VideoSegInferencer

MaskInput = Union[str, np.ndarray]
FlowInput = Union[None, str, Sequence[np.ndarray], np.ndarray]


def read_first_mask(mask: MaskInput, shape: Sequence[int]) -> np.ndarray:
    """The object ids of a first-frame mask, checked against the frames.

    Args:
        mask (str | np.ndarray): A palette ('P') or greyscale ('L') PNG
            whose pixel values are object ids (0 background, 255 void), as
            DAVIS annotations; or an (H, W) integer array of them.
        shape (tuple): (H, W) of the frames.

    Returns:
        np.ndarray: (H, W) int64 object ids.

    Raises:
        FileNotFoundError: The PNG does not exist.
        ValueError: Not an id image, wrong size, or no object.
    """
    what = 'the first-frame mask'
    if isinstance(mask, str):
        what = f'the first-frame mask {mask}'
        if not osp.isfile(mask):
            raise FileNotFoundError(f'{what} does not exist')
        image = Image.open(mask)
        if image.mode not in ('P', 'L'):
            raise ValueError(f'{what} is a {image.mode} image: expected a '
                             'palette or greyscale PNG of object ids')
        mask = np.array(image)
    ids = np.asarray(mask)
    if ids.ndim != 2 or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f'{what} must be an (H, W) integer map of object '
                         f'ids, got {ids.dtype} of shape {ids.shape}')
    if ids.shape != tuple(shape[:2]):
        raise ValueError(f'{what} is {ids.shape[1]}x{ids.shape[0]} but the '
                         f'frames are {shape[1]}x{shape[0]}')
    if not ((ids > 0) & (ids < 255)).any():
        raise ValueError(f'{what} has no object (all pixels 0 or 255)')
    return ids.astype(np.int64)


def farneback_flows(frames: Sequence[np.ndarray]) -> List[np.ndarray]:
    """Forward flows (frame t -> t + 1) of BGR frames with OpenCV's
    Farneback method: T - 1 float32 (H, W, 2) (dx, dy) maps, for videos
    without precomputed flow and without RAFT weights."""
    grey = [cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for f in frames]
    return [
        cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 3, 15, 3, 5, 1.2,
                                     0).astype(np.float32)
        for a, b in zip(grey[:-1], grey[1:])
    ]


def read_flows(flows: FlowInput,
               frames: Sequence[np.ndarray]) -> Optional[List[np.ndarray]]:
    """The T - 1 forward flows of ``frames`` (None when ``flows`` is None).

    Args:
        flows: ``'farneback'`` (estimated with OpenCV), a folder of
            Middlebury ``.flo`` files (sorted by name, the first T - 1
            used: DAVIS' ``Flow/480p/<seq>``), or T - 1 (H, W, 2) arrays.
        frames (Sequence[np.ndarray]): The T BGR frames.

    Raises:
        ValueError: Too few flows or a flow of another size.
    """
    if flows is None:
        return None
    if isinstance(flows, str) and flows == 'farneback':
        return farneback_flows(frames)
    if isinstance(flows, str):
        from mmvidseg.datasets.transforms.loading import read_flo
        if not osp.isdir(flows):
            raise FileNotFoundError(f'flow folder {flows} does not exist')
        names = sorted(n for n in os.listdir(flows) if n.endswith('.flo'))
        flows = [read_flo(osp.join(flows, n)) for n in names[:len(frames) - 1]]
    flows = [np.asarray(f, np.float32) for f in flows][:len(frames) - 1]
    if len(flows) < len(frames) - 1:
        raise ValueError(f'{len(frames)} frames need {len(frames) - 1} '
                         f'forward flows, got {len(flows)}')
    for t, flow in enumerate(flows):
        if flow.shape != frames[t].shape[:2] + (2, ):
            raise ValueError(f'flow {t} has shape {flow.shape}, expected '
                             f'{frames[t].shape[:2] + (2, )}')
    return flows


def draw_objects(visualizer, rgb: np.ndarray, ids) -> np.ndarray:
    """Draw an object-id map over a frame: each object's mask and box in
    the colour of its id (:func:`~mmvidseg.visualization.track_color`, the
    same in every frame), labelled ``<id> object``.

    Args:
        visualizer (VideoLocalVisualizer): The visualiser.
        rgb (np.ndarray): The frame, RGB (H, W, 3) uint8.
        ids (Tensor | np.ndarray): (H, W) object ids (0 background, 255
            void), fitted to the frame's size.

    Returns:
        np.ndarray: The RGB drawing.
    """
    ids = torch.as_tensor(np.asarray(ids))
    objects = [int(i) for i in ids.unique() if 0 < i < 255]
    inst = InstanceData(
        masks=torch.stack([ids == i
                           for i in objects]) if objects else torch.zeros(
                               (0, ) + tuple(ids.shape), dtype=torch.bool),
        labels=torch.zeros(len(objects), dtype=torch.long),
        instances_id=torch.tensor(objects, dtype=torch.long))
    return visualizer.draw_frame(
        rgb,
        DetDataSample(pred_instances=inst),
        draw_gt=False,
        pred_score_thr=0.0)


@INFERENCERS.register_module()
class VOSInferencer(BaseVideoInferencer):
    """Semi-supervised video object segmentation (VS-ReID) of a video from
    its first frame's mask.

    The input is a video file, a frame folder, a list of BGR arrays or a
    webcam index (read up to ``max_frames``), with ``first_mask``: the
    object ids of the first frame (a DAVIS-style palette / greyscale PNG,
    or an (H, W) array; 0 background). Each frame's prediction is
    ``sem_seg``: (H, W) int64 object ids (0 background).

    **Not streamed**: VS-ReID propagates masks over the whole video (and
    back in time when re-identifying lost objects), so the frames are read
    first and the video is run as one clip; memory grows with its length.

    **Flow**: the model's flow source decides. A config with
    :class:`RAFTFlowEstimator` estimates it; one with
    :class:`PrecomputedFlow` (the toy configs) needs ``flows`` on each call:
    a folder of ``.flo`` files, the arrays, or ``'farneback'`` (OpenCV's
    estimate: fine for trying a video, not the flow the model was trained
    on). ``flow_source=dict(type='RAFTFlowEstimator', checkpoint=...)``
    replaces the config's source. Re-identification from a
    ``proposal_file`` (boxes of the dataset's videos) cannot work on an
    arbitrary video and is switched off, with a warning.

    Outputs: the drawing of each frame (objects in colours fixed by object
    id), written by ``out_dir`` as ``<name>.mp4`` or ``<name>/<frame>.jpg``,
    and ``submission_dir``: DAVIS' submission layout,
    ``<submission_dir>/<name>/00000.png ...`` palette PNGs of object ids.

    Example:
        >>> inferencer = VOSInferencer(
        ...     'configs/vs_reid/vs-reid_r18-w16_1xb2-1k_toy-davis.py',
        ...     'vs_reid_toy.pth', device='cpu')
        >>> out = inferencer('video.mp4', 'first_mask.png',
        ...                  flows='farneback', out_dir='outputs/')
        >>> out['predictions'][3]['sem_seg'].shape  # (H, W)

    Args:
        model (str | Config): VS-ReID config (file).
        weights (str, optional): Checkpoint. Defaults to None (random
            weights, with a warning).
        device (str, optional): Device. Defaults to None (CUDA if any).
        show_progress (bool): Progress bar while reading frames. Defaults
            to True.
        flow_source (dict, optional): Replaces ``model.flow``. Defaults to
            None (the config's).
    """

    preprocess_kwargs: set = {'max_frames', 'flows'}
    forward_kwargs: set = set()
    visualize_kwargs: set = {
        'return_vis', 'show', 'wait_time', 'out_dir', 'out_format'
    }
    postprocess_kwargs: set = {'return_datasamples', 'submission_dir'}

    def __init__(self,
                 model,
                 weights: Optional[str] = None,
                 device: Optional[str] = None,
                 show_progress: bool = True,
                 flow_source: Optional[dict] = None) -> None:
        if flow_source is not None:
            cfg = Config.fromfile(model) if isinstance(model, str) else \
                copy.deepcopy(model)
            cfg.model.flow = flow_source
            model = cfg
        super().__init__(model, weights, device, show_progress)
        self._video_count = itertools.count()

    def check_model(self, model, cfg) -> None:
        if not hasattr(model, 'segment_video') or \
                not hasattr(model, 'flow_source'):
            raise ValueError(
                f'{type(model).__name__} is not a video object segmentation '
                'model (VSReID): use VideoSegInferencer / VideoDetInferencer')
        reid = getattr(model, 'reid', None)
        if reid is not None and getattr(reid, 'proposal_file', None) and \
                model.test_cfg.get('reid'):
            warnings.warn('re-identification reads boxes of the dataset\'s '
                          f'videos from {reid.proposal_file}: switched off '
                          'for arbitrary videos')
            model.test_cfg['reid'] = False

    @property
    def precomputed_flow(self) -> bool:
        """Whether the model reads its flow from the samples."""
        return type(self.model.flow_source).__name__ == 'PrecomputedFlow'

    def _init_pipeline(self, cfg) -> Compose:
        return Compose(array_pipeline(test_pipeline_of(cfg)))

    # ------------------------------------------------------------ stages
    def _read(self, inputs: FramesInput, max_frames: Optional[int]):
        """``(source name, fps, kind, [(frame_name, bgr)])`` of a whole
        input."""
        source = inputs if isinstance(inputs, FrameSource) else \
            FrameSource(inputs, max_frames)
        total = source.total
        bar = ProgressBar(total) if self.show_progress and total and \
            total > 1 else None
        frames = []
        try:
            for item in source:
                frames.append(item)
                if bar is not None:
                    bar.update()
        finally:
            source.close()
        return source, frames

    def preprocess(self, frames: List[np.ndarray], first_ids: np.ndarray,
                   flows: Optional[List[np.ndarray]], name: str) -> dict:
        """The collated clip of a whole video: the test pipeline's frames,
        the first mask (``gt_sem_seg``, ``ref_object_ids``) on frame 0 and
        the flows (``gt_flow``) on the others."""
        ids = list(range(len(frames)))
        results = dict(
            img=list(frames),
            img_id=ids,
            frame_id=ids,
            video_id=[next(self._video_count)] * len(frames),
            video_name=[name] * len(frames))
        data = self.collate_fn([self.pipeline(results)])
        samples = data['data_samples'][0].video_data_samples
        objects = sorted(int(i) for i in np.unique(first_ids) if 0 < i < 255)
        samples[0].gt_sem_seg = PixelData(
            data=torch.from_numpy(first_ids)[None])
        for t, sample in enumerate(samples):
            sample.set_metainfo(
                dict(
                    ref_object_ids=objects if t == 0 else [],
                    flow_valid=flows is not None and t < len(flows)))
            if flows is not None and t < len(flows):
                sample.gt_flow = PixelData(
                    data=torch.from_numpy(flows[t].transpose(2, 0, 1).copy()))
        return data

    @torch.no_grad()
    def forward(self, inputs: dict, **kwargs) -> list:
        """Run the model on the clip; returns its frame samples."""
        out = self.model.test_step(inputs)
        return list(out[0].video_data_samples)

    def visualize(self,
                  inputs: List[np.ndarray],
                  preds: list,
                  return_vis: bool = False,
                  show: bool = False,
                  wait_time: float = 0.,
                  **kwargs) -> Optional[List[np.ndarray]]:
        """RGB drawings of BGR frames ``inputs``: every object's mask and
        box in the colour of its id (the same in every frame)."""
        if not (return_vis or show):
            return None
        drawn = []
        for frame, sample in zip(inputs, preds):
            image = draw_objects(self.visualizer, frame[..., ::-1],
                                 sample.pred_sem_seg.data[0].cpu())
            if show:
                self.visualizer.show(
                    np.ascontiguousarray(image[..., ::-1]),
                    wait_time=wait_time,
                    backend='cv2')
            drawn.append(image)
        return drawn

    def postprocess(self,
                    preds: list,
                    visualization=None,
                    return_datasamples: bool = False,
                    submission_dir: Optional[str] = None,
                    name: str = 'video',
                    **kwargs) -> dict:
        """``dict(predictions=[dict(sem_seg=(H, W) int64 object ids) or
        sample], visualization)``; DAVIS palette PNGs into
        ``submission_dir/<name>/``."""
        maps = [
            s.pred_sem_seg.data[0].cpu().numpy().astype(np.int64)
            for s in preds
        ]
        if submission_dir is not None:
            for t, ids in enumerate(maps):
                save_palette_png(
                    osp.join(submission_dir, name, f'{t:05d}.png'), ids)
        predictions = [s.cpu() for s in preds] if return_datasamples \
            else [dict(sem_seg=m) for m in maps]
        return dict(predictions=predictions, visualization=visualization)

    # --------------------------------------------------------- the API
    def __call__(self,
                 inputs: FramesInput,
                 first_mask: MaskInput,
                 flows: FlowInput = None,
                 return_datasamples: bool = False,
                 return_vis: bool = False,
                 show: bool = False,
                 wait_time: float = 0.,
                 out_dir: Optional[str] = None,
                 out_format: Optional[str] = None,
                 submission_dir: Optional[str] = None,
                 max_frames: Optional[int] = None) -> Dict:
        """Segment the objects of ``first_mask`` through a video.

        Args:
            inputs: Video file, frame folder, list of BGR arrays or paths,
                a webcam index or an opened :class:`FrameSource`.
            first_mask (str | np.ndarray): The first frame's object ids
                (:func:`read_first_mask`).
            flows: Forward flows for a :class:`PrecomputedFlow` model
                (:func:`read_flows`: ``'farneback'``, a ``.flo`` folder or
                arrays). Defaults to None (the model estimates them).
            return_datasamples (bool): Return ``DetDataSample`` frames.
            return_vis (bool): Return the RGB drawings.
            show (bool): Show each drawing in an OpenCV window.
            wait_time (float): Seconds each drawing is shown.
            out_dir (str, optional): Write the drawings there (see
                :meth:`VideoSegInferencer.stream`).
            out_format (str, optional): ``'video'`` or ``'frames'``.
            submission_dir (str, optional): Write DAVIS palette PNGs.
            max_frames (int, optional): Read at most this many frames.

        Returns:
            dict: ``predictions`` (one per frame: ``dict(sem_seg=...)`` or
            a sample) and ``visualization`` (RGB drawings or None).

        Raises:
            ValueError: Flows missing for a precomputed-flow model, given
                to an estimating one, or of the wrong number or size.
        """
        if flows is None and self.precomputed_flow:
            raise ValueError(
                'the model reads precomputed flow (PrecomputedFlow): pass '
                "flows= (a folder of .flo files, arrays or 'farneback'), or "
                "build the inferencer with flow_source=dict(type="
                "'RAFTFlowEstimator', checkpoint=...)")
        if flows is not None and not self.precomputed_flow:
            kind = type(self.model.flow_source).__name__
            raise ValueError(f'the model estimates its flow ({kind}): '
                             'flows= is only for PrecomputedFlow models')
        source, named = self._read(inputs, max_frames)
        frames = [f for _, f in named]
        first_ids = read_first_mask(first_mask, frames[0].shape)
        data = self.preprocess(frames, first_ids, read_flows(flows, frames),
                               source.name)
        preds = self.forward(data)
        writer = VideoSegInferencer._writer(out_dir, out_format, source)
        drawn = self.visualize(frames, preds, return_vis or writer is not None,
                               show, wait_time)
        if writer is not None:
            for (frame_name, _), image in zip(named, drawn):
                writer.write(image[..., ::-1], frame_name)
            writer.close()
        return self.postprocess(preds, drawn if return_vis else None,
                                return_datasamples, submission_dir,
                                source.name)
