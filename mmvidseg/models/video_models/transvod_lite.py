# Copyright (c) OpenMMLab. All rights reserved.
"""TransVOD Lite (Zhou et al., "TransVOD: End-to-End Video Object Detection
with Spatial-Temporal Transformers", TPAMI 2023, the real-time variant):
video object detection as sequence to sequence on mmdet's Deformable DETR.
"""
import copy
from typing import Dict, List, Optional, Sequence, Tuple

from mmdet.models.layers import (DeformableDetrTransformerDecoder,
                                 inverse_sigmoid)
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from torch import Tensor, nn

from mmvidseg.registry import MODELS
from ..layers.temporal_transformer import (TemporalQueryEncoderLayer,
                                           hard_query_mining)
from .transvod import FrameDetector


@MODELS.register_module()
class TransVODLite(FrameDetector):
    """TransVOD Lite: a clip in, one detection set per frame out.

    All ``T`` frames of a clip go through the single-frame Deformable DETR
    as one batch. Then ``len(query_topk)`` stages (sequential hard query
    mining), each batched over the clip:

    1. every frame keeps its ``query_topk[i]`` queries (and boxes) of the
       best class score (:func:`hard_query_mining`; official 80 / 50 / 30
       of 300), scored by the detector's head for stage 0, by the previous
       stage's head after;
    2. the kept queries of all ``T`` frames attend to each other
       (:class:`TemporalQueryEncoderLayer`, ``T * k`` queries per clip);
    3. each frame's queries go through a deformable decoder (mmdet's, 1
       layer) on the frame's own encoder memory, from the kept boxes, and
       the stage's branch of ``temporal_head`` gives class scores and boxes
       (relative to the kept boxes).

    There is no temporal encoder (TransVOD's TDTE): the frames' memories are
    not fused, which with the batched clip makes Lite fast. The last stage
    gives the detections; the earlier ones are auxiliary losses (``d{i}.``).
    Unless ``freeze_detector``, the single-frame head's losses on all frames
    are added, times ``frame_loss_weight`` (prefixed ``frame_``).

    Training clips are ``num_frames`` frames (``VideoFrameSample``); at test
    time a sample is a whole video (``DefaultSampler``, not the frame-level
    ``TrackImgSampler``), detected in consecutive clips of ``num_frames``
    frames (the last clip may be shorter).

    Args:
        detector (dict): ``mmdet.DeformableDETR`` (single stage, box
            refinement; any number of feature levels).
        temporal_decoder (dict): Config of mmdet's
            ``DeformableDetrTransformerDecoder`` (usually 1 layer), one per
            stage, on the detector's feature levels.
        temporal_head (dict): ``mmdet.DeformableDETRHead``; its
            ``num_pred_layer`` is set to the number of stages; train/test
            configs default to the detector's.
        num_frames (int): Frames per clip T. Defaults to 12.
        query_encoder (dict): Keyword arguments of
            :class:`TemporalQueryEncoderLayer`.
        query_topk (Sequence[int]): Queries kept per frame by each stage,
            decreasing. Defaults to (80, 50, 30).
        freeze_detector (bool): Keep the single-frame model fixed. Defaults
            to False.
        frame_loss_weight (float): Weight of the single-frame losses.
            Defaults to 1.0.
        init_from_detector (bool): See :class:`TransVOD`.
        data_preprocessor (dict, optional): See :class:`FrameDetector`.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 detector: ConfigType,
                 temporal_decoder: ConfigType,
                 temporal_head: ConfigType,
                 num_frames: int = 12,
                 query_encoder: ConfigType = dict(),
                 query_topk: Sequence[int] = (80, 50, 30),
                 freeze_detector: bool = False,
                 frame_loss_weight: float = 1.0,
                 init_from_detector: bool = False,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(detector, data_preprocessor, init_cfg)
        det = self.detector
        if not det.with_box_refine or det.as_two_stage:
            raise ValueError('TransVODLite: the detector must be a '
                             'DeformableDETR with with_box_refine=True and '
                             'as_two_stage=False')
        if num_frames < 1:
            raise ValueError(
                f'TransVODLite: num_frames must be >= 1, got {num_frames}')
        topk = tuple(query_topk)
        if not topk or any(not 1 <= k <= det.num_queries for k in topk) \
                or list(topk) != sorted(topk, reverse=True):
            raise ValueError(
                f'TransVODLite: query_topk {topk} must be decreasing values '
                f'in [1, {det.num_queries}] (the detector\'s num_queries)')
        dims = det.embed_dims
        self.num_frames = num_frames
        self.query_topk = topk
        self.frame_loss_weight = frame_loss_weight
        self.query_encoder = nn.ModuleList(
            TemporalQueryEncoderLayer(**dict(query_encoder, embed_dims=dims))
            for _ in topk)
        self.temporal_decoder = nn.ModuleList(
            DeformableDetrTransformerDecoder(**temporal_decoder)
            for _ in topk)
        head = dict(temporal_head, embed_dims=dims, num_pred_layer=len(topk))
        head.setdefault('train_cfg', copy.deepcopy(det.train_cfg))
        head.setdefault('test_cfg', copy.deepcopy(det.test_cfg))
        self.temporal_head = MODELS.build(head)
        most = self.temporal_head.test_cfg.get('max_per_img', 100)
        if most > topk[-1] * self.temporal_head.cls_out_channels:
            raise ValueError(
                f'TransVODLite: temporal_head.test_cfg.max_per_img={most} '
                f'exceeds the last stage\'s {topk[-1]} queries x '
                f'{self.temporal_head.cls_out_channels} classes')
        if freeze_detector:
            self.freeze()
        if init_from_detector:
            self.enable_init_from_detector()

    @property
    def clip_frames(self) -> int:
        """Frames per ``predict`` call of a clip-wise benchmark (the
        temporal window)."""
        return self.num_frames

    def stage(self, i: int, out: dict, query: Tensor, boxes: Tensor,
              num_clips: int) -> Tuple[Tensor, Tensor, Tensor]:
        """One stage on the kept queries of all frames.

        Args:
            i (int): The stage.
            out (dict): The frame outputs (:meth:`frame_transformer`) of
                F = ``num_clips`` x T frames, clip after clip.
            query (Tensor): Kept queries of shape (F, k, C).
            boxes (Tensor): Their boxes (cx, cy, w, h in [0, 1]), (F, k, 4).
            num_clips (int): Clips N.

        Returns:
            tuple: ``hidden`` (F, k, C), class logits (F, k, K) and boxes
            (F, k, 4).
        """
        num, k, dims = query.shape
        clip = query.reshape(num_clips, -1, dims)  # (N, T * k, C)
        query = self.query_encoder[i](clip, clip).reshape(num, k, dims)
        hidden, _ = self.temporal_decoder[i](
            query=query,
            query_pos=None,
            value=out['memory'],
            key_padding_mask=out['memory_mask'],
            reference_points=boxes,
            spatial_shapes=out['spatial_shapes'],
            level_start_index=out['level_start_index'],
            valid_ratios=out['valid_ratios'],
            reg_branches=None)
        hidden = hidden[-1]
        head = self.temporal_head
        logits = head.cls_branches[i](hidden)
        boxes = (head.reg_branches[i](hidden) +
                 inverse_sigmoid(boxes)).sigmoid()
        return hidden, logits, boxes

    def temporal_forward(self, out: dict, num_clips: int) -> List[Tuple]:
        """Sequential hard query mining over ``num_clips`` clips.

        Args:
            out (dict): The frame outputs (:meth:`frame_transformer`), F
                frames, clip after clip.
            num_clips (int): Clips N (F is a multiple of N).

        Returns:
            list[tuple]: Per stage, class logits (F, k_i, K) and boxes
            (F, k_i, 4).
        """
        query = out['hidden_states'][-1]
        boxes = out['references'][-1].detach()
        scores = out['scores']
        results = []
        for i, k in enumerate(self.query_topk):
            _, query, boxes = hard_query_mining(scores, k, query, boxes)
            query, logits, pred = self.stage(i, out, query, boxes, num_clips)
            results.append((logits, pred))
            # the next stage ranks by this stage's scores; its boxes stay
            # the kept single-frame boxes (as the official SeqHQM)
            scores = logits.sigmoid().detach()
        return results

    def check_clips(self, inputs: Tensor) -> None:
        """Raise unless ``inputs`` are training clips of ``num_frames``."""
        if inputs.dim() != 5 or inputs.size(1) != self.num_frames:
            raise ValueError(
                f'TransVODLite: training clips of num_frames='
                f'{self.num_frames} frames (N, {self.num_frames}, C, H, W) '
                f'expected, got shape {tuple(inputs.shape)}')

    def loss(self, inputs: Tensor, data_samples: list) -> Dict[str, Tensor]:
        """Losses of every stage on every frame of the clips.

        Args:
            inputs (Tensor): Clips of shape (N, T, 3, H, W).
            data_samples (list): N ``TrackDataSample``.

        Returns:
            dict: Losses, the last stage's unprefixed.
        """
        self.check_clips(inputs)
        self.maybe_init_from_detector()
        frames, samples = self.to_frames(inputs, data_samples, True)
        out = self.frame_transformer(frames, samples)
        gts = [s.gt_instances for s in samples]
        metas = [s.metainfo for s in samples]
        losses = {}
        results = self.temporal_forward(out, inputs.size(0))
        for i, (logits, boxes) in enumerate(results):
            names = self.temporal_head.loss_by_feat_single(
                logits, boxes, gts, metas)
            prefix = '' if i == len(results) - 1 else f'd{i}.'
            for name, value in zip(('loss_cls', 'loss_bbox', 'loss_iou'),
                                   names):
                losses[prefix + name] = value
        if not self.freeze_detector and self.frame_loss_weight > 0:
            frame = self.detector.bbox_head.loss(out['hidden_states'],
                                                 out['references'], None,
                                                 None, samples)
            for name, value in frame.items():
                losses[f'frame_{name}'] = value * self.frame_loss_weight
        return losses

    def predict(self, inputs: Tensor, data_samples: list) -> list:
        """Detect on whole videos, ``num_frames`` frames at a time.

        Args:
            inputs (Tensor): Videos of shape (N, T, 3, H, W).
            data_samples (list): N ``TrackDataSample``.

        Returns:
            list: ``data_samples``, each frame with ``pred_instances``.
        """
        frames, samples = self.to_frames(inputs, data_samples, True)
        length = frames.size(0) // len(data_samples)
        for frame in samples:
            whole = frame.metainfo.get('ori_video_length')
            if whole is not None and whole > length:
                raise ValueError(
                    f'TransVODLite predicts whole videos: got {length} of '
                    f'the {whole} frames of a video (use a DefaultSampler '
                    'test loader, not the frame-level TrackImgSampler)')
        for start in range(0, frames.size(0), length):
            for first in range(start, start + length, self.num_frames):
                last = min(first + self.num_frames, start + length)
                clip = samples[first:last]
                out = self.frame_transformer(frames[first:last], clip)
                logits, boxes = self.temporal_forward(out, 1)[-1]
                for j, sample in enumerate(clip):
                    sample.pred_instances = \
                        self.temporal_head._predict_by_feat_single(
                            logits[j], boxes[j], sample.metainfo, True)
        return data_samples

    def _forward(self, inputs: Tensor, data_samples: Optional[list] = None):
        """The last stage's class logits (N * T, k, K) and boxes
        (N * T, k, 4) for training-style clips."""
        self.check_clips(inputs)
        frames, samples = self.to_frames(inputs, data_samples, True)
        out = self.frame_transformer(frames, samples)
        return self.temporal_forward(out, inputs.size(0))[-1]
