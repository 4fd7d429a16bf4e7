# Copyright (c) OpenMMLab. All rights reserved.
"""TransVOD (Zhou et al., "TransVOD: End-to-End Video Object Detection with
Spatial-Temporal Transformers", TPAMI 2023) on mmdet's Deformable DETR.

Two stages, two classes: :class:`FrameDetector` trains the single-frame
Deformable DETR on video frames; :class:`TransVOD` adds the temporal
modules on top of it and starts from its checkpoint (``load_from``).
"""
import copy
from collections import deque
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmdet.models.layers import DeformableDetrTransformerDecoder
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from torch import Tensor, nn

from mmvidseg.registry import MODELS
from ..layers.temporal_transformer import (GatedResidual,
                                           TemporalDeformableEncoderLayer,
                                           TemporalQueryEncoderLayer,
                                           select_topk_queries)
from ..utils.detection_fusion import (check_fusion_cfg,
                                      fuse_reference_detections)
from .base import BaseVideoModel


@MODELS.register_module()
class FrameDetector(BaseVideoModel):
    """The single-frame stage: an mmdet detector run on every frame.

    Clips (N, T, C, H, W) are flattened to frames, each frame's
    ``DetDataSample`` (``gt_instances``) goes to the detector, which writes
    ``pred_instances`` (boxes in the original frame size) into it, as
    :class:`ImageNetVIDMetric` reads them. The temporal models built on it
    (TransVOD, TransVOD Lite, TransVOD++) read the detector's intermediate
    outputs with :meth:`frame_transformer` and may :meth:`freeze` it.

    Args:
        detector (dict): The image detector, e.g.
            ``dict(type='mmdet.DeformableDETR', ...)``. Its own
            ``data_preprocessor`` is not used.
        data_preprocessor (dict, optional): Usually
            ``dict(type='VideoDataPreprocessor', ...)``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 detector: ConfigType,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        detector = dict(detector)
        detector['data_preprocessor'] = None
        self.detector = MODELS.build(detector)
        self.freeze_detector = False

    def freeze(self) -> None:
        """Keep the single-frame model fixed: no gradient, eval mode (the
        official ``--fixed_pretrained_model``)."""
        self.freeze_detector = True
        self.detector.requires_grad_(False)
        self.detector.eval()

    def train(self, mode: bool = True) -> 'FrameDetector':
        """Set the mode; a frozen detector stays in eval mode (fixed
        batch-norm statistics, no dropout)."""
        super().train(mode)
        if self.freeze_detector:
            self.detector.eval()
        return self

    def frame_transformer(self, frames: Tensor, samples: list) -> dict:
        """Run the single-frame Deformable DETR on every frame (no gradient
        when the detector is frozen).

        Args:
            frames (Tensor): Shape (F, 3, H, W).
            samples (list): F ``DetDataSample``.

        Returns:
            dict: ``memory`` (F, HW, C), ``memory_pos`` (F, HW, C),
            ``memory_mask`` (F, HW) or None, ``spatial_shapes`` (L, 2),
            ``level_start_index`` (L, ), ``valid_ratios`` (F, L, 2),
            ``hidden_states`` (D, F, Q, C) of the D decoder layers,
            ``references`` (D + 1 tensors (F, Q, 2 or 4)),
            ``scores`` (F, Q, K): the last decoder layer's class scores,
            ``image_size`` (F, 2): each frame's (w, h) in pixels (what the
            normalised boxes are relative to) and ``feature_scale``: the
            first level's size over the padded input's.
        """
        det = self.detector
        with torch.set_grad_enabled(
                torch.is_grad_enabled() and not self.freeze_detector):
            enc_in, dec_in = det.pre_transformer(
                det.extract_feat(frames), samples)
            enc_out = det.forward_encoder(**enc_in)
            query_in, _ = det.pre_decoder(**enc_out)
            dec_out = det.forward_decoder(**dec_in, **query_in)
            hidden = dec_out['hidden_states']
            scores = det.bbox_head.cls_branches[-1](hidden[-1]).sigmoid()
        return dict(
            memory=enc_out['memory'],
            memory_pos=enc_in['feat_pos'],
            memory_mask=enc_in['feat_mask'],
            spatial_shapes=enc_in['spatial_shapes'],
            level_start_index=enc_in['level_start_index'],
            valid_ratios=enc_in['valid_ratios'],
            hidden_states=hidden,
            references=dec_out['references'],
            scores=scores.detach(),
            image_size=frames.new_tensor(
                [s.metainfo['img_shape'][::-1] for s in samples]),
            feature_scale=float(enc_in['spatial_shapes'][0, 0]) /
            frames.size(-2))

    @property
    def num_classes(self) -> int:
        """Classes of the detector's head."""
        return self.detector.bbox_head.num_classes

    def enable_init_from_detector(self) -> None:
        """Start the temporal decoder(s) and head from the single-frame
        model (see :meth:`init_from_detector`) at the first training step.

        A buffer ``temporal_from_detector`` (saved in checkpoints) records
        that the copy was done, so a resumed or finished stage-2 model is
        never overwritten; stage 1's checkpoint (``load_from``) lacks it.
        """
        self.register_buffer('temporal_from_detector', torch.zeros(1))

    def maybe_init_from_detector(self) -> None:
        """Run :meth:`init_from_detector` once, at the first training step
        of a model built with ``init_from_detector=True``."""
        flag = getattr(self, 'temporal_from_detector', None)
        if flag is None or bool(flag.item()):
            return
        self.init_from_detector()
        flag.fill_(1)

    def init_from_detector(self) -> None:
        """Copy the single-frame model's last decoder layer into every layer
        of the temporal decoder(s) and its last class / box branches into
        every branch of the temporal head.

        The temporal stage then starts close to the single-frame detections
        instead of from a random head that must learn the classes again
        from the few stage-2 iterations (our choice; the release starts its
        temporal heads from scratch).

        Raises:
            ValueError: The temporal decoder layers or head branches do not
                have the shapes of the detector's.
        """
        det = self.detector
        decoders = self.temporal_decoder
        if not isinstance(decoders, nn.ModuleList):
            decoders = [decoders]
        pairs = [(det.decoder.layers[-1], layer, 'temporal decoder layer')
                 for decoder in decoders for layer in decoder.layers]
        head, temporal = det.bbox_head, self.temporal_head
        for name in ('cls_branches', 'reg_branches'):
            pairs += [(getattr(head, name)[-1], branch,
                       f'temporal_head.{name}')
                      for branch in getattr(temporal, name)]
        for src, dst, what in pairs:
            try:
                dst.load_state_dict(src.state_dict())
            except RuntimeError as err:
                raise ValueError(
                    f'{type(self).__name__}: init_from_detector needs every '
                    f'{what} shaped as the detector\'s last one: {err}')

    def loss(self, inputs: Tensor, data_samples: list) -> Dict[str, Tensor]:
        """Detection losses on every frame of the clips."""
        frames, samples = self.to_frames(inputs, data_samples, True)
        return self.detector.loss(frames, samples)

    def predict(self, inputs: Tensor, data_samples: list) -> list:
        """Detect on every frame; returns ``data_samples``, each frame with
        ``pred_instances`` (``bboxes``, ``scores``, ``labels``)."""
        frames, samples = self.to_frames(inputs, data_samples, True)
        self.detector.predict(frames, samples, rescale=True)
        return data_samples

    def _forward(self, inputs: Tensor, data_samples: Optional[list] = None):
        """The detector head's raw outputs for every frame."""
        frames, samples = self.to_frames(inputs, data_samples)
        return self.detector._forward(frames, samples)


@MODELS.register_module()
class TransVOD(FrameDetector):
    """TransVOD: Deformable DETR with temporal transformers.

    Every frame of a clip (the key frame and ``num_ref_frames`` references)
    goes through the single-frame Deformable DETR (one feature level, box
    refinement). Then, for the key frame:

    1. TDTE: its encoder memory attends to the references' memories
       (:class:`TemporalDeformableEncoderLayer`, each reference frame one
       level of the deformable attention);
    2. TQE: its last-layer object queries pass ``len(query_topk)``
       :class:`TemporalQueryEncoderLayer` s, layer i attending to the
       ``query_topk[i] * num_ref_frames`` best-scored reference queries
       (official 80 / 50 / 30: coarse to fine);
    3. TDTD: a deformable decoder (mmdet's, ``temporal_decoder``) on the
       refined memory, starting from the key frame's refined boxes, and a
       new head (``temporal_head``) give the detections.

    Training clips hold the key frame and ``num_ref_frames`` references
    (``VideoFrameSample``, any mode; ``key_frames_inds`` tells the key
    frame). The losses are the temporal head's plus, unless
    ``freeze_detector``, the single-frame head's on the key frames times
    ``frame_loss_weight`` (prefixed ``frame_``).

    Inference is online: clips of one frame, in time order; the memories
    and queries of the last ``num_ref_frames`` frames of the same video are
    kept as references (repeated at the start of a video).

    Args:
        detector (dict): ``mmdet.DeformableDETR`` with
            ``num_feature_levels=1`` and ``with_box_refine=True``.
        num_ref_frames (int): References per key frame R. Defaults to 14.
        temporal_encoder (dict, optional): Keyword arguments of
            :class:`TemporalDeformableEncoderLayer` (``num_ref_frames`` and
            ``embed_dims`` are set here); None: no TDTE (TransVOD++).
        query_encoder (dict): Keyword arguments of
            :class:`TemporalQueryEncoderLayer`.
        query_topk (Sequence[int]): Reference queries per reference frame
            of each TQE layer. Defaults to (80, 50, 30).
        temporal_decoder (dict): Config of mmdet's
            ``DeformableDetrTransformerDecoder`` (one level).
        temporal_head (dict): ``mmdet.DeformableDETRHead`` with
            ``num_pred_layer`` equal to the decoder's layers; train/test
            configs default to the detector's.
        freeze_detector (bool): Keep the single-frame model fixed (no
            gradient; the official ``--fixed_pretrained_model``).
            Defaults to False.
        frame_loss_weight (float): Weight of the key frames' single-frame
            losses. Defaults to 1.0.
        init_from_detector (bool): At the first training step, start the
            temporal decoder and head from the single-frame model's last
            decoder layer and head branches (:meth:`init_from_detector`)
            instead of from random weights. Defaults to False.
        pass_through (bool): Start the temporal stage as the single-frame
            detector (needs ``init_from_detector``): the TDTE, each TQE
            layer and the TDTD are behind zero-initialised
            :class:`GatedResidual` gates, and the temporal head reads the
            boxes the detector's last layer started from, so that before
            training the temporal head's detections are exactly the
            detector's and training can only add temporal information (our
            choice, not in the paper). Defaults to False.
        test_cfg (dict, optional): ``reuse_ref_outputs`` (True): keep
            each frame's single-frame outputs and reuse them as the next
            frames' references, so every frame goes through the
            single-frame model once; False: run the single-frame model on
            the key frame and all its reference frames for every key frame,
            as the release's inference does (its data loader gives each key
            frame with its reference images; same detections, about
            ``num_ref_frames + 1`` times the single-frame cost per frame).
            ``ref_fusion`` (None): a dict ``num_frames``, ``decay``,
            ``iou_threshold`` fuses each online frame's detections with the
            ``num_frames`` previous frames' own detections, their scores
            times ``decay`` per frame of age, by class-wise NMS at
            ``iou_threshold`` (:func:`fuse_reference_detections`; our
            addition, not in the paper); None: the temporal head's
            detections.
        data_preprocessor (dict, optional): See :class:`FrameDetector`.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 detector: ConfigType,
                 temporal_decoder: ConfigType,
                 temporal_head: ConfigType,
                 num_ref_frames: int = 14,
                 temporal_encoder: OptConfigType = dict(),
                 query_encoder: ConfigType = dict(),
                 query_topk: Sequence[int] = (80, 50, 30),
                 freeze_detector: bool = False,
                 frame_loss_weight: float = 1.0,
                 init_from_detector: bool = False,
                 pass_through: bool = False,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(detector, data_preprocessor, init_cfg)
        det = self.detector
        self.test_cfg = dict(reuse_ref_outputs=True, ref_fusion=None)
        unknown = set(test_cfg or {}) - set(self.test_cfg)
        if unknown:
            raise ValueError(
                f'{type(self).__name__}: unknown test_cfg keys '
                f'{sorted(unknown)}; known: {sorted(self.test_cfg)}')
        self.test_cfg.update(test_cfg or {})
        if pass_through and not init_from_detector:
            raise ValueError(
                'TransVOD: pass_through=True needs init_from_detector=True '
                '(the temporal head must start as the detector\'s)')
        if det.num_feature_levels != 1 or not det.with_box_refine or \
                det.as_two_stage:
            raise ValueError(
                'TransVOD: the detector must be a DeformableDETR with '
                'num_feature_levels=1, with_box_refine=True and '
                'as_two_stage=False (each reference frame is one level of '
                'the temporal deformable attention)')
        if num_ref_frames < 1:
            raise ValueError(
                f'TransVOD: num_ref_frames must be >= 1, got {num_ref_frames}')
        most = det.num_queries * det.bbox_head.cls_out_channels
        if not query_topk or any(not 1 <= k <= most for k in query_topk):
            raise ValueError(
                f'TransVOD: query_topk {tuple(query_topk)} must be values '
                f'in [1, {most}] (num_queries x classes)')
        dims = det.embed_dims
        self.num_ref_frames = num_ref_frames
        self.query_topk = tuple(query_topk)
        self.frame_loss_weight = frame_loss_weight
        self.temporal_encoder = None if temporal_encoder is None else \
            TemporalDeformableEncoderLayer(**dict(
                temporal_encoder, embed_dims=dims,
                num_ref_frames=num_ref_frames))
        self.query_encoder = nn.ModuleList(
            TemporalQueryEncoderLayer(**dict(query_encoder, embed_dims=dims))
            for _ in self.query_topk)
        self.temporal_decoder = DeformableDetrTransformerDecoder(
            **temporal_decoder)
        head = dict(temporal_head, embed_dims=dims)
        head.setdefault('train_cfg', copy.deepcopy(det.train_cfg))
        head.setdefault('test_cfg', copy.deepcopy(det.test_cfg))
        self.temporal_head = MODELS.build(head)
        self._buffer: deque = deque(maxlen=num_ref_frames)
        fusion = self.test_cfg['ref_fusion']
        if fusion is not None:
            fusion = check_fusion_cfg(fusion, type(self).__name__)
            self.test_cfg['ref_fusion'] = fusion
        # the last frames' own detections (test_cfg.ref_fusion; trimmed to
        # its num_frames when used: test_cfg may be edited after the build)
        self._dets: deque = deque()
        # (frame, sample) of the last frames (reuse_ref_outputs=False)
        self._frames: deque = deque(maxlen=num_ref_frames)
        self.gates = nn.ModuleDict(
            (name, GatedResidual(dims))
            for name in ['decoder'] +
            [f'query{i}' for i in range(len(self.query_topk))] +
            ([] if temporal_encoder is None else ['memory'])
        ) if pass_through else None
        if freeze_detector:
            self.freeze()
        if init_from_detector:
            self.enable_init_from_detector()

    def reset_state(self) -> None:
        """Forget the reference frames of the previous video."""
        self._buffer.clear()
        self._dets.clear()
        self._frames.clear()

    def gated(self, name: str, x: Tensor, y: Tensor) -> Tensor:
        """``y``, or with ``pass_through`` the gated mix of a temporal
        module's input ``x`` and output ``y`` (:class:`GatedResidual`)."""
        return y if self.gates is None else self.gates[name](x, y)

    def temporal_memory(self, key: dict, refs: List[dict]) -> Tensor:
        """TDTE: the key frames' memory (N, HW, C) refined with the
        references' (unchanged without a temporal encoder)."""
        if self.temporal_encoder is None:
            return key['memory']
        mask = None
        if key['memory_mask'] is not None:
            mask = torch.cat([r['memory_mask'] for r in refs], 1)
        ref_memory = torch.cat([r['memory'] + r['memory_pos'] for r in refs],
                               1)
        return self.gated(
            'memory', key['memory'],
            self.temporal_encoder(key['memory'], key['memory_pos'],
                                  ref_memory, key['spatial_shapes'],
                                  key['valid_ratios'], mask))

    def temporal_forward(self, key: dict, refs: List[dict]) -> Tuple:
        """TDTE, TQE and TDTD for N key frames and their references.

        Args:
            key (dict): Per-frame tensors of the N key frames (the keys of
                :meth:`frame_transformer`, batch N; ``hidden_states`` and
                ``references`` of the last layer only: ``query`` (N, Q, C),
                ``boxes`` (N, Q, 4)).
            refs (list[dict]): ``num_ref_frames`` dicts like ``key``.

        Returns:
            tuple: ``hidden_states`` (L', N, Q, C) of the temporal decoder
            and ``references``, the list [initial boxes (N, Q, 4), ...] the
            temporal head reads.
        """
        memory = self.temporal_memory(key, refs)
        ref_query = torch.cat([r['query'] for r in refs], 1)
        ref_scores = torch.cat([r['scores'] for r in refs], 1)
        query = key['query']
        for i, (layer, k) in enumerate(zip(self.query_encoder,
                                           self.query_topk)):
            picked = select_topk_queries(ref_query, ref_scores,
                                         k * len(refs))
            query = self.gated(f'query{i}', query, layer(query, picked))
        boxes = key['boxes']
        hidden, _ = self.temporal_decoder(
            query=query,
            query_pos=None,
            value=memory,
            key_padding_mask=key['memory_mask'],
            reference_points=boxes,
            spatial_shapes=key['spatial_shapes'],
            level_start_index=key['spatial_shapes'].new_zeros(1),
            valid_ratios=key['valid_ratios'],
            reg_branches=self.temporal_head.reg_branches)
        if self.gates is None:
            return hidden, [boxes]
        # from the detector's last queries and the boxes its last layer
        # started from: with closed gates, its own detections
        return self.gated('decoder', query[None], hidden), \
            [key['boxes_in']]

    @staticmethod
    def split_frames(out: dict, index: Tensor) -> dict:
        """The per-frame tensors of frames ``index`` (the last decoder
        layer's queries as ``query``, its refined boxes as ``boxes`` and
        the boxes it started from as ``boxes_in``)."""
        mask = out['memory_mask']
        return dict(
            memory=out['memory'][index],
            memory_pos=out['memory_pos'][index],
            memory_mask=None if mask is None else mask[index],
            spatial_shapes=out['spatial_shapes'],
            valid_ratios=out['valid_ratios'][index],
            query=out['hidden_states'][-1][index],
            boxes=out['references'][-1][index].detach(),
            boxes_in=out['references'][-2][index].detach(),
            scores=out['scores'][index],
            image_size=out['image_size'][index],
            feature_scale=out['feature_scale'])

    def clip_forward(self, inputs: Tensor, data_samples: list) -> Tuple:
        """Frame and temporal forward of training clips.

        Args:
            inputs (Tensor): N clips of shape (N, 1 + R, 3, H, W).
            data_samples (list): N ``TrackDataSample``.

        Returns:
            tuple: the temporal ``hidden_states`` and ``references``, the
            key frames' samples, the frame outputs and the key indices (N,)
            into the flattened frames.
        """
        if inputs.dim() != 5 or inputs.size(1) != self.num_ref_frames + 1:
            raise ValueError(
                f'TransVOD: clips of 1 key + {self.num_ref_frames} reference '
                f'frames (N, {self.num_ref_frames + 1}, C, H, W) expected, '
                f'got shape {tuple(inputs.shape)}')
        num, length = inputs.shape[:2]
        frames, samples = self.to_frames(inputs, data_samples, True)
        out = self.frame_transformer(frames, samples)
        keys = []
        for track in data_samples:
            inds = track.metainfo.get('key_frames_inds', [0])
            keys.append(int(inds[0]))
        starts = torch.arange(num, device=frames.device) * length
        key_index = starts + torch.tensor(keys, device=frames.device)
        refs = []
        for t in range(length):
            # the t-th non-key frame of each clip
            offset = torch.tensor([t + (t >= k) for k in keys],
                                  device=frames.device)
            if t < length - 1:
                refs.append(self.split_frames(out, starts + offset))
        hidden, references = self.temporal_forward(
            self.split_frames(out, key_index), refs)
        key_samples = [samples[i] for i in key_index.tolist()]
        return hidden, references, key_samples, out, key_index

    def loss(self, inputs: Tensor, data_samples: list) -> Dict[str, Tensor]:
        """Temporal head losses (plus the key frames' single-frame ones).

        Args:
            inputs (Tensor): Clips of shape (N, 1 + R, 3, H, W).
            data_samples (list): N ``TrackDataSample``.

        Returns:
            dict: Losses.
        """
        self.maybe_init_from_detector()
        hidden, references, key_samples, out, key_index = \
            self.clip_forward(inputs, data_samples)
        losses = self.temporal_head.loss(hidden, references, None, None,
                                         key_samples)
        if not self.freeze_detector and self.frame_loss_weight > 0:
            frame = self.detector.bbox_head.loss(
                out['hidden_states'][:, key_index],
                [r[key_index] for r in out['references']], None, None,
                key_samples)
            for name, value in frame.items():
                losses[f'frame_{name}'] = value * self.frame_loss_weight
        return losses

    def online_refs(self, key: dict) -> List[dict]:
        """The references of an online frame: the last ``num_ref_frames``
        frames of its video (the oldest first, cycled while there are
        fewer; the frame itself at the start of a video); ``key`` then
        joins the buffer."""
        return self._cycle(self._buffer, key)

    def _cycle(self, buffer: deque, item) -> list:
        """The ``num_ref_frames`` last items of ``buffer`` (cycled while
        there are fewer, ``item`` itself when empty); ``item`` then joins
        it."""
        prev = list(buffer) or [item]
        refs = (prev * self.num_ref_frames)[-self.num_ref_frames:]
        buffer.append(item)
        return refs

    def recomputed_refs(self, frame: Tensor, sample) -> Tuple[dict, list]:
        """The key frame and its references, all through the single-frame
        model again (``test_cfg.reuse_ref_outputs=False``, the release's
        inference): the same reference frames as :meth:`online_refs`, but
        their images are kept instead of their outputs.

        Args:
            frame (Tensor): The key frame (3, H, W).
            sample (DetDataSample): Its sample.

        Returns:
            tuple: the key frame's dict and the ``num_ref_frames``
            references' (see :meth:`split_frames`).
        """
        refs = self._cycle(self._frames, (frame, sample))
        if any(f.shape != frame.shape for f, _ in refs):
            raise ValueError(
                f'{type(self).__name__}: test_cfg.reuse_ref_outputs=False '
                'needs the frames of a video padded to one size, got '
                f'{tuple(frame.shape)} and the references\' '
                f'{[tuple(f.shape) for f, _ in refs]}')
        out = self.frame_transformer(
            torch.stack([frame] + [f for f, _ in refs]),
            [sample] + [s for _, s in refs])
        split = [self.split_frames(out, torch.tensor([j]))
                 for j in range(len(refs) + 1)]
        return split[0], split[1:]

    def fuse_online(self, det):
        """With ``test_cfg.ref_fusion``, a frame's detections
        (``InstanceData``) fused with the previous frames' own ones, which
        it then joins; else ``det``."""
        fusion = self.test_cfg['ref_fusion']
        if fusion is None:
            return det
        fusion = check_fusion_cfg(fusion, type(self).__name__)
        while len(self._dets) > fusion['num_frames']:
            self._dets.popleft()
        fused = fuse_reference_detections(det, list(self._dets),
                                          fusion['decay'],
                                          fusion['iou_threshold'])
        self._dets.append(det)
        if len(self._dets) > fusion['num_frames']:
            self._dets.popleft()
        return fused

    def predict(self, inputs: Tensor, data_samples: list) -> list:
        """Online detection, one frame per clip, in time order.

        Args:
            inputs (Tensor): (N, 1, 3, H, W) or images (N, 3, H, W).
            data_samples (list): N ``TrackDataSample`` (or frame samples).

        Returns:
            list: ``data_samples``, each frame with ``pred_instances``.
        """
        if inputs.dim() == 5 and inputs.size(1) != 1:
            raise ValueError(
                'TransVOD predicts online, one frame per clip (a test '
                'pipeline without VideoFrameSample), got clips of '
                f'{inputs.size(1)} frames')
        frames, samples = self.to_frames(inputs, data_samples, True)
        for i, sample in enumerate(samples):
            self.start_frame(sample.metainfo)
            if self.test_cfg['reuse_ref_outputs']:
                out = self.frame_transformer(frames[i:i + 1], [sample])
                key = self.split_frames(out, torch.tensor([0]))
                refs = self.online_refs(key)
            else:
                key, refs = self.recomputed_refs(frames[i], sample)
            hidden, references = self.temporal_forward(key, refs)
            results = self.temporal_head.predict(
                hidden, references, [sample], rescale=True)
            sample.pred_instances = self.fuse_online(results[0])
        return data_samples

    def _forward(self, inputs: Tensor, data_samples: Optional[list] = None):
        """The temporal head's raw outputs (class scores and boxes) for the
        key frames of training-style clips."""
        hidden, references, _, _, _ = self.clip_forward(inputs, data_samples)
        return self.temporal_head(hidden, references)
