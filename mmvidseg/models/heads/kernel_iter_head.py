# Copyright (c) OpenMMLab. All rights reserved.
import copy
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule, ModuleList
from torch import Tensor

from mmvidseg.registry import MODELS, TASK_UTILS
from .kernel_targets import assign_things, resize_to


@MODELS.register_module()
class KernelIterHead(BaseModule):
    """``num_stages`` kernel-update stages and their K-Net losses.

    Kernels are ordered ``num_proposals`` thing proposals, then one kernel
    per stuff class (stuff kernel ``j`` always predicts stuff class ``j``).
    Class labels are things ``[0, nt)`` then stuff ``[nt, nt + ns)``.

    In training, stage ``s`` is supervised with the assignment computed on
    the *previous* stage's predictions (stage 0 on the initial proposals,
    mask costs only), as in K-Net: thing proposals are Hungarian-matched
    to the ground-truth things (focal class cost, Dice, mask BCE); stuff
    kernel ``j`` is positive when stuff ``j`` is present. Losses: sigmoid
    focal classification (thing proposals are not penalised on stuff
    classes, stuff kernels only on their own class), and mask BCE + Dice on
    the positives.

    The last stage may fuse and link the previous frame's kernels
    (``with_fusion`` / ``with_link``, see :class:`KernelUpdateHead`). The
    same head also runs on clips (clip-level VIS) with tube targets.

    Args:
        num_stages (int): Stages. Defaults to 3.
        num_proposals (int): Thing proposals. Defaults to 100.
        num_thing_classes (int): nt.
        num_stuff_classes (int): ns.
        stage_head (dict): Config of every :class:`KernelUpdateHead`
            (``num_classes`` is set to ``nt + ns``).
        with_fusion (bool): Kernel fusion in the last stage.
        with_link (bool): Kernel linking in the last stage.
        stage_loss_weights (Sequence[float], optional): Per stage; ones by
            default.
        assigner (dict): Hungarian assigner (mmdet) with focal class cost
            2, Dice 4 and mask BCE 1 by default (the official costs).
        loss_cls (dict): Classification loss (sigmoid focal, weight 2).
        loss_mask (dict): Mask BCE loss (weight 1).
        loss_dice (dict): Dice loss (weight 4).
        loss_rank (dict, optional): K-Net's rank loss: a softmax
            cross-entropy over the kernels at every pixel of a positive
            target mask, whose label is the kernel assigned to that mask
            (the official base config uses
            ``dict(type='mmdet.CrossEntropyLoss', loss_weight=0.1)``). It
            pushes kernels of neighbouring things of one class apart.
            Defaults to None.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 num_stages: int = 3,
                 num_proposals: int = 100,
                 num_thing_classes: int = 80,
                 num_stuff_classes: int = 53,
                 stage_head: dict = dict(type='KernelUpdateHead'),
                 with_fusion: bool = False,
                 with_link: bool = False,
                 stage_loss_weights: Optional[Sequence[float]] = None,
                 assigner: dict = dict(
                     type='mmdet.HungarianAssigner',
                     match_costs=[
                         dict(type='mmdet.FocalLossCost', weight=2.0),
                         dict(
                             type='mmdet.DiceCost',
                             weight=4.0,
                             pred_act=True,
                             naive_dice=False),
                         dict(type='mmdet.CrossEntropyLossCost', weight=1.0)
                     ]),
                 loss_cls: dict = dict(
                     type='mmdet.FocalLoss',
                     use_sigmoid=True,
                     gamma=2.0,
                     alpha=0.25,
                     loss_weight=2.0),
                 loss_mask: dict = dict(
                     type='mmdet.CrossEntropyLoss',
                     use_sigmoid=True,
                     loss_weight=1.0),
                 loss_dice: dict = dict(
                     type='mmdet.DiceLoss', loss_weight=4.0),
                 loss_rank: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if num_stages < 1:
            raise ValueError(f'num_stages must be >= 1, got {num_stages}')
        self.num_stages = num_stages
        self.num_proposals = num_proposals
        self.num_thing_classes = num_thing_classes
        self.num_stuff_classes = num_stuff_classes
        self.num_classes = num_thing_classes + num_stuff_classes
        self.with_fusion = with_fusion
        self.with_link = with_link
        self.stage_loss_weights = list(stage_loss_weights or
                                       [1.0] * num_stages)
        if len(self.stage_loss_weights) != num_stages:
            raise ValueError('stage_loss_weights needs one weight per stage')
        self.stages = ModuleList()
        for s in range(num_stages):
            cfg = copy.deepcopy(stage_head)
            cfg['num_classes'] = self.num_classes
            last = s == num_stages - 1
            cfg['with_fusion'] = with_fusion and last
            cfg['with_link'] = with_link and last
            self.stages.append(MODELS.build(cfg))
        self.assigner = TASK_UTILS.build(assigner)
        self.loss_cls = MODELS.build(loss_cls)
        self.loss_mask = MODELS.build(loss_mask)
        self.loss_dice = MODELS.build(loss_dice)
        self.loss_rank = MODELS.build(loss_rank) if loss_rank else None

    @property
    def uses_previous(self) -> bool:
        """Whether the last stage consumes the previous frame's kernels."""
        return self.with_fusion or self.with_link

    def forward(self,
                x: Tensor,
                kernels: Tensor,
                mask_preds: Tensor,
                prev_kernels: Optional[Tensor] = None) -> List[Dict]:
        """Run all stages.

        Args:
            x (Tensor): (B, C, h, w) features or (B, T, C, h, w) clips.
            kernels (Tensor): (B, N + ns, C) initial kernels.
            mask_preds (Tensor): (B, N + ns, [T,] h, w) initial mask logits.
            prev_kernels (Tensor, optional): (B, N + ns, C) last-stage
                kernels of the previous frame, used by the last stage.

        Returns:
            list[dict]: Per stage, the outputs of :class:`KernelUpdateHead`.
        """
        results = []
        for s, stage in enumerate(self.stages):
            prev = prev_kernels if s == self.num_stages - 1 else None
            out = stage(x, kernels, mask_preds, prev_kernels=prev)
            kernels, mask_preds = out['kernels'], out['mask_preds']
            results.append(out)
        return results

    def assign(self, mask_preds: Tensor, cls_scores: Optional[Tensor],
               target: Dict) -> Tuple[Tensor, Tensor]:
        """Assign the thing proposals of one image (or clip).

        Args:
            mask_preds (Tensor): (N + ns, [T,] H', W') mask logits at the
                target resolution.
            cls_scores (Tensor, optional): (N + ns, nt + ns) class logits.
            target (dict): Targets (see ``targets.frame_targets``).

        Returns:
            tuple[Tensor, Tensor]: Positive proposal indices and their
            ground-truth thing indices.
        """
        n = self.num_proposals
        cls = None if cls_scores is None else \
            cls_scores[:n, :self.num_thing_classes].detach()
        return assign_things(self.assigner, mask_preds[:n].detach(), cls,
                             target, self.num_thing_classes)

    def _stage_loss(self, cls_scores: Tensor, mask_preds: Tensor,
                    assigns: List[Tuple[Tensor, Tensor]],
                    targets: List[Dict]) -> Dict[str, Tensor]:
        """K-Net losses of one stage for a batch."""
        n, nt, c = self.num_proposals, self.num_thing_classes, \
            self.num_classes
        batch, num_kernels = cls_scores.shape[:2]
        labels = cls_scores.new_full((batch, num_kernels), c,
                                     dtype=torch.long)
        weights = cls_scores.new_zeros((batch, num_kernels, c))
        weights[:, :n, :nt] = 1.0
        if num_kernels > n:
            weights[:, n:, nt:] = torch.eye(c - nt, device=weights.device)
        pos_preds, pos_targets, pos_kernels = [], [], []
        for b, ((pos, gt_inds), target) in enumerate(zip(assigns, targets)):
            labels[b, pos] = target['thing_labels'][gt_inds]
            pos_preds.append(mask_preds[b, pos])
            pos_targets.append(target['thing_masks'][gt_inds])
            pos_kernels.append((b, pos))
            stuff = target['stuff_labels']
            if len(stuff):
                labels[b, n + stuff] = stuff + nt
                pos_preds.append(mask_preds[b, n + stuff])
                pos_targets.append(target['stuff_masks'])
                pos_kernels.append((b, n + stuff))
        num_pos = max(float((labels < c).sum()), 1.0)
        losses = dict(
            loss_cls=self.loss_cls(
                cls_scores.reshape(-1, c),
                labels.reshape(-1),
                weights.reshape(-1, c),
                avg_factor=num_pos))
        losses.update(
            mask_losses(self, mask_preds, pos_kernels, pos_preds,
                        pos_targets, 'loss_'))
        return losses

    def loss(self, results: List[Dict], init_mask_preds: Tensor,
             targets: List[Dict]) -> Tuple[Dict[str, Tensor], List]:
        """Losses of all stages.

        Args:
            results (list[dict]): Output of :meth:`forward`.
            init_mask_preds (Tensor): (B, N + ns, [T,] h, w) initial masks.
            targets (list[dict]): Per image (or clip) targets, all at the
                same resolution (H', W').

        Returns:
            tuple: The loss dict (keys ``s{stage}_loss_*``) and the last
            stage's own assignment (per image: positive indices, gt
            indices), computed on its final predictions for the
            association embedding.
        """
        size = targets[0]['seg_map'].shape[-2:]
        prev_masks = resize_to(init_mask_preds, size)
        prev_cls = None
        losses = {}
        for s, out in enumerate(results):
            masks = resize_to(out['mask_preds'], size)
            assigns = [
                self.assign(prev_masks[b],
                            None if prev_cls is None else prev_cls[b],
                            targets[b]) for b in range(len(targets))
            ]
            stage_losses = self._stage_loss(out['cls_scores'], masks,
                                            assigns, targets)
            for key, value in stage_losses.items():
                losses[f's{s}_{key}'] = value * self.stage_loss_weights[s]
            prev_masks, prev_cls = masks, out['cls_scores']
        final = [
            self.assign(prev_masks[b], prev_cls[b], targets[b])
            for b in range(len(targets))
        ]
        return losses, final


def mask_losses(head, mask_preds: Tensor, pos_kernels: List[Tuple],
                pos_preds: List[Tensor], pos_targets: List[Tensor],
                prefix: str) -> Dict[str, Tensor]:
    """Rank (when ``head.loss_rank`` is set), mask BCE and Dice losses of
    the matched kernels, named ``{prefix}rank``, ``{prefix}mask`` and
    ``{prefix}dice``.

    Args:
        head: The head holding ``loss_rank``, ``loss_mask``, ``loss_dice``.
        mask_preds (Tensor): (B, K, [T,] H, W) mask logits of all kernels.
        pos_kernels (list[tuple]): ``(image index, kernel indices (P,))``.
        pos_preds (list[Tensor]): (P, [T,] H, W) logits of the matched
            kernels, per image (and per thing/stuff group).
        pos_targets (list[Tensor]): Their (P, [T,] H, W) target masks.

    Returns:
        dict[str, Tensor]: The losses; zero (with gradient) without
        matched kernels.
    """
    losses = {}
    if head.loss_rank is not None:
        losses[f'{prefix}rank'] = rank_loss(head.loss_rank, mask_preds,
                                            pos_kernels, pos_targets)
    preds, targets = torch.cat(pos_preds), torch.cat(pos_targets)
    if len(preds):
        losses[f'{prefix}mask'] = head.loss_mask(preds, targets)
        losses[f'{prefix}dice'] = head.loss_dice(preds, targets)
    else:
        losses[f'{prefix}mask'] = mask_preds.sum() * 0
        losses[f'{prefix}dice'] = mask_preds.sum() * 0
    return losses


def rank_loss(loss_fn, mask_preds: Tensor, pos_kernels: List[Tuple],
              pos_targets: List[Tensor]) -> Tensor:
    """K-Net's rank loss over the kernels of each image.

    Args:
        loss_fn: A softmax cross-entropy loss module (mmdet's
            ``CrossEntropyLoss``) called with ``ignore_index=255``.
        mask_preds (Tensor): (B, K, [T,] H, W) mask logits.
        pos_kernels (list[tuple]): ``(image index, kernel indices (P,))``.
        pos_targets (list[Tensor]): Matching (P, [T,] H, W) target masks.

    Returns:
        Tensor: The loss; pixels covered by no positive mask are ignored,
        later kernels win where masks overlap.
    """
    rank = mask_preds.new_full(
        (mask_preds.shape[0], *mask_preds.shape[2:]), 255, dtype=torch.long)
    for (b, kernels), masks in zip(pos_kernels, pos_targets):
        for k, mask in zip(kernels.tolist(), masks):
            rank[b][mask >= 0.5] = k
    if (rank == 255).all():
        return mask_preds.sum() * 0
    return loss_fn(mask_preds, rank, ignore_index=255)
