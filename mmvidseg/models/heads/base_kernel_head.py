# Copyright (c) OpenMMLab. All rights reserved.
from abc import abstractmethod
from typing import Dict, List, Optional, Tuple

import torch
from mmdet.models.task_modules.samplers import SamplingResult
from mmdet.models.utils import multi_apply
from mmdet.utils import ConfigType, InstanceList, OptConfigType, OptMultiConfig
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor

from mmvidseg.registry import MODELS, TASK_UTILS
from mmvidseg.structures import IGNORE_INDEX
from .kernel_targets import resize_to

# K-Net's mask matching costs (Dice 4, pixel agreement 1), part of every
# kernel head's default assigner
MASK_MATCH_COSTS = (
    dict(type='mmdet.DiceCost', weight=4.0, pred_act=True, naive_dice=False),
    dict(type='MaskCost', weight=1.0, pred_act=True),
)


class BaseKernelHead(BaseModule):
    """Base of the K-Net heads: kernel targets and losses, mmdet-shaped.

    A kernel head predicts one mask (and possibly a class) per kernel.
    Kernels are ordered ``num_proposals`` thing proposals, then, in heads
    that predict them, one kernel per stuff class (stuff kernel ``j``
    always predicts stuff class ``j``). Labels are things ``[0, nt)`` then
    stuff ``[nt, nt + ns)``; ``nt + ns`` marks a negative.

    This class owns the training side that the heads share, shaped like
    mmdet's ``MaskFormerHead``:

    * :meth:`_get_targets_single` matches the thing proposals of one
      image (or clip) to its ground-truth things (``assigner`` +
      ``sampler``, mask costs and optionally class costs) and gives the
      class and mask targets of every kernel; :meth:`get_targets` maps it
      over a batch with ``multi_apply``;
    * :meth:`loss_by_feat_single` gives the losses of one set of kernel
      predictions: classification (``loss_cls``, thing proposals are not
      penalised on stuff classes, stuff kernels only on their own class),
      :meth:`rank_loss` (``loss_rank``), mask BCE and Dice on the positive
      kernels (:meth:`mask_losses`).

    Ground truth is one :class:`~mmengine.structures.InstanceData` per
    image, frame or clip from
    :func:`~mmvidseg.models.heads.kernel_targets.frame_targets` or
    :func:`~mmvidseg.models.heads.kernel_targets.clip_targets`: ``masks``
    (G, [T,] H', W') soft masks, ``labels`` (G,) internal labels (things
    and stuff) and ``instances_ids`` (G,).

    Subclasses build their layers and implement ``forward`` and
    :meth:`loss_by_feat`.

    Args:
        num_proposals (int): Thing proposals N. Defaults to 100.
        num_thing_classes (int): Thing classes nt. Defaults to 80.
        num_stuff_classes (int): Stuff classes ns. Defaults to 53.
        assigner (dict): Hungarian assigner (mmdet) of the thing
            proposals. Defaults to mask costs only (Dice 4,
            :class:`MaskCost` 1).
        sampler (dict): Sampler of the assignment. Defaults to mmdet's
            ``MaskPseudoSampler`` (every matched proposal is positive).
        loss_cls (dict, optional): Classification loss of the kernels'
            class logits (sigmoid, e.g. ``mmdet.FocalLoss``); None for a
            head without a classifier. Defaults to None.
        loss_mask (dict): Mask BCE loss. Defaults to weight 1.
        loss_dice (dict): Dice loss. Defaults to weight 4.
        loss_rank (dict, optional): K-Net's rank loss: a softmax
            cross-entropy over the kernels at every pixel of a positive
            target mask, whose label is the kernel assigned to that mask
            (the official base config uses
            ``dict(type='mmdet.CrossEntropyLoss', loss_weight=0.1)``). It
            pushes kernels of neighbouring things of one class apart.
            Defaults to None.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None.
    """

    def __init__(self,
                 num_proposals: int = 100,
                 num_thing_classes: int = 80,
                 num_stuff_classes: int = 53,
                 assigner: ConfigType = dict(
                     type='mmdet.HungarianAssigner',
                     match_costs=list(MASK_MATCH_COSTS)),
                 sampler: ConfigType = dict(type='mmdet.MaskPseudoSampler'),
                 loss_cls: OptConfigType = None,
                 loss_mask: ConfigType = dict(
                     type='mmdet.CrossEntropyLoss',
                     use_sigmoid=True,
                     loss_weight=1.0),
                 loss_dice: ConfigType = dict(
                     type='mmdet.DiceLoss', loss_weight=4.0),
                 loss_rank: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_thing_classes + num_stuff_classes < 1:
            raise ValueError(f'{type(self).__name__} needs at least one '
                             'class')
        self.num_proposals = num_proposals
        self.num_thing_classes = num_thing_classes
        self.num_stuff_classes = num_stuff_classes
        self.num_classes = num_thing_classes + num_stuff_classes
        self.assigner = TASK_UTILS.build(assigner)
        self.sampler = TASK_UTILS.build(sampler)
        self.loss_cls = MODELS.build(loss_cls) if loss_cls else None
        self.loss_mask = MODELS.build(loss_mask)
        self.loss_dice = MODELS.build(loss_dice)
        self.loss_rank = MODELS.build(loss_rank) if loss_rank else None

    @abstractmethod
    def loss_by_feat(self, *args, **kwargs) -> Dict[str, Tensor]:
        """Losses from the outputs of ``forward`` and the targets."""

    def _get_targets_single(self,
                            cls_score: Optional[Tensor],
                            mask_pred: Tensor,
                            gt_instances: InstanceData,
                            depth_pred: Optional[Tensor] = None) -> tuple:
        """Class and mask targets of the kernels of one image (or clip).

        The thing proposals (kernels ``[0, N)``) are Hungarian-matched to
        the ground-truth things; with stuff kernels (``K > N``), kernel
        ``N + j`` is positive when stuff class ``nt + j`` is present.

        Args:
            cls_score (Tensor, optional): (K, nt + ns) class logits the
                matching uses; None (initial proposals): zero logits, so
                class costs do not change the matching.
            mask_pred (Tensor): (K, [T,] H', W') mask logits at the
                targets' resolution, used for the matching.
            gt_instances (:obj:`InstanceData`): ``masks`` (G, [T,] H', W'),
                ``labels`` (G,) internal labels; with ``depth_pred`` its
                metainfo ``gt_depth`` (H', W') metres (0: no depth).
            depth_pred (Tensor, optional): (K, H', W') per-kernel depths in
                metres; given, the matching also sees them (``depths`` of
                the predictions, ``gt_depth`` of the targets' metainfo,
                for a depth cost such as :class:`DepthCost`).

        Returns:
            tuple:

            - labels (Tensor): (K,) class targets, ``nt + ns`` for the
              negatives.
            - label_weights (Tensor): (K, nt + ns) class-wise weights of
              the classification loss.
            - mask_targets (Tensor): (P, [T,] H', W') targets of the
              positive kernels, in the order of ``pos_inds``.
            - pos_inds (Tensor): (P,) positive kernels: the matched
              proposals, then the stuff kernels of the present stuff
              (ascending when the stuff labels are sorted).
            - sampling_result (:obj:`SamplingResult`): The matching of the
              thing proposals (``pos_inds``, ``pos_assigned_gt_inds``
              indexing the things of ``gt_instances``).
        """
        n, nt, c = self.num_proposals, self.num_thing_classes, \
            self.num_classes
        num_kernels = mask_pred.shape[0]
        is_thing = gt_instances.labels < nt
        things = gt_instances[is_thing]
        proposals = mask_pred[:n].detach()
        if cls_score is None:
            scores = proposals.new_zeros((len(proposals), max(nt, 1)))
        else:
            scores = cls_score[:n, :nt].detach()
        pred = InstanceData(masks=proposals.flatten(1), scores=scores)
        gt = InstanceData(masks=things.masks.flatten(1), labels=things.labels)
        if depth_pred is not None:
            pred.depths = depth_pred[:n].detach().flatten(1)
            gt.set_metainfo(
                dict(gt_depth=gt_instances.metainfo['gt_depth'].flatten()))
        sampling_result = self.sampler.sample(
            self.assigner.assign(pred, gt), pred, gt)
        pos_gt = sampling_result.pos_assigned_gt_inds

        labels = mask_pred.new_full((num_kernels, ), c, dtype=torch.long)
        labels[sampling_result.pos_inds] = things.labels[pos_gt]
        label_weights = mask_pred.new_zeros((num_kernels, c))
        label_weights[:n, :nt] = 1.0
        pos_inds = [sampling_result.pos_inds]
        mask_targets = [things.masks[pos_gt]]
        if num_kernels > n:
            label_weights[n:, nt:] = torch.eye(
                c - nt, device=mask_pred.device)
            stuff = gt_instances[~is_thing]
            stuff_inds = stuff.labels - nt + n
            labels[stuff_inds] = stuff.labels
            pos_inds.append(stuff_inds)
            mask_targets.append(stuff.masks)
        return (labels, label_weights, torch.cat(mask_targets),
                torch.cat(pos_inds), sampling_result)

    def get_targets(
        self,
        cls_scores: Optional[Tensor],
        mask_preds: Tensor,
        batch_gt_instances: InstanceList,
        depth_preds: Optional[Tensor] = None
    ) -> Tuple[List[Tensor], List[Tensor], List[Tensor], List[Tensor],
               List[SamplingResult]]:
        """:meth:`_get_targets_single` of every image of a batch.

        Args:
            cls_scores (Tensor, optional): (B, K, nt + ns) class logits for
                the matching; None: mask costs only.
            mask_preds (Tensor): (B, K, [T,] h, w) mask logits, resized to
                the targets' (H', W') for the matching.
            batch_gt_instances (list[:obj:`InstanceData`]): B targets.
            depth_preds (Tensor, optional): (B, K, h, w) per-kernel depths
                in metres for a depth matching cost (see
                :meth:`_get_targets_single`). Defaults to None.

        Returns:
            tuple: Per image lists of ``labels``, ``label_weights``,
            ``mask_targets``, ``pos_inds`` and ``sampling_result``.
        """
        size = batch_gt_instances[0].masks.shape[-2:]
        mask_preds = resize_to(mask_preds, size)
        if cls_scores is None:
            cls_scores = [None] * len(mask_preds)
        if depth_preds is None:
            depth_preds = [None] * len(mask_preds)
        else:
            depth_preds = resize_to(depth_preds, size)
        return multi_apply(self._get_targets_single, cls_scores, mask_preds,
                           batch_gt_instances, depth_preds)

    def loss_by_feat_single(
            self,
            cls_scores: Optional[Tensor],
            mask_preds: Tensor,
            batch_gt_instances: InstanceList,
            assign_cls_scores: Optional[Tensor] = None,
            assign_mask_preds: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Losses of one set of kernel predictions.

        The targets come from the matching on ``assign_*`` (K-Net trains
        stage ``s`` with the matching of stage ``s - 1``'s predictions), or
        on ``mask_preds`` themselves (mask costs only) without them.

        Args:
            cls_scores (Tensor, optional): (B, K, nt + ns) class logits,
                trained with ``loss_cls``; None: no classification loss.
            mask_preds (Tensor): (B, K, [T,] h, w) mask logits, resized to
                the targets' (H', W').
            batch_gt_instances (list[:obj:`InstanceData`]): B targets.
            assign_cls_scores (Tensor, optional): (B, K, nt + ns) class
                logits of the matching. Defaults to None (mask costs only).
            assign_mask_preds (Tensor, optional): (B, K, [T,] h, w) mask
                logits of the matching. Defaults to None (``mask_preds``).

        Returns:
            dict[str, Tensor]: ``loss_cls`` (with ``cls_scores``),
            ``loss_rank`` (with ``loss_rank``), ``loss_mask`` and
            ``loss_dice``.
        """
        mask_preds = resize_to(mask_preds,
                               batch_gt_instances[0].masks.shape[-2:])
        if assign_mask_preds is None:
            assign_mask_preds = mask_preds
        targets = self.get_targets(assign_cls_scores, assign_mask_preds,
                                   batch_gt_instances)
        return self.loss_from_targets(cls_scores, mask_preds, targets)

    def loss_from_targets(self, cls_scores: Optional[Tensor],
                          mask_preds: Tensor,
                          targets: tuple) -> Dict[str, Tensor]:
        """Classification and mask losses given :meth:`get_targets`'s
        ``targets``; ``mask_preds`` (B, K, [T,] H', W') at the targets'
        resolution. See :meth:`loss_by_feat_single`."""
        labels, label_weights, mask_targets, pos_inds, _ = targets
        losses = {}
        if cls_scores is not None:
            c = self.num_classes
            labels = torch.stack(labels)
            num_pos = max(float((labels < c).sum()), 1.0)
            losses['loss_cls'] = self.loss_cls(
                cls_scores.reshape(-1, c),
                labels.reshape(-1),
                torch.stack(label_weights).reshape(-1, c),
                avg_factor=num_pos)
        losses.update(self.mask_losses(mask_preds, pos_inds, mask_targets))
        return losses

    def mask_losses(self, mask_preds: Tensor, batch_pos_inds: List[Tensor],
                    batch_mask_targets: List[Tensor]) -> Dict[str, Tensor]:
        """Rank (with ``loss_rank``), mask BCE and Dice losses of the
        positive kernels.

        Args:
            mask_preds (Tensor): (B, K, [T,] H', W') mask logits of all
                kernels.
            batch_pos_inds (list[Tensor]): Per image, (P,) positive
                kernels.
            batch_mask_targets (list[Tensor]): Per image, their
                (P, [T,] H', W') target masks.

        Returns:
            dict[str, Tensor]: ``loss_rank``, ``loss_mask``, ``loss_dice``;
            zero (with gradient) without positive kernels.
        """
        losses = {}
        if self.loss_rank is not None:
            losses['loss_rank'] = self.rank_loss(mask_preds, batch_pos_inds,
                                                 batch_mask_targets)
        preds = torch.cat([
            masks[inds] for masks, inds in zip(mask_preds, batch_pos_inds)
        ])
        targets = torch.cat(batch_mask_targets)
        if len(preds):
            losses['loss_mask'] = self.loss_mask(preds, targets)
            losses['loss_dice'] = self.loss_dice(preds, targets)
        else:
            losses['loss_mask'] = mask_preds.sum() * 0
            losses['loss_dice'] = mask_preds.sum() * 0
        return losses

    def rank_loss(self, mask_preds: Tensor, batch_pos_inds: List[Tensor],
                  batch_mask_targets: List[Tensor]) -> Tensor:
        """K-Net's rank loss over the kernels of each image.

        Args:
            mask_preds (Tensor): (B, K, [T,] H', W') mask logits.
            batch_pos_inds (list[Tensor]): Per image, (P,) positive
                kernels.
            batch_mask_targets (list[Tensor]): Per image, their
                (P, [T,] H', W') target masks.

        Returns:
            Tensor: ``loss_rank`` (called with ``ignore_index=255``) of the
            (B, K, [T,] H', W') logits against the kernel of every pixel
            with a positive target (>= 0.5; later kernels win where masks
            overlap); pixels covered by no positive mask are ignored.
        """
        rank = mask_preds.new_full(
            (mask_preds.shape[0], *mask_preds.shape[2:]),
            IGNORE_INDEX,
            dtype=torch.long)
        for b, (kernels, masks) in enumerate(
                zip(batch_pos_inds, batch_mask_targets)):
            for k, mask in zip(kernels.tolist(), masks):
                rank[b][mask >= 0.5] = k
        if (rank == IGNORE_INDEX).all():
            return mask_preds.sum() * 0
        return self.loss_rank(mask_preds, rank, ignore_index=IGNORE_INDEX)
