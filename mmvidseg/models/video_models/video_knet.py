# Copyright (c) OpenMMLab. All rights reserved.
import copy
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmdet.models.task_modules.samplers import SamplingResult
from mmdet.models.utils import multi_apply
from mmdet.utils import ConfigType, InstanceList, OptConfigType, OptMultiConfig
from mmengine.structures import InstanceData, PixelData
from torch import Tensor

from mmvidseg.registry import MODELS
from mmvidseg.structures import IGNORE_INDEX, LABEL_DIVISOR, VOID_PANOPTIC
from ..heads.kernel_targets import clip_targets, frame_targets
from ..heads.quasi_dense_embed import build_embed_fcs, quasi_dense_embed_losses
from ..utils import (key_frame_indices, logits_to_original, panoptic_merge,
                     semantic_argmax)
from .base import BaseVideoModel


@MODELS.register_module()
class VideoKNet(BaseVideoModel):
    """Video K-Net: kernel-based video panoptic, instance and semantic
    segmentation (Li et al., CVPR 2022).

    A Panoptic K-Net runs on every frame: backbone, FPN, a semantic-FPN
    fusion (:class:`KNetSemanticFPN`), initial thing/stuff kernels
    (:class:`KernelProposalHead`) and ``num_stages`` kernel-update stages
    (:class:`KernelIterHead`). The video parts (all switchable in config):

    * **kernel association embedding** (``num_embed_fcs`` Linear-LN-ReLU
      layers and a Linear, then ``embed_head``, mmdet's
      ``QuasiDenseEmbedHead``, on the last-stage thing kernels) trained with
      the quasi-dense temporal contrastive loss (``MultiPosCrossEntropyLoss``
      + ``L2Loss``) between the key frame and its reference frame(s);
      positives are the kernels assigned to the same ground-truth track in
      both frames (assignment on the final predictions);
    * **kernel linking** and **kernel fusion** with the previous frame's
      kernels in the last stage (``iter_head.with_link`` /
      ``iter_head.with_fusion``); in training the key frame links to its
      first reference frame;
    * an online tracker (:class:`KernelQuasiDenseTracker`) that matches the
      embeddings of the segmented things with a memory, giving persistent
      track ids.

    Tasks (``task``):

    * ``'vps'``: per frame ``pred_panoptic_seg`` (``class * 1000 + track``;
      stuff track 0; void ``255 * 1000``), ``pred_sem_seg`` and
      ``pred_track_instances`` (tracked things).
    * ``'vss'``: no thing classes, no tracking: ``pred_sem_seg`` from the
      stuff kernels (kernel fusion may still be used).
    * ``'vis'``: clip-level video instance segmentation. The per-frame
      last-stage thing kernels are averaged over the clip ("mean
      kernels") and refined on the whole clip by ``clip_head`` (a
      :class:`KernelClipIterHead`: clip-level stages, then per-frame
      stages; one class per kernel and one mask per frame, trained with
      tube targets). At test time a sample
      is a whole video; the top ``max_per_video`` (kernel, class) pairs
      become tracks: ``pred_track_instances`` on every frame.

    Labels: dataset class ids are mapped to internal labels, things first
    (in ``thing_classes`` order) then the remaining classes as stuff.

    Args:
        backbone (dict): Backbone config (e.g. ``mmdet.ResNet``).
        neck (dict): FPN config (e.g. ``mmdet.FPN``).
        semantic_fpn (dict): :class:`KNetSemanticFPN` config.
        proposal_head (dict): :class:`KernelProposalHead` config; class
            numbers are filled in from ``num_classes``/``thing_classes``.
        iter_head (dict): :class:`KernelIterHead` config; class numbers and
            ``num_proposals`` are filled in.
        num_classes (int): Number of dataset classes.
        thing_classes (Sequence[int]): Dataset ids of the thing classes.
        task (str): ``'vps'``, ``'vss'`` or ``'vis'``. Defaults to 'vps'.
        embed_head (dict, optional): Association embedding head, e.g.
            ``dict(type='mmdet.QuasiDenseEmbedHead', ...)``. None: no
            contrastive loss; the tracker then matches the last-stage
            kernels themselves (the K-Net baseline of the paper's ablation;
            use the tracker's ``match_metric='cosine'``). Kernel linking
            only learns through this head.
        num_embed_fcs (int): Linear(no bias)-LN-ReLU layers, followed by a
            Linear (``fc_embed``), between the kernels and ``embed_head``
            (the official ``embed_fcs``). 0: the kernels go straight into
            ``embed_head``. Defaults to 1.
        tracker (dict, optional): Tracker config (VPS). None: thing ids are
            per-frame segment numbers.
        clip_head (dict, optional): :class:`KernelClipIterHead` config of the
            clip stages (required for VIS).
        mask_assign_stride (int): Stride of the training targets (masks are
            resized to it). Defaults to 4.
        test_cfg (dict, optional): ``max_per_img`` (100),
            ``instance_score_thr`` (0.25), ``overlap_thr`` (0.6),
            ``max_per_video`` (VIS, 10), ``semantic_filter`` (True: the
            tracker's duplicate removal uses the boxes of the thing masks
            restricted to pixels the semantic head calls a thing, as the
            official ``semantic_filter``).
        data_preprocessor (dict, optional): Usually
            ``VideoDataPreprocessor``.
        init_cfg (dict, optional): Initialisation config.
    """

    TASKS = ('vps', 'vss', 'vis')

    def __init__(self,
                 backbone: ConfigType,
                 neck: ConfigType,
                 semantic_fpn: ConfigType,
                 proposal_head: ConfigType,
                 iter_head: ConfigType,
                 num_classes: int,
                 thing_classes: Sequence[int],
                 task: str = 'vps',
                 embed_head: OptConfigType = None,
                 num_embed_fcs: int = 1,
                 tracker: OptConfigType = None,
                 clip_head: OptConfigType = None,
                 mask_assign_stride: int = 4,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        thing_classes = self._check_classes(task, num_classes, thing_classes,
                                            clip_head)
        self.task = task
        self._set_label_maps(num_classes, thing_classes)
        nt, ns = self.num_thing_classes, self.num_stuff_classes

        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck)
        self.semantic_fpn = MODELS.build(semantic_fpn)
        proposal_head = copy.deepcopy(proposal_head)
        proposal_head.update(num_thing_classes=nt, num_stuff_classes=ns)
        if not nt:
            proposal_head['num_proposals'] = 0
        self.proposal_head = MODELS.build(proposal_head)
        self.num_proposals = self.proposal_head.num_proposals
        self.iter_head = MODELS.build(
            self._head_cfg(iter_head, nt, ns, self.num_proposals))
        self.clip_head = None
        if clip_head is not None:
            self.clip_head = MODELS.build(
                self._head_cfg(clip_head, nt, 0, self.num_proposals))
        self.embed_head = MODELS.build(embed_head) if embed_head else None
        self._build_embed_fcs(num_embed_fcs)
        self.tracker_cfg = tracker if task == 'vps' else None
        self.tracker = MODELS.build(tracker) if self.tracker_cfg else None
        self.mask_assign_stride = mask_assign_stride
        self.test_cfg = dict(
            max_per_img=100,
            instance_score_thr=0.25,
            overlap_thr=0.6,
            max_per_video=10,
            semantic_filter=True)
        self.test_cfg.update(test_cfg or {})
        # online state of predict(): previous kernels of the current video
        self._prev_kernels: Optional[Tensor] = None

    def _build_embed_fcs(self, num_embed_fcs: int) -> None:
        """``embed_fcs`` (Linear-LN-ReLU x n) and ``fc_embed`` (Linear)
        before the embedding head; None without them."""
        self.embed_fcs = self.fc_embed = None
        if self.embed_head is None:
            return
        self.embed_fcs, self.fc_embed = build_embed_fcs(
            self.embed_head.in_channels, num_embed_fcs)

    def embed(self, kernels: Tensor) -> Tensor:
        """Association embeddings (..., D) of (..., C) kernels:
        ``embed_fcs``, ``fc_embed``, then ``embed_head``."""
        if self.embed_fcs is not None:
            kernels = self.fc_embed(self.embed_fcs(kernels))
        return self.embed_head(kernels)

    @classmethod
    def _check_classes(cls, task: str, num_classes: int,
                       thing_classes: Sequence[int],
                       clip_head: OptConfigType) -> List[int]:
        """Validate the task and class arguments; thing ids as ints."""
        if task not in cls.TASKS:
            raise ValueError(f'task must be one of {cls.TASKS}, got {task!r}')
        thing_classes = [int(c) for c in thing_classes]
        bad = [c for c in thing_classes if not 0 <= c < num_classes]
        if bad or len(set(thing_classes)) != len(thing_classes):
            raise ValueError(f'thing_classes {thing_classes} must be distinct '
                             f'class ids in [0, {num_classes})')
        if not 0 < num_classes < IGNORE_INDEX:
            raise ValueError(f'num_classes must be in [1, {IGNORE_INDEX}), '
                             f'got {num_classes}')
        if task == 'vss' and thing_classes:
            raise ValueError("task 'vss' segments stuff only: set "
                             'thing_classes=[]')
        if task == 'vis' and (len(thing_classes) != num_classes
                              or clip_head is None):
            raise ValueError("task 'vis' needs every class in thing_classes "
                             'and a clip_head')
        return thing_classes

    def _set_label_maps(self, num_classes: int,
                        thing_classes: List[int]) -> None:
        """Class lists and the dataset id <-> internal label buffers.

        Internal labels put the things first (in ``thing_classes`` order),
        then the remaining classes as stuff.
        """
        self.num_classes = num_classes
        self.thing_classes = thing_classes
        self.stuff_classes = [
            c for c in range(num_classes) if c not in thing_classes
        ]
        nt, ns = len(self.thing_classes), len(self.stuff_classes)
        self.num_thing_classes, self.num_stuff_classes = nt, ns
        internal_to_dataset = self.thing_classes + self.stuff_classes
        label_map = torch.full((256, ), IGNORE_INDEX, dtype=torch.long)
        label_map[torch.tensor(internal_to_dataset, dtype=torch.long)] = \
            torch.arange(nt + ns)
        self.register_buffer('label_map', label_map, persistent=False)
        self.register_buffer(
            'internal_to_dataset',
            torch.tensor(internal_to_dataset, dtype=torch.long),
            persistent=False)

    def reset_state(self) -> None:
        """Forget the previous kernels and the tracker memory."""
        self._prev_kernels = None
        if self.tracker is not None:
            self.tracker.reset()

    @staticmethod
    def _head_cfg(cfg: dict, nt: int, ns: int, num_proposals: int) -> dict:
        cfg = copy.deepcopy(cfg)
        cfg.update(
            num_thing_classes=nt,
            num_stuff_classes=ns,
            num_proposals=num_proposals)
        return cfg

    # ------------------------------------------------------------------
    # shared pieces
    # ------------------------------------------------------------------
    def extract_feat(self, frames: Tensor) -> Tuple[Tensor, Tensor]:
        """Backbone, FPN and semantic FPN: (loc, sem) (B, C, h, w)."""
        return self.semantic_fpn(self.neck(self.backbone(frames)))

    def _initial(self, frames: Tensor) -> Dict[str, Tensor]:
        return self.proposal_head(*self.extract_feat(frames))

    def _stages(self,
                init: Dict[str, Tensor],
                inds=slice(None),
                prev_kernels: Optional[Tensor] = None) -> List[Dict]:
        """The kernel-update stages (``iter_head``) on the frames ``inds``
        (a list of indices or a slice) of the initial outputs ``init``."""
        return self.iter_head(
            init['x_feats'][inds],
            init['kernels'][inds],
            init['mask_preds'][inds],
            prev_kernels=prev_kernels)

    def _targets(self, frame_samples: list,
                 pad_shape) -> Tuple[InstanceList, List[PixelData]]:
        """Per frame ``gt_instances`` and ``gt_sem_seg`` (see
        :func:`~mmvidseg.models.heads.kernel_targets.frame_targets`) at
        ``mask_assign_stride``."""
        stride = self.mask_assign_stride
        return multi_apply(
            frame_targets,
            frame_samples,
            label_map=self.label_map,
            num_thing_classes=self.num_thing_classes,
            num_stuff_classes=self.num_stuff_classes,
            pad_shape=pad_shape,
            size=(pad_shape[0] // stride, pad_shape[1] // stride),
            device=self.label_map.device)

    def _forward(self, inputs: Tensor, data_samples=None) -> tuple:
        """Last-stage class logits (B, K, C) and mask logits (B, K, h, w)
        of every frame (no previous kernels), for FLOPs counting."""
        frames, _ = self.to_frames(inputs)
        init = self._initial(frames)
        out = self._stages(init)[-1]
        return out['cls_scores'], out['mask_preds']

    # ------------------------------------------------------------------
    # training
    # ------------------------------------------------------------------
    def loss(self, inputs: Tensor, data_samples: list) -> Dict[str, Tensor]:
        """Losses of a batch of clips (key frame + reference frames).

        As in the official code, the key and the reference frames each
        carry their own full set of losses (initial kernels and stages),
        which the optimiser sums.

        Returns:
            dict: ``loss_rpn_*`` and ``s{k}_loss_*`` (key frames; all
            frames without references and for VIS), ``ref_loss_rpn_*`` and
            ``ref_s{k}_loss_*`` (reference frames, averaged over them),
            ``loss_track`` and ``loss_track_aux`` (embedding),
            ``clip_s{k}_loss_*`` (VIS).
        """
        frames, frame_samples = self.to_frames(inputs, data_samples)
        num_frames = inputs.shape[1] if inputs.dim() == 5 else 1
        init = self._initial(frames)
        gts, gt_sem_segs = self._targets(frame_samples, frames.shape[-2:])

        if self.task == 'vis' or num_frames == 1:
            losses = self._rpn_loss(init, gts, gt_sem_segs,
                                    list(range(len(gts))))
            results = self._stages(init)
            losses.update(
                self.iter_head.loss_by_feat(results, init['mask_preds'], gts))
            if self.task == 'vis' and num_frames > 1:
                losses.update(
                    self._clip_loss(init['x_feats'], results[-1], gts,
                                    len(data_samples), num_frames))
            return losses

        keys = key_frame_indices(data_samples, num_frames)
        if len(keys) != len(data_samples):
            raise ValueError('Video K-Net trains on clips with exactly one '
                             'key frame each (key_frames_inds metainfo)')
        refs = [i for i in range(len(frame_samples)) if i not in set(keys)]
        losses = self._rpn_loss(init, gts, gt_sem_segs, keys)
        ref_rpn = self._rpn_loss(init, gts, gt_sem_segs, refs)
        losses.update({f'ref_{k}': v for k, v in ref_rpn.items()})

        ref_results = self._stages(init, refs)
        ref_gts = [gts[i] for i in refs]
        ref_losses = self.iter_head.loss_by_feat(ref_results,
                                                 init['mask_preds'][refs],
                                                 ref_gts)
        losses.update({f'ref_{k}': v for k, v in ref_losses.items()})

        # each key frame links to the first reference frame of its clip
        refs_per_clip = num_frames - 1
        prev = None
        if self.iter_head.uses_previous:
            prev = ref_results[-1]['kernels'][::refs_per_clip]
        key_results = self._stages(init, keys, prev_kernels=prev)
        key_gts = [gts[i] for i in keys]
        losses.update(
            self.iter_head.loss_by_feat(key_results, init['mask_preds'][keys],
                                        key_gts))

        if self.embed_head is not None:
            losses.update(
                self._embed_loss(key_results[-1], key_gts, ref_results[-1],
                                 ref_gts, refs_per_clip))
        return losses

    def _rpn_loss(self, init: Dict[str, Tensor], gts: InstanceList,
                  gt_sem_segs: List[PixelData],
                  inds: List[int]) -> Dict[str, Tensor]:
        """Initial-kernel losses (``loss_rpn_*``) of the frames ``inds``."""
        return self.proposal_head.loss_by_feat(init['mask_preds'][inds],
                                               init['seg_preds'][inds],
                                               [gts[i] for i in inds],
                                               [gt_sem_segs[i] for i in inds])

    def _matched_ids(self, sampling_result: SamplingResult,
                     gt_instances: InstanceData) -> Tensor:
        """(P,) track ids of the things matched to the positive proposals
        ``sampling_result.pos_inds``."""
        things = gt_instances.labels < self.num_thing_classes
        return gt_instances.instances_ids[things][
            sampling_result.pos_assigned_gt_inds]

    def _embed_loss(self, key_last: Dict[str, Tensor], key_gts: InstanceList,
                    ref_last: Dict[str, Tensor], ref_gts: InstanceList,
                    refs_per_clip: int) -> Dict[str, Tensor]:
        """Quasi-dense contrastive loss between key and reference kernels.

        Per clip, the key frame's positive thing kernels (its linked
        ``track_kernels``) are compared with the positive thing kernels of
        all its reference frames: pairs assigned to the same ground-truth
        track are positives. Positives come from the matching on the last
        stage's own predictions.

        Args:
            key_last (dict): Last-stage outputs of the B key frames.
            key_gts (list[:obj:`InstanceData`]): Their targets.
            ref_last (dict): Last-stage outputs of the B * refs_per_clip
                reference frames (clip by clip).
            ref_gts (list[:obj:`InstanceData`]): Their targets.
            refs_per_clip (int): Reference frames per clip.

        Returns:
            dict[str, Tensor]: ``loss_track`` (and ``loss_track_aux``).
        """
        head = self.embed_head
        key_matches = self.iter_head.get_targets(key_last['cls_scores'],
                                                 key_last['mask_preds'],
                                                 key_gts)[-1]
        ref_matches = self.iter_head.get_targets(ref_last['cls_scores'],
                                                 ref_last['mask_preds'],
                                                 ref_gts)[-1]
        key_kernels = key_last['track_kernels']
        ref_kernels = ref_last['kernels']
        pairs = []
        for b in range(len(key_gts)):
            key_embeds = self.embed(key_kernels[b, key_matches[b].pos_inds])
            key_ids = self._matched_ids(key_matches[b], key_gts[b])
            ref_embeds, ref_ids = [], []
            for r in range(b * refs_per_clip, (b + 1) * refs_per_clip):
                ref_embeds.append(
                    self.embed(ref_kernels[r, ref_matches[r].pos_inds]))
                ref_ids.append(self._matched_ids(ref_matches[r], ref_gts[r]))
            pairs.append((key_embeds, key_ids, torch.cat(ref_embeds),
                          torch.cat(ref_ids)))
        return quasi_dense_embed_losses(head, pairs, key_kernels.sum() * 0)

    def _clip_inputs(self, x_feats: Tensor, last: Dict, num_clips: int,
                     num_frames: int) -> Tuple[Tensor, Tensor, Tensor]:
        """Clip features, mean kernels and per-frame masks (VIS)."""
        n = self.num_proposals
        x = x_feats.unflatten(0, (num_clips, num_frames))
        kernels = last['kernels'][:, :n].unflatten(
            0, (num_clips, num_frames)).mean(1)
        masks = last['mask_preds'][:, :n].unflatten(
            0, (num_clips, num_frames)).transpose(1, 2)
        return x, kernels, masks

    def _clip_loss(self, x_feats: Tensor, last: Dict, gts: InstanceList,
                   num_clips: int, num_frames: int) -> Dict[str, Tensor]:
        """Losses of the clip stages (VIS) against tube targets:
        ``clip_s{k}_loss_*``."""
        x, kernels, masks = self._clip_inputs(x_feats, last, num_clips,
                                              num_frames)
        tubes = [
            clip_targets(gts[b * num_frames:(b + 1) * num_frames],
                         self.num_thing_classes) for b in range(num_clips)
        ]
        results = self.clip_head(x, kernels, masks)
        losses = self.clip_head.loss_by_feat(results, masks, tubes)
        return {f'clip_{k}': v for k, v in losses.items()}

    # ------------------------------------------------------------------
    # inference
    # ------------------------------------------------------------------
    def predict(self, inputs: Tensor, data_samples: list) -> list:
        """Predict every frame of the clips, online and in order.

        For VPS/VSS the frames of a clip are processed one after another;
        the previous kernels and the tracker memory persist across calls
        and are reset when a frame has ``frame_id`` 0 or another video id,
        so both whole-video samples and frame-by-frame samples
        (``TrackImgSampler``) work. For VIS every sample must be a whole
        video.

        Returns:
            list: ``data_samples`` with the ``pred_*`` fields written to
            every frame sample.
        """
        frames, frame_samples = self.to_frames(inputs, data_samples)
        num_frames = inputs.shape[1] if inputs.dim() == 5 else 1
        init = self._initial(frames)
        pad_shape = frames.shape[-2:]
        if self.task == 'vis':
            self._predict_vis(init, frame_samples,
                              len(frames) // num_frames, num_frames, pad_shape)
            return data_samples
        for i, sample in enumerate(frame_samples):
            self._predict_frame(sample, init, i, pad_shape)
        return data_samples

    def _predict_frame(self, sample, init: Dict[str, Tensor], i: int,
                       pad_shape) -> Tuple[Dict[str, Tensor], List[dict]]:
        """Online VPS/VSS prediction of frame ``i`` of ``init``, written to
        ``sample``.

        Returns:
            tuple: The last stage's outputs (batch of one) and the panoptic
            segments of :func:`panoptic_merge` (empty for VSS).
        """
        meta = sample.metainfo
        self.start_frame(meta)
        prev = self._prev_kernels if self.iter_head.uses_previous else None
        last = self._stages(init, slice(i, i + 1), prev_kernels=prev)[-1]
        self._prev_kernels = last['kernels']
        cls_probs = last['cls_scores'][0].sigmoid()
        mask_probs = logits_to_original(last['mask_preds'][0], meta,
                                        pad_shape).sigmoid()
        if self.task == 'vss':
            sem = semantic_argmax(cls_probs, mask_probs, self.num_proposals,
                                  self.num_thing_classes)
            sample.pred_sem_seg = PixelData(
                data=self.internal_to_dataset[sem][None])
            return last, []
        thing_area = None
        if self.test_cfg['semantic_filter']:
            seg = logits_to_original(init['seg_preds'][i], meta, pad_shape)
            thing_area = seg.argmax(0) < self.num_thing_classes
        segments = self._panoptic_frame(sample, last, cls_probs, mask_probs,
                                        meta.get('frame_id', 0), thing_area)
        return last, segments

    def _panoptic_frame(self,
                        sample,
                        last: Dict,
                        cls_probs: Tensor,
                        mask_probs: Tensor,
                        frame_id: int,
                        thing_area: Optional[Tensor] = None) -> List[dict]:
        """Merge, track and write the VPS predictions of one frame.

        ``thing_area`` (H, W) bool, the pixels the semantic head calls a
        thing: the tracker's boxes come from the thing masks restricted to
        it (the official semantic filter); None: from the masks.

        Returns:
            list[dict]: The segments of :func:`panoptic_merge` (``mask``
            (H, W) bool, ``kernel``, ``label``, ``is_thing``, ``score``).
        """
        cfg = self.test_cfg
        segments = panoptic_merge(
            cls_probs,
            mask_probs,
            self.num_proposals,
            self.num_thing_classes,
            max_per_img=cfg['max_per_img'],
            instance_score_thr=cfg['instance_score_thr'],
            overlap_thr=cfg['overlap_thr'])
        height, width = mask_probs.shape[-2:]
        device = mask_probs.device
        to_dataset = self.internal_to_dataset
        pan = torch.full((height, width),
                         VOID_PANOPTIC,
                         dtype=torch.long,
                         device=device)
        sem = torch.full((height, width),
                         IGNORE_INDEX,
                         dtype=torch.long,
                         device=device)
        things = [s for s in segments if s['is_thing']]
        for seg in segments:
            if not seg['is_thing']:
                cls = int(to_dataset[seg['label']])
                pan[seg['mask']] = cls * LABEL_DIVISOR
                sem[seg['mask']] = cls
        ids = torch.arange(1, len(things) + 1)
        if things and self.tracker is not None:
            inds = [s['kernel'] for s in things]
            if self.embed_head is not None:
                embeds = self.embed(last['track_kernels'][0, inds])
            else:  # linked kernels are only trained through the embedding
                embeds = last['kernels'][0, inds]
            masks = torch.stack([s['mask'] for s in things])
            tracked = self.tracker.track_masks(
                masks,
                torch.tensor([s['label'] for s in things], device=device),
                torch.tensor([s['score'] for s in things], device=device),
                embeds.detach(),
                int(frame_id),
                boxes=thing_boxes(masks, thing_area))
            # track ids count from 1; 0 marks an untracked thing. Ids must
            # stay below LABEL_DIVISOR: very long videos wrap around.
            ids = torch.where(tracked >= 0, tracked % (LABEL_DIVISOR - 1) + 1,
                              torch.zeros_like(tracked))
        out_masks, out_labels, out_scores, out_ids = [], [], [], []
        for seg, tid in zip(things, ids.tolist()):
            cls = int(to_dataset[seg['label']])
            pan[seg['mask']] = cls * LABEL_DIVISOR + tid
            sem[seg['mask']] = cls
            if tid > 0:
                out_masks.append(seg['mask'])
                out_labels.append(cls)
                out_scores.append(seg['score'])
                out_ids.append(tid)
        sample.pred_panoptic_seg = PixelData(sem_seg=pan[None])
        sample.pred_sem_seg = PixelData(data=sem[None])
        sample.pred_track_instances = _instances(out_masks, out_labels,
                                                 out_scores, out_ids,
                                                 (height, width), device)
        return segments

    def _predict_vis(self, init: Dict, frame_samples: list, num_clips: int,
                     num_frames: int, pad_shape) -> None:
        """Clip-level VIS: every clip is one whole video."""
        last = self._stages(init)[-1]
        x, kernels, masks = self._clip_inputs(init['x_feats'], last, num_clips,
                                              num_frames)
        results = self.clip_head(x, kernels, masks)
        # classes of the last stage with a classifier, masks of the last
        cls_scores = [r for r in results
                      if r['cls_scores'] is not None][-1]['cls_scores']
        final = results[-1]
        nt = self.num_thing_classes
        for b in range(num_clips):
            probs = cls_scores[b].sigmoid()
            k = min(self.test_cfg['max_per_video'], probs.numel())
            scores, inds = probs.flatten().topk(k)
            labels = inds % nt
            kernel_inds = torch.div(inds, nt, rounding_mode='floor')
            tubes = final['mask_preds'][b, kernel_inds]  # (k, T, h, w)
            classes = self.internal_to_dataset[labels]
            for t in range(num_frames):
                sample = frame_samples[b * num_frames + t]
                frame_masks = logits_to_original(tubes[:, t], sample.metainfo,
                                                 pad_shape) > 0
                sample.pred_track_instances = InstanceData(
                    masks=frame_masks,
                    labels=classes,
                    scores=scores,
                    instances_id=torch.arange(k, device=scores.device))


def thing_boxes(masks: Tensor, thing_area: Optional[Tensor] = None) -> Tensor:
    """Tracking boxes of (K, H, W) bool thing masks, as the official
    Video K-Net: ``(x1, y1, x2, y2)`` of the extreme pixels (no +1) of
    each mask restricted to ``thing_area`` (H, W) when given; a mask left
    empty gets the official dummy box ``(-1, -1, 10, 10)``.

    Returns:
        Tensor: (K, 4) float boxes.
    """
    if thing_area is not None:
        masks = masks & thing_area[None]
    boxes = masks.new_tensor([-1., -1., 10., 10.],
                             dtype=torch.float).repeat(len(masks), 1)
    cols, rows = masks.any(1), masks.any(2)  # (K, W), (K, H)
    for k in torch.nonzero(cols.any(1)).flatten().tolist():
        xs = torch.nonzero(cols[k]).flatten()
        ys = torch.nonzero(rows[k]).flatten()
        boxes[k] = boxes.new_tensor([xs[0], ys[0], xs[-1], ys[-1]])
    return boxes


def _instances(masks: list, labels: list, scores: list, ids: list, size,
               device) -> InstanceData:
    """``InstanceData`` of tracked things (possibly empty)."""
    if masks:
        return InstanceData(
            masks=torch.stack(masks),
            labels=torch.tensor(labels, dtype=torch.long, device=device),
            scores=torch.tensor(scores, device=device),
            instances_id=torch.tensor(ids, dtype=torch.long, device=device))
    return InstanceData(
        masks=torch.zeros((0, *size), dtype=torch.bool, device=device),
        labels=torch.zeros((0, ), dtype=torch.long, device=device),
        scores=torch.zeros((0, ), device=device),
        instances_id=torch.zeros((0, ), dtype=torch.long, device=device))
