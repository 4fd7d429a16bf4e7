# Copyright (c) OpenMMLab. All rights reserved.
import copy
from typing import Dict, List, Optional, Sequence

from mmdet.utils import ConfigType, InstanceList
from mmengine.model import ModuleList
from torch import Tensor

from mmvidseg.registry import MODELS
from .base_kernel_head import MASK_MATCH_COSTS, BaseKernelHead
from .kernel_targets import resize_to


@MODELS.register_module()
class KernelIterHead(BaseKernelHead):
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
    the positives (see :class:`BaseKernelHead`).

    The last stage may fuse and link the previous frame's kernels
    (``with_fusion`` / ``with_link``, see :class:`KernelUpdateHead`). The
    same head also runs on clips (clip-level VIS) with tube targets.

    Args:
        num_stages (int): Stages. Defaults to 3.
        stage_head (dict): Config of every :class:`KernelUpdateHead`
            (``num_classes`` is set to ``nt + ns``).
        with_fusion (bool): Kernel fusion in the last stage. Defaults to
            False.
        with_link (bool): Kernel linking in the last stage. Defaults to
            False.
        stage_loss_weights (Sequence[float], optional): Per stage; ones by
            default.
        assigner (dict): Hungarian assigner (mmdet) with focal class cost
            2, Dice 4 and mask BCE 1 by default (the official costs).
        loss_cls (dict): Classification loss (sigmoid focal, weight 2).
        **kwargs: :class:`BaseKernelHead`'s ``num_proposals``,
            ``num_thing_classes``, ``num_stuff_classes``, ``sampler``,
            ``loss_mask`` (BCE, weight 1), ``loss_dice`` (weight 4),
            ``loss_rank`` and ``init_cfg``.
    """

    def __init__(self,
                 num_stages: int = 3,
                 stage_head: ConfigType = dict(type='KernelUpdateHead'),
                 with_fusion: bool = False,
                 with_link: bool = False,
                 stage_loss_weights: Optional[Sequence[float]] = None,
                 assigner: ConfigType = dict(
                     type='mmdet.HungarianAssigner',
                     match_costs=[
                         dict(type='mmdet.FocalLossCost', weight=2.0),
                         *MASK_MATCH_COSTS
                     ]),
                 loss_cls: ConfigType = dict(
                     type='mmdet.FocalLoss',
                     use_sigmoid=True,
                     gamma=2.0,
                     alpha=0.25,
                     loss_weight=2.0),
                 **kwargs) -> None:
        super().__init__(assigner=assigner, loss_cls=loss_cls, **kwargs)
        if num_stages < 1:
            raise ValueError(f'num_stages must be >= 1, got {num_stages}')
        self.num_stages = num_stages
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

    def loss_by_feat(
            self, all_stage_results: List[Dict[str, Tensor]],
            init_mask_preds: Tensor,
            batch_gt_instances: InstanceList) -> Dict[str, Tensor]:
        """Losses of all stages.

        Args:
            all_stage_results (list[dict]): Output of :meth:`forward`; per
                stage ``cls_scores`` (B, K, nt + ns) and ``mask_preds``
                (B, K, [T,] h, w).
            init_mask_preds (Tensor): (B, K, [T,] h, w) initial masks, the
                matching of stage 0.
            batch_gt_instances (list[:obj:`InstanceData`]): Per image (or
                clip) targets, all at the same resolution (H', W'): from
                :func:`~mmvidseg.models.heads.kernel_targets.frame_targets`
                or :func:`~mmvidseg.models.heads.kernel_targets.clip_targets`.

        Returns:
            dict[str, Tensor]: ``s{stage}_loss_cls``, ``s{stage}_loss_mask``,
            ``s{stage}_loss_dice`` (and ``s{stage}_loss_rank``), weighted by
            ``stage_loss_weights``.
        """
        size = batch_gt_instances[0].masks.shape[-2:]
        masks = [resize_to(out['mask_preds'], size)
                 for out in all_stage_results]
        losses = {}
        for s, out in enumerate(all_stage_results):
            m = self.matching_stage(s)
            if m < 0:  # the initial masks, mask costs only
                assign_cls, assign_masks = None, resize_to(
                    init_mask_preds, size)
            else:
                assign_cls = all_stage_results[m]['cls_scores']
                assign_masks = masks[m]
            stage_losses = self.loss_by_feat_single(out['cls_scores'],
                                                    masks[s],
                                                    batch_gt_instances,
                                                    assign_cls, assign_masks)
            for key, value in stage_losses.items():
                losses[f's{s}_{key}'] = value * self.stage_loss_weights[s]
        return losses

    def matching_stage(self, stage: int) -> int:
        """Index of the stage whose predictions give stage ``stage``'s
        matching: the previous stage (-1: the initial masks), as K-Net."""
        return stage - 1
