# Copyright (c) OpenMMLab. All rights reserved.
import copy
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmdet.models.utils import multi_apply
from mmdet.utils import ConfigType, InstanceList, OptConfigType, OptMultiConfig
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData, PixelData
from scipy.optimize import linear_sum_assignment
from torch import Tensor

from mmvidseg.registry import MODELS
from mmvidseg.structures import IGNORE_INDEX, LABEL_DIVISOR, VOID_PANOPTIC
from ..heads.kernel_targets import frame_targets
from ..heads.quasi_dense_embed import build_embed_fcs, quasi_dense_embed_losses
from ..heads.tube_mask2former_head import tube_targets
from ..layers import QueryLink
from ..utils import logits_to_original, query_panoptic_merge
from .base import BaseVideoModel


@MODELS.register_module()
class TubeLink(BaseVideoModel):
    """Tube-Link: near-online universal video segmentation (Li et al.,
    ICCV 2023) on mmdet's Mask2Former parts.

    A training clip of T frames is cut into T / ``tube_size`` tubes (one
    tube when T <= ``tube_size``). A backbone and
    a :class:`~mmvidseg.models.heads.TubeMask2FormerHead` (mmdet's
    ``MSDeformAttnPixelDecoder``, a 3D sine positional encoding and the
    masked-attention decoder over the keys of all frames of a tube) give,
    per tube, Q queries, each with one class and a mask on every frame of
    the tube. The tube parts (switchable in config):

    * **tube matching**: Hungarian assignment and Mask2Former losses on the
      tube masks stacked over the tube's frames; the first tube of a clip
      is the key tube (``loss_*``), the others reference tubes
      (``ref_loss_*``, averaged over them);
    * **cross-tube link** (``with_link``, :class:`QueryLink`): the key
      tube's queries attend to its first reference tube's queries (at test
      time: the previous tube's) before the embedding;
    * **temporal contrastive loss** (``embed_head``, mmdet's
      ``QuasiDenseEmbedHead`` with ``MultiPosCrossEntropyLoss`` +
      ``L2Loss``) between the thing queries of the key tube and of the
      reference tubes; positives are queries assigned to the same track in
      both tubes (assignment on the last decoder layer).

    Inference is near-online: a video is cut into tubes of
    ``test_cfg.tube_size`` frames (``tube_size`` by default); consecutive
    tubes overlap by ``test_cfg.overlap`` frames, an overlapped frame keeps
    the prediction of the earlier tube. VPS: each
    tube's queries are merged into panoptic segments jointly over its
    frames and the thing segments are tracked from tube to tube by
    ``tracker`` (a :class:`KernelQuasiDenseTracker` on the query
    embeddings, one memory step per tube). VSS: per-frame semantic maps.
    VIS: the queries of each tube are matched to the previous tube's by
    Hungarian matching on the cosine similarity of their embeddings; the
    top ``max_per_video`` (query, class) pairs of the video, ranked by the
    class probabilities averaged over the tubes, are its instances, scored
    on each frame by that probability times the frame's mask score.
    ``tube_size=1`` is the online, frame-level variant. State (previous
    queries, tracker memory) persists across ``predict`` calls and resets
    on a new video, as for Video K-Net.

    Labels: dataset class ids map to internal labels, the things first
    (in ``thing_classes`` order), then the other classes as stuff.

    Args:
        backbone (dict): Backbone config (e.g. ``mmdet.ResNet``).
        panoptic_head (dict): :class:`TubeMask2FormerHead` config; class
            numbers are filled in, and ``loss_cls.class_weight`` (1 per
            class, 0.1 for "no object") when not given.
        num_classes (int): Number of dataset classes.
        thing_classes (Sequence[int]): Dataset ids of the thing classes
            (all classes for VIS, none for VSS).
        task (str): ``'vps'``, ``'vss'`` or ``'vis'``. Defaults to 'vps'.
        tube_size (int): Frames of a training tube. Training clips longer
            than a tube must hold a multiple of it. Defaults to 2.
        with_link (bool): Build and use the cross-tube link. Defaults to
            True.
        link_cfg (dict, optional): :class:`QueryLink` ``num_heads`` and
            ``feedforward_channels``.
        embed_head (dict, optional): Association embedding head (e.g.
            ``mmdet.QuasiDenseEmbedHead``); None: no contrastive loss and
            the raw (linked) queries are matched.
        num_embed_fcs (int): Linear-LN-ReLU blocks (and ``fc_embed``)
            before ``embed_head``. Defaults to 1.
        tracker (dict, optional): VPS tracker config. None: thing ids are
            per-tube segment numbers.
        mask_target_stride (int): Stride of the training mask targets (the
            losses are point-sampled). Defaults to 4.
        test_cfg (dict, optional): ``tube_size`` (frames of a test tube;
            None: ``tube_size``), ``overlap`` (0), ``object_mask_thr``
            (0.8), ``iou_thr`` (0.8), ``max_per_video`` (VIS, 10),
            ``mask_score`` (VIS: scale the class scores by the mask
            scores, True).
        data_preprocessor (dict, optional): Usually
            ``VideoDataPreprocessor``.
        init_cfg (dict, optional): Initialisation config, e.g. an mmdet
            Mask2Former checkpoint (``backbone.*`` and ``panoptic_head.*``
            load as they are).
    """

    TASKS = ('vps', 'vss', 'vis')

    def __init__(self,
                 backbone: ConfigType,
                 panoptic_head: ConfigType,
                 num_classes: int,
                 thing_classes: Sequence[int],
                 task: str = 'vps',
                 tube_size: int = 2,
                 with_link: bool = True,
                 link_cfg: OptConfigType = None,
                 embed_head: OptConfigType = None,
                 num_embed_fcs: int = 1,
                 tracker: OptConfigType = None,
                 mask_target_stride: int = 4,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self._set_classes(task, num_classes, thing_classes)
        if int(tube_size) < 1:
            raise ValueError(f'tube_size must be >= 1, got {tube_size}')
        self.task, self.tube_size = task, int(tube_size)
        self.backbone = MODELS.build(backbone)
        # mmdet's Mask2Former head reads its sub-configs as attributes
        head = ConfigDict(copy.deepcopy(panoptic_head))
        head.update(
            num_things_classes=self.num_thing_classes,
            num_stuff_classes=self.num_stuff_classes)
        loss_cls = head.get('loss_cls')
        if loss_cls is not None and loss_cls.get('class_weight') is None:
            # Mask2Former: weight 1 per class, 0.1 for "no object"
            head['loss_cls'] = dict(
                loss_cls, class_weight=[1.0] * num_classes + [0.1])
        self.panoptic_head = MODELS.build(head)
        channels = self.panoptic_head.decoder_embed_dims
        if with_link and not embed_head:
            # the linked queries only feed the contrastive embedding
            raise ValueError('with_link=True needs an embed_head: without '
                             'the contrastive loss the link is never '
                             'trained; set with_link=False')
        self.link = QueryLink(channels, **(link_cfg or {})) \
            if with_link else None
        self.embed_head = MODELS.build(embed_head) if embed_head else None
        self.embed_fcs = self.fc_embed = None
        if self.embed_head is not None:
            self.embed_fcs, self.fc_embed = build_embed_fcs(
                channels, num_embed_fcs)
        self.tracker = MODELS.build(tracker) \
            if tracker and task == 'vps' else None
        self.mask_target_stride = mask_target_stride
        self.test_cfg = dict(
            tube_size=None,
            overlap=0,
            object_mask_thr=0.8,
            iou_thr=0.8,
            max_per_video=10,
            mask_score=True)
        self.test_cfg.update(test_cfg or {})
        self.test_tube_size = int(self.test_cfg['tube_size'] or tube_size)
        if not 0 <= self.test_cfg['overlap'] < self.test_tube_size:
            raise ValueError('test_cfg.overlap must be in [0, test tube '
                             f'size {self.test_tube_size}), got '
                             f'{self.test_cfg["overlap"]}')
        self._prev_queries: Optional[Tensor] = None
        self._tube_index = 0

    def _set_classes(self, task: str, num_classes: int,
                     thing_classes: Sequence[int]) -> None:
        """Check the task and classes; set the label maps (dataset id <->
        internal label, things first)."""
        if task not in self.TASKS:
            raise ValueError(f'task must be one of {self.TASKS}, got '
                             f'{task!r}')
        if not 0 < num_classes < IGNORE_INDEX:
            raise ValueError(f'num_classes must be in [1, {IGNORE_INDEX}), '
                             f'got {num_classes}')
        things = [int(c) for c in thing_classes]
        if len(set(things)) != len(things) or any(
                not 0 <= c < num_classes for c in things):
            raise ValueError(f'thing_classes {things} must be distinct '
                             f'class ids in [0, {num_classes})')
        if task == 'vss' and things:
            raise ValueError("task 'vss' has no thing classes: set "
                             'thing_classes=[]')
        if task == 'vis' and len(things) != num_classes:
            raise ValueError("task 'vis' needs every class in thing_classes")
        stuff = [c for c in range(num_classes) if c not in things]
        self.num_classes = num_classes
        self.num_thing_classes, self.num_stuff_classes = len(things), len(
            stuff)
        order = torch.tensor(things + stuff, dtype=torch.long)
        label_map = torch.full((256, ), IGNORE_INDEX, dtype=torch.long)
        label_map[order] = torch.arange(num_classes)
        self.register_buffer('label_map', label_map, persistent=False)
        self.register_buffer('internal_to_dataset', order, persistent=False)

    def reset_state(self) -> None:
        """Forget the previous tube's queries and the tracker memory."""
        self._prev_queries = None
        self._tube_index = 0
        if self.tracker is not None:
            self.tracker.reset()

    def embed(self, queries: Tensor) -> Tensor:
        """Association embeddings (..., D) of (..., C) queries
        (``embed_fcs``, ``fc_embed``, ``embed_head``); the queries
        themselves without an embedding head."""
        if self.embed_head is None:
            return queries
        if self.embed_fcs is not None:
            queries = self.fc_embed(self.embed_fcs(queries))
        return self.embed_head(queries)

    def _segment(self, frames: Tensor,
                 tube_size: int) -> Tuple[List[Tensor], List[Tensor], Tensor]:
        """Backbone and head on (N * t, C, H, W) frames, tube by tube; with
        the head's stride-2 masks (``fine_mask_in_channels``) the head also
        gets the backbone's stem output (:meth:`_backbone_with_stem`)."""
        if not getattr(self.panoptic_head, 'fine_mask_in_channels', None):
            return self.panoptic_head(self.backbone(frames), tube_size)
        feats, stem = self._backbone_with_stem(frames)
        return self.panoptic_head(feats, tube_size, fine_feat=stem)

    def _backbone_with_stem(self, frames: Tensor) -> Tuple[tuple, Tensor]:
        """Backbone features and the stem output (N * t, C_s, H / 2, W / 2)
        of a ResNet-like backbone: the input of its ``maxpool``."""
        pool = getattr(self.backbone, 'maxpool', None)
        if pool is None:
            raise ValueError('stride-2 masks (fine_mask_in_channels) need a '
                             'backbone with a stem maxpool (ResNet)')
        stem = []
        handle = pool.register_forward_pre_hook(
            lambda module, args: stem.append(args[0]))
        try:
            feats = self.backbone(frames)
        finally:
            handle.remove()
        return feats, stem[0]

    def _forward(self, inputs: Tensor, data_samples=None) -> tuple:
        """Last-layer class logits (N', Q, C + 1) and tube mask logits
        (N', Q, t, h, w) of the tubes of the clips (one tube per clip when
        T is not a multiple of ``tube_size``), for FLOPs counting."""
        frames, _ = self.to_frames(inputs)
        num_frames = inputs.size(1) if inputs.dim() == 5 else 1
        size = self.tube_size if num_frames % self.tube_size == 0 \
            else num_frames
        cls_preds, mask_preds, _ = self._segment(frames, size)
        return cls_preds[-1], mask_preds[-1]

    # ------------------------------------------------------------------
    # training
    # ------------------------------------------------------------------
    def _tube_targets(self, frame_samples: list, pad_shape,
                      tube_size: int) -> InstanceList:
        """Tube targets (:func:`tube_targets`) of consecutive frames."""
        stride = self.mask_target_stride
        gts = multi_apply(
            frame_targets,
            frame_samples,
            label_map=self.label_map,
            num_thing_classes=self.num_thing_classes,
            num_stuff_classes=self.num_stuff_classes,
            pad_shape=pad_shape,
            size=(pad_shape[0] // stride, pad_shape[1] // stride),
            device=self.label_map.device)[0]
        return [
            tube_targets(gts[i:i + tube_size], self.num_thing_classes)
            for i in range(0, len(gts), tube_size)
        ]

    def loss(self, inputs: Tensor, data_samples: list) -> Dict[str, Tensor]:
        """Losses of a batch of clips of T frames (T a multiple of
        ``tube_size``, or at most ``tube_size``: one tube).

        Returns:
            dict: ``loss_cls``/``loss_mask``/``loss_dice`` and ``d{i}.*``
            (key tubes), ``ref_*`` (reference tubes, averaged), and
            ``loss_track`` / ``loss_track_aux`` (embedding; VPS/VIS with
            an ``embed_head`` and at least two tubes per clip).
        """
        frames, samples = self.to_frames(
            inputs, data_samples, need_samples=True)
        num_frames = inputs.size(1) if inputs.dim() == 5 else 1
        size = min(self.tube_size, num_frames)
        if num_frames % size:
            raise ValueError(f'training clips of {num_frames} frames cannot '
                             f'be cut into tubes of {size}')
        per_clip = num_frames // size
        cls_preds, mask_preds, queries = self._segment(frames, size)
        tubes = self._tube_targets(samples, frames.shape[-2:], size)
        keys = list(range(0, len(tubes), per_clip))
        refs = [i for i in range(len(tubes)) if i % per_clip]
        head = self.panoptic_head
        losses = head.loss_tubes([c[keys] for c in cls_preds],
                                 [m[keys] for m in mask_preds],
                                 [tubes[i] for i in keys])
        if not refs:
            return losses
        ref_losses = head.loss_tubes([c[refs] for c in cls_preds],
                                     [m[refs] for m in mask_preds],
                                     [tubes[i] for i in refs])
        losses.update({f'ref_{k}': v for k, v in ref_losses.items()})
        if self.embed_head is not None and self.num_thing_classes:
            matches = head.assign(cls_preds[-1], mask_preds[-1], tubes)
            losses.update(
                self._embed_loss(queries, matches, tubes, per_clip))
        return losses

    @staticmethod
    def _positive_things(match, tube: InstanceData) -> Tuple[Tensor, Tensor]:
        """Query indices (P,) assigned to things and their track ids."""
        ids = tube.instances_ids[match.pos_assigned_gt_inds]
        things = ids >= 0
        return match.pos_inds[things], ids[things]

    def _embed_loss(self, queries: Tensor, matches: list,
                    tubes: InstanceList, per_clip: int) -> Dict[str, Tensor]:
        """Quasi-dense contrastive loss between each clip's key tube
        (linked to its first reference tube) and its reference tubes.

        Args:
            queries (Tensor): (N', Q, C) last-layer queries of all tubes,
                clip by clip.
            matches (list[:obj:`SamplingResult`]): Their assignments.
            tubes (list[:obj:`InstanceData`]): Their targets.
            per_clip (int): Tubes per clip (>= 2).

        Returns:
            dict[str, Tensor]: ``loss_track`` (and ``loss_track_aux``),
            averaged over the clips.
        """
        pairs = []
        for k in range(0, len(tubes) // per_clip * per_clip, per_clip):
            key = queries[k:k + 1]
            if self.link is not None:
                key = self.link(key, queries[k + 1:k + 2])
            inds, key_ids = self._positive_things(matches[k], tubes[k])
            ref_embeds, ref_ids = [], []
            for r in range(k + 1, k + per_clip):
                r_inds, r_ids = self._positive_things(matches[r], tubes[r])
                ref_embeds.append(self.embed(queries[r, r_inds]))
                ref_ids.append(r_ids)
            pairs.append((self.embed(key[0, inds]), key_ids,
                          torch.cat(ref_embeds), torch.cat(ref_ids)))
        return quasi_dense_embed_losses(self.embed_head, pairs,
                                        queries.sum() * 0)

    # ------------------------------------------------------------------
    # inference
    # ------------------------------------------------------------------
    def _tube_spans(self, num_frames: int) -> List[Tuple[int, int]]:
        """(start, end) frames of the test tubes of a clip: tubes of
        ``test_tube_size`` frames, consecutive tubes overlapping by
        ``test_cfg.overlap``; the last tube may be shorter."""
        size = self.test_tube_size
        step = size - self.test_cfg['overlap']
        spans, start = [], 0
        while True:
            end = min(start + size, num_frames)
            spans.append((start, end))
            if end >= num_frames:
                return spans
            start += step

    def _predict_tube(self, frames: Tensor) -> Dict:
        """One test tube of (t, C, H, W) frames: class logits (Q, C + 1),
        mask logits (Q, t, h, w) and embeddings (Q, D) of its queries
        (linked to the previous tube's queries when ``with_link``)."""
        cls_preds, mask_preds, queries = self._segment(frames, len(frames))
        linked = queries
        if self.link is not None and self._prev_queries is not None:
            linked = self.link(queries, self._prev_queries)
        self._prev_queries = queries
        index = self._tube_index
        self._tube_index += 1
        return dict(
            cls=cls_preds[-1][0],
            masks=mask_preds[-1][0],
            embeds=self.embed(linked[0]),
            index=index)

    def predict(self, inputs: Tensor, data_samples: list) -> list:
        """Predict every frame of the clips, tube by tube.

        Each clip is cut into test tubes (:meth:`_tube_spans`). The state
        (previous queries, tracker memory) persists across calls and
        resets on a new video, so whole-video samples and frame samples
        (tubes of one frame) both work; VIS needs whole videos.

        Returns:
            list: ``data_samples`` with ``pred_panoptic_seg``,
            ``pred_sem_seg`` and ``pred_track_instances`` (VPS),
            ``pred_sem_seg`` (VSS) or ``pred_track_instances`` (VIS) in
            every frame sample.
        """
        frames, samples = self.to_frames(
            inputs, data_samples, need_samples=True)
        num_frames = inputs.size(1) if inputs.dim() == 5 else 1
        pad_shape = frames.shape[-2:]
        for b in range(len(frames) // num_frames):
            clip = samples[b * num_frames:(b + 1) * num_frames]
            clip_frames = frames[b * num_frames:(b + 1) * num_frames]
            self.start_frame(clip[0].metainfo)
            tubes, done = [], 0
            for start, end in self._tube_spans(num_frames):
                tube = self._predict_tube(clip_frames[start:end])
                new = range(max(start, done), end)
                tube['frames'] = [i - start for i in new]
                tube['samples'] = [clip[i] for i in new]
                done = end
                if self.task == 'vis':
                    tubes.append(tube)
                else:
                    self._write_tube(tube, pad_shape)
            if self.task == 'vis':
                self._write_vis(tubes, pad_shape)
        return data_samples

    def _tube_mask_probs(self, tube: Dict, pad_shape) -> Tensor:
        """(Q, t', H0, W0) sigmoid masks of the tube's new frames."""
        return torch.stack([
            logits_to_original(tube['masks'][:, i], s.metainfo, pad_shape)
            for i, s in zip(tube['frames'], tube['samples'])
        ], 1).sigmoid()

    def _write_tube(self, tube: Dict, pad_shape) -> None:
        """Write the VPS / VSS predictions of a tube's new frames."""
        mask_probs = self._tube_mask_probs(tube, pad_shape)
        to_dataset = self.internal_to_dataset
        if self.task == 'vss':
            probs = tube['cls'].softmax(-1)[:, :-1]
            sem = torch.einsum('qc,qthw->cthw', probs, mask_probs).argmax(0)
            for t, sample in enumerate(tube['samples']):
                sample.pred_sem_seg = PixelData(data=to_dataset[sem[t]][None])
            return
        cfg = self.test_cfg
        segments = query_panoptic_merge(
            tube['cls'],
            mask_probs,
            self.num_thing_classes,
            object_mask_thr=cfg['object_mask_thr'],
            iou_thr=cfg['iou_thr'])
        things = [s for s in segments if s['is_thing']]
        ids = self._track(tube, things)
        shape = mask_probs.shape[1:]
        device = mask_probs.device
        pan = torch.full(shape, VOID_PANOPTIC, dtype=torch.long,
                         device=device)
        sem = torch.full(shape, IGNORE_INDEX, dtype=torch.long, device=device)
        thing_ids = iter(ids)
        for seg in segments:
            cls = int(to_dataset[seg['label']])
            tid = next(thing_ids) if seg['is_thing'] else 0
            pan[seg['mask']] = cls * LABEL_DIVISOR + tid
            sem[seg['mask']] = cls
        for t, sample in enumerate(tube['samples']):
            sample.pred_panoptic_seg = PixelData(sem_seg=pan[t][None])
            sample.pred_sem_seg = PixelData(data=sem[t][None])
            sample.pred_track_instances = self._frame_things(
                things, ids, t, shape[1:], device)

    def _track(self, tube: Dict, things: List[Dict]) -> List[int]:
        """Track ids (from 1; 0 untracked) of the tube's thing segments
        (per-tube segment numbers without a tracker)."""
        num_things = len(things)
        ids = list(range(1, num_things + 1))
        if things and self.tracker is not None:
            device = tube['embeds'].device
            masks = torch.stack([s['mask'] for s in things])
            tracked = self.tracker.track_masks(
                masks.flatten(1, 2),
                torch.tensor([s['label'] for s in things], device=device),
                torch.tensor([s['score'] for s in things], device=device),
                tube['embeds'][[s['query'] for s in things]].detach(),
                tube['index'])
            # ids stay below LABEL_DIVISOR: very long videos wrap around
            ids = torch.where(tracked >= 0,
                              tracked % (LABEL_DIVISOR - 1) + 1,
                              torch.zeros_like(tracked)).tolist()
        return ids

    def _frame_things(self, things: List[Dict], ids: List[int], t: int,
                      size, device) -> InstanceData:
        """``pred_track_instances`` of frame ``t`` of a tube: the tracked
        thing segments present on it (dataset labels)."""
        keep = [(s, i) for s, i in zip(things, ids)
                if i > 0 and s['mask'][t].any()]
        if not keep:
            return InstanceData(
                masks=torch.zeros((0, *size), dtype=torch.bool,
                                  device=device),
                labels=torch.zeros((0, ), dtype=torch.long, device=device),
                scores=torch.zeros((0, ), device=device),
                instances_id=torch.zeros((0, ), dtype=torch.long,
                                         device=device))
        labels = torch.tensor([s['label'] for s, _ in keep], device=device)
        return InstanceData(
            masks=torch.stack([s['mask'][t] for s, _ in keep]),
            labels=self.internal_to_dataset[labels],
            scores=torch.tensor([s['score'] for s, _ in keep],
                                device=device),
            instances_id=torch.tensor([i for _, i in keep],
                                      dtype=torch.long,
                                      device=device))

    @staticmethod
    def _match_queries(embeds: Tensor, prev: Tensor) -> Tensor:
        """(Q,) permutation putting the current queries in the order of the
        previous tube's: Hungarian matching on cosine similarity."""
        sim = F.normalize(embeds, dim=1) @ F.normalize(prev, dim=1).t()
        rows, cols = linear_sum_assignment(-sim.detach().cpu().numpy())
        perm = torch.arange(len(embeds), device=embeds.device)
        perm[torch.as_tensor(cols, device=embeds.device)] = torch.as_tensor(
            rows, device=embeds.device)
        return perm

    def _write_vis(self, tubes: List[Dict], pad_shape) -> None:
        """Associate a video's tubes (query matching) and write its top
        ``max_per_video`` instances on every frame.

        The instances are the top (query, class) pairs of the class
        probabilities averaged over the tubes. With
        ``test_cfg.mask_score`` (default, as the official VIS inference
        through mmdet's ``MaskFormerFusionHead``), an instance's score on
        a frame is its class probability times its mask score on that
        frame (the mean sigmoid probability inside its binary mask, 0 for
        an empty mask); otherwise the class probability alone.
        """
        prev, probs = None, 0
        for tube in tubes:
            if prev is not None:
                perm = self._match_queries(tube['embeds'], prev)
                for key in ('cls', 'masks', 'embeds'):
                    tube[key] = tube[key][perm]
            prev = tube['embeds']
            probs = probs + tube['cls'].softmax(-1)[:, :-1]
        probs = probs / len(tubes)
        nc = probs.size(1)
        k = min(self.test_cfg['max_per_video'], probs.numel())
        scores, inds = probs.flatten().topk(k)
        queries = torch.div(inds, nc, rounding_mode='floor')
        labels = self.internal_to_dataset[inds % nc]
        for tube in tubes:
            for i, sample in zip(tube['frames'], tube['samples']):
                logits = logits_to_original(tube['masks'][queries, i],
                                            sample.metainfo, pad_shape)
                masks = logits > 0
                frame_scores = scores
                if self.test_cfg['mask_score']:
                    frame_scores = scores * mask_scores(logits, masks)
                sample.pred_track_instances = InstanceData(
                    masks=masks,
                    labels=labels,
                    scores=frame_scores,
                    instances_id=torch.arange(k, device=scores.device))


def mask_scores(logits: Tensor, masks: Tensor) -> Tensor:
    """Mask2Former's mask scores: the mean sigmoid probability of each mask
    inside its binary mask.

    Args:
        logits (Tensor): (K, H, W) mask logits.
        masks (Tensor): (K, H, W) bool masks (usually ``logits > 0``).

    Returns:
        Tensor: (K,) scores in [0, 1]; 0 for an empty mask.
    """
    if logits.shape != masks.shape:
        raise ValueError(f'mask logits {tuple(logits.shape)} and masks '
                         f'{tuple(masks.shape)} differ in shape')
    binary = masks.flatten(1).to(logits.dtype)
    inside = (logits.flatten(1).sigmoid() * binary).sum(1)
    return inside / (binary.sum(1) + 1e-6)
