# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict, List, Optional

import torch
from mmdet.utils import ConfigType, InstanceList
from torch import Tensor

from mmvidseg.registry import MODELS
from ..losses.depth_loss import depth_activation
from .base_kernel_head import MASK_MATCH_COSTS
from .depth_kernel_proposal_head import gt_depths
from .kernel_iter_head import KernelIterHead
from .kernel_targets import resize_to


@MODELS.register_module()
class DepthKernelIterHead(KernelIterHead):
    """:class:`KernelIterHead` whose stages also update depth queries
    (:class:`DepthKernelUpdateHead`, PolyphonicFormer).

    Training: each stage's matching (on the previous stage's predictions,
    as K-Net) gives the panoptic losses of :class:`KernelIterHead` and the
    depth loss ``s{k}_loss_depth``: every positive query's depth map
    (activated with ``depth_act``) against the frame's ground-truth depth,
    weighted by the query's target mask (thing or stuff), all positives of
    the batch pooled (:class:`DepthLoss`). The assigner may include a
    :class:`DepthCost` (the official configs give it weight 0); from stage
    1 on it sees the previous stage's query depths.

    Args:
        loss_depth (dict): :class:`DepthLoss` config.
        depth_act (dict): :func:`depth_activation` arguments; the model
            fills it in.
        stage_head (dict): Config of every stage; defaults to
            :class:`DepthKernelUpdateHead`.
        assigner (dict): Hungarian assigner: focal class cost 2, Dice 4,
            mask 1 and :class:`DepthCost` 0 by default.
        depth_loss_per_query (bool): False (official): one
            :class:`DepthLoss` over the pixels of all positive queries of
            the batch pooled, so that the few pixels of small things weigh
            little beside the stuff regions. True: the loss of every
            positive query over its own target mask, averaged over the
            queries (each thing counts as much as a stuff region, and the
            scale-invariant term asks each query for one consistent depth
            over its segment). Defaults to False.
        **kwargs: :class:`KernelIterHead`'s other arguments.
    """

    def __init__(self,
                 loss_depth: ConfigType = dict(
                     type='DepthLoss', loss_weight=1.0),
                 depth_act: ConfigType = dict(mode='sigmoid'),
                 stage_head: ConfigType = dict(type='DepthKernelUpdateHead'),
                 assigner: ConfigType = dict(
                     type='mmdet.HungarianAssigner',
                     match_costs=[
                         dict(type='mmdet.FocalLossCost', weight=2.0),
                         *MASK_MATCH_COSTS,
                         dict(type='DepthCost', weight=0.0)
                     ]),
                 depth_loss_per_query: bool = False,
                 **kwargs) -> None:
        super().__init__(stage_head=stage_head, assigner=assigner, **kwargs)
        self.loss_depth = MODELS.build(loss_depth)
        self.depth_act = dict(depth_act)
        self.depth_loss_per_query = depth_loss_per_query

    def forward(self,
                x: Tensor,
                kernels: Tensor,
                mask_preds: Tensor,
                prev_kernels: Optional[Tensor] = None,
                depth_feats: Optional[Tensor] = None,
                depth_kernels: Optional[Tensor] = None) -> List[Dict]:
        """Run all stages.

        Args:
            x (Tensor): (B, C, h, w) features.
            kernels (Tensor): (B, N + ns, C) initial kernels.
            mask_preds (Tensor): (B, N + ns, h, w) initial mask logits.
            prev_kernels (Tensor, optional): The previous frame's last-stage
                kernels (last stage only).
            depth_feats (Tensor): (B, C, h, w) depth features.
            depth_kernels (Tensor): (B, N + ns, C) initial depth kernels.

        Returns:
            list[dict]: Per stage, :class:`DepthKernelUpdateHead`'s outputs.
        """
        results = []
        for s, stage in enumerate(self.stages):
            prev = prev_kernels if s == self.num_stages - 1 else None
            out = stage(
                x,
                kernels,
                mask_preds,
                prev_kernels=prev,
                depth_feats=depth_feats,
                depth_kernels=depth_kernels)
            kernels, mask_preds = out['kernels'], out['mask_preds']
            depth_kernels = out['depth_kernels']
            results.append(out)
        return results

    def activate(self, depth_logits: Tensor) -> Tensor:
        """Depth logits -> metres with ``depth_act``."""
        return depth_activation(depth_logits, **self.depth_act)

    def loss_by_feat(
            self, all_stage_results: List[Dict[str, Tensor]],
            init_mask_preds: Tensor,
            batch_gt_instances: InstanceList) -> Dict[str, Tensor]:
        """Panoptic and depth losses of all stages.

        Args:
            all_stage_results (list[dict]): Output of :meth:`forward`.
            init_mask_preds (Tensor): (B, K, h, w) initial masks, the
                matching of stage 0.
            batch_gt_instances (list[:obj:`InstanceData`]): Per frame
                targets (H', W') with the metainfo ``gt_depth`` (H', W').

        Returns:
            dict[str, Tensor]: :class:`KernelIterHead`'s losses and
            ``s{stage}_loss_depth``, weighted by ``stage_loss_weights``.
        """
        size = batch_gt_instances[0].masks.shape[-2:]
        target = gt_depths(batch_gt_instances)
        masks = [resize_to(out['mask_preds'], size)
                 for out in all_stage_results]
        depths = [
            self.activate(resize_to(out['depth_preds'], size))
            for out in all_stage_results
        ]
        losses = {}
        for s, out in enumerate(all_stage_results):
            m = self.matching_stage(s)
            if m < 0:  # the initial masks, mask costs only
                assign = (None, resize_to(init_mask_preds, size), None)
            else:
                assign = (all_stage_results[m]['cls_scores'], masks[m],
                          depths[m])
            targets = self.get_targets(
                *assign[:2], batch_gt_instances, depth_preds=assign[2])
            stage_losses = self.loss_from_targets(out['cls_scores'],
                                                  masks[s], targets)
            stage_losses['loss_depth'] = self._depth_loss(
                depths[s], target, targets[3], targets[2])
            for key, value in stage_losses.items():
                losses[f's{s}_{key}'] = value * self.stage_loss_weights[s]
        return losses

    def _depth_loss(self, depths: Tensor, target: Tensor,
                    batch_pos_inds: List[Tensor],
                    batch_mask_targets: List[Tensor]) -> Tensor:
        """``loss_depth`` of the positive queries' (B, K, H', W') depths
        against the (B, H', W') targets, weighted by their target masks."""
        preds = torch.cat(
            [d[inds] for d, inds in zip(depths, batch_pos_inds)])
        if not len(preds):
            return depths.sum() * 0
        targets = torch.cat([
            t[None].expand(len(inds), -1, -1)
            for t, inds in zip(target, batch_pos_inds)
        ])
        weights = torch.cat(batch_mask_targets)
        if not self.depth_loss_per_query:
            return self.loss_depth(preds, targets, weights)
        # queries without a valid pixel (e.g. on the sky) give 0 and are
        # left out of the mean
        valid = ((targets > self.loss_depth.min_depth)
                 & (targets < self.loss_depth.max_depth)
                 & (weights != 0)).flatten(1).any(1)
        if not valid.any():
            return depths.sum() * 0
        return torch.stack([
            self.loss_depth(p, t, w) for p, t, w in zip(
                preds[valid], targets[valid], weights[valid])
        ]).mean()
