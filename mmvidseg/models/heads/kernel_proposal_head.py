# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict, List, Optional

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor

from mmvidseg.registry import MODELS, TASK_UTILS
from .kernel_iter_head import mask_losses
from .kernel_targets import assign_things, resize_to


@MODELS.register_module()
class KernelProposalHead(BaseModule):
    """K-Net's initial kernels: thing proposals and stuff kernels.

    ``num_proposals`` learned 1x1 kernels (``init_kernels``) convolve the
    localisation feature into the initial thing masks; a 1x1 conv
    (``conv_seg``) on the semantic feature gives per-class semantic logits,
    whose stuff channels are the initial stuff masks and whose weights are
    the initial stuff kernels. With ``proposal_feats_with_obj`` each thing
    kernel is increased by the features under its initial (binary) mask.

    Losses (as the official ``ConvKernelHead``): the initial thing masks are
    matched to the ground-truth things by Hungarian assignment (mask costs
    only) and trained with mask BCE and Dice losses, and the semantic
    logits with ``loss_seg`` against the full semantic map (things and
    stuff; void ignored).

    Args:
        num_proposals (int): Thing proposals. Defaults to 100.
        num_thing_classes (int): Thing classes (labels ``[0, nt)``).
        num_stuff_classes (int): Stuff classes (labels ``[nt, nt + ns)``).
        in_channels (int): Channels of the input features and kernels.
        num_loc_convs (int): 1x1 convs on the localisation feature.
        num_seg_convs (int): 1x1 convs on the semantic feature.
        norm_cfg (dict): Norm of those convs. Defaults to GN(32).
        proposal_feats_with_obj (bool): Add the mask-pooled features to the
            thing kernels. Defaults to True.
        kernel_init_std (float): Std of the normal init of the thing kernels
            (the official KITTI-STEP config uses 1). Defaults to 1.0.
        assigner (dict): Hungarian assigner config (mmdet).
        loss_mask (dict): Mask BCE loss config.
        loss_dice (dict): Mask Dice loss config.
        loss_seg (dict): Semantic loss config (``ignore_index`` 255 is used
            for void pixels).
        loss_rank (dict, optional): Rank loss over the thing proposals (see
            :func:`~mmvidseg.models.heads.kernel_iter_head.rank_loss`).
            Defaults to None.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 num_proposals: int = 100,
                 num_thing_classes: int = 80,
                 num_stuff_classes: int = 53,
                 in_channels: int = 256,
                 num_loc_convs: int = 1,
                 num_seg_convs: int = 1,
                 norm_cfg: dict = dict(type='GN', num_groups=32),
                 proposal_feats_with_obj: bool = True,
                 kernel_init_std: float = 1.0,
                 assigner: dict = dict(
                     type='mmdet.HungarianAssigner',
                     match_costs=[
                         dict(
                             type='mmdet.DiceCost',
                             weight=4.0,
                             pred_act=True,
                             naive_dice=False),
                         dict(type='mmdet.CrossEntropyLossCost', weight=1.0)
                     ]),
                 loss_mask: dict = dict(
                     type='mmdet.CrossEntropyLoss',
                     use_sigmoid=True,
                     loss_weight=1.0),
                 loss_dice: dict = dict(
                     type='mmdet.DiceLoss', loss_weight=4.0),
                 loss_seg: dict = dict(
                     type='mmdet.CrossEntropyLoss',
                     use_sigmoid=False,
                     avg_non_ignore=True,
                     loss_weight=1.0),
                 loss_rank: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if num_thing_classes + num_stuff_classes < 1:
            raise ValueError('KernelProposalHead needs at least one class')
        self.num_proposals = num_proposals
        self.num_thing_classes = num_thing_classes
        self.num_stuff_classes = num_stuff_classes
        self.num_classes = num_thing_classes + num_stuff_classes
        self.in_channels = in_channels
        self.proposal_feats_with_obj = proposal_feats_with_obj
        self.kernel_init_std = kernel_init_std
        self.loc_convs = nn.Sequential(*[
            ConvModule(in_channels, in_channels, 1, norm_cfg=norm_cfg)
            for _ in range(num_loc_convs)
        ])
        self.seg_convs = nn.Sequential(*[
            ConvModule(in_channels, in_channels, 1, norm_cfg=norm_cfg)
            for _ in range(num_seg_convs)
        ])
        # no thing proposals (semantic-only K-Net for VSS): no init kernels
        self.init_kernels = nn.Conv2d(
            in_channels, num_proposals, 1,
            bias=False) if num_proposals > 0 else None
        self.conv_seg = nn.Conv2d(in_channels, self.num_classes, 1)
        self.assigner = TASK_UTILS.build(assigner)
        self.loss_mask = MODELS.build(loss_mask)
        self.loss_dice = MODELS.build(loss_dice)
        self.loss_seg = MODELS.build(loss_seg)
        self.loss_rank = MODELS.build(loss_rank) if loss_rank else None

    def init_weights(self) -> None:
        """Normal init as the official head (``conv_normal_init``)."""
        for m in list(self.loc_convs.modules()) + list(
                self.seg_convs.modules()):
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, 0, 0.01)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
        nn.init.normal_(self.conv_seg.weight, 0, 0.01)
        nn.init.zeros_(self.conv_seg.bias)
        if self.init_kernels is not None:
            nn.init.normal_(self.init_kernels.weight, 0,
                            self.kernel_init_std)
        self._is_init = True

    def forward(self, loc_feats: Tensor, sem_feats: Tensor) -> Dict:
        """Initial kernels and masks.

        Args:
            loc_feats (Tensor): Localisation features (B, C, h, w).
            sem_feats (Tensor): Semantic features (B, C, h, w).

        Returns:
            dict: ``x_feats`` (B, C, h, w) the features the kernels act on,
            ``kernels`` (B, N + ns, C) thing then stuff kernels,
            ``mask_preds`` (B, N + ns, h, w) their mask logits and
            ``seg_preds`` (B, nt + ns, h, w) the semantic logits.
        """
        loc_feats = self.loc_convs(loc_feats)
        sem_feats = self.seg_convs(sem_feats)
        batch = loc_feats.shape[0]
        seg_preds = self.conv_seg(sem_feats)
        x_feats = loc_feats + sem_feats
        if self.init_kernels is None:
            thing_masks = x_feats.new_zeros((batch, 0, *x_feats.shape[-2:]))
            kernels = x_feats.new_zeros((batch, 0, self.in_channels))
        else:
            thing_masks = self.init_kernels(loc_feats)
            kernels = self.init_kernels.weight.flatten(1)[None].expand(
                batch, -1, -1)
        if self.proposal_feats_with_obj and self.init_kernels is not None:
            binary = (thing_masks.sigmoid() > 0.5).to(x_feats.dtype)
            kernels = kernels + torch.einsum('bnhw,bchw->bnc', binary,
                                             x_feats)
        stuff_kernels = self.conv_seg.weight.flatten(1)[
            self.num_thing_classes:][None].expand(batch, -1, -1)
        kernels = torch.cat([kernels, stuff_kernels], dim=1)
        mask_preds = torch.cat(
            [thing_masks, seg_preds[:, self.num_thing_classes:]], dim=1)
        return dict(
            x_feats=x_feats,
            kernels=kernels,
            mask_preds=mask_preds,
            seg_preds=seg_preds)

    def loss(self, outputs: Dict, targets: List[Dict]) -> Dict[str, Tensor]:
        """Losses of the initial thing masks and the semantic logits.

        Args:
            outputs (dict): Output of :meth:`forward`.
            targets (list[dict]): Per image, from
                :func:`~mmvidseg.models.heads.kernel_targets.frame_targets`:
                ``thing_masks`` (K, H', W') soft masks, ``thing_labels``
                (K,), ``seg_map`` (H', W') long labels with 255 on void.

        Returns:
            dict: ``loss_rpn_mask``, ``loss_rpn_dice``, ``loss_rpn_seg``
            (and ``loss_rpn_rank`` with ``loss_rank``).
        """
        size = targets[0]['seg_map'].shape[-2:]
        masks = resize_to(outputs['mask_preds'][:, :self.num_proposals],
                          size)
        pos_preds, pos_targets, pos_kernels = [], [], []
        for b, target in enumerate(targets):
            pos, gt_inds = assign_things(self.assigner, masks[b].detach(),
                                         None, target, self.num_thing_classes)
            pos_preds.append(masks[b][pos])
            pos_targets.append(target['thing_masks'][gt_inds])
            pos_kernels.append((b, pos))
        losses = mask_losses(self, masks, pos_kernels, pos_preds,
                             pos_targets, 'loss_rpn_')
        seg = resize_to(outputs['seg_preds'], size)
        seg_map = torch.stack([t['seg_map'] for t in targets])
        losses['loss_rpn_seg'] = self.loss_seg(
            seg, seg_map, ignore_index=255) if (seg_map != 255).any() else \
            seg.sum() * 0
        return losses
