# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict, List

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmdet.utils import ConfigType, InstanceList
from mmengine.structures import PixelData
from torch import Tensor

from mmvidseg.registry import MODELS
from mmvidseg.structures import IGNORE_INDEX
from .base_kernel_head import BaseKernelHead
from .kernel_targets import resize_to


@MODELS.register_module()
class KernelProposalHead(BaseKernelHead):
    """K-Net's initial kernels: thing proposals and stuff kernels.

    ``num_proposals`` learned 1x1 kernels (``init_kernels``) convolve the
    localisation feature into the initial thing masks; a 1x1 conv
    (``conv_seg``) on the semantic feature gives per-class semantic logits,
    whose stuff channels are the initial stuff masks and whose weights are
    the initial stuff kernels. With ``proposal_feats_with_obj`` each thing
    kernel is increased by the features under its initial (binary) mask.

    Losses (as the official ``ConvKernelHead``): the initial thing masks are
    matched to the ground-truth things by Hungarian assignment (mask costs
    only) and trained with mask BCE and Dice losses (and the rank loss with
    ``loss_rank``), see :class:`BaseKernelHead`, and the semantic logits
    with ``loss_seg`` against the full semantic map (things and stuff). A
    softmax ``loss_seg`` (cross-entropy) ignores void pixels; a sigmoid one
    (``use_sigmoid=True``, e.g. the focal loss of the official VIS config)
    treats every pixel without a segment as background, negative for every
    class, averaged over the pixels with a class.

    Args:
        in_channels (int): Channels of the input features and kernels.
            Defaults to 256.
        num_loc_convs (int): 1x1 convs on the localisation feature.
            Defaults to 1.
        num_seg_convs (int): 1x1 convs on the semantic feature. Defaults
            to 1.
        norm_cfg (dict): Norm of those convs. Defaults to GN(32).
        proposal_feats_with_obj (bool): Add the mask-pooled features to the
            thing kernels. Defaults to True.
        kernel_init_std (float): Std of the normal init of the thing kernels
            (the official KITTI-STEP config uses 1). Defaults to 1.0.
        loss_seg (dict): Semantic loss config: softmax (``ignore_index`` 255
            for void pixels) or sigmoid (void/background pixels are
            negatives).
        **kwargs: :class:`BaseKernelHead`'s ``num_proposals`` (0: no thing
            proposals, the semantic K-Net of VSS), ``num_thing_classes``,
            ``num_stuff_classes``, ``assigner`` (mask costs by default),
            ``sampler``, ``loss_mask``, ``loss_dice``, ``loss_rank`` and
            ``init_cfg``.
    """

    def __init__(self,
                 in_channels: int = 256,
                 num_loc_convs: int = 1,
                 num_seg_convs: int = 1,
                 norm_cfg: ConfigType = dict(type='GN', num_groups=32),
                 proposal_feats_with_obj: bool = True,
                 kernel_init_std: float = 1.0,
                 loss_seg: ConfigType = dict(
                     type='mmdet.CrossEntropyLoss',
                     use_sigmoid=False,
                     avg_non_ignore=True,
                     loss_weight=1.0),
                 **kwargs) -> None:
        # no classifier: a loss_cls argument is an error
        super().__init__(loss_cls=None, **kwargs)
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
            in_channels, self.num_proposals, 1,
            bias=False) if self.num_proposals > 0 else None
        self.conv_seg = nn.Conv2d(in_channels, self.num_classes, 1)
        self.loss_seg = MODELS.build(loss_seg)

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

    def loss_by_feat(self, mask_preds: Tensor, seg_preds: Tensor,
                     batch_gt_instances: InstanceList,
                     batch_gt_sem_seg: List[PixelData]) -> Dict[str, Tensor]:
        """Losses of the initial thing masks and the semantic logits.

        Args:
            mask_preds (Tensor): (B, N + ns, h, w) initial mask logits
                (``mask_preds`` of :meth:`forward`); the N thing proposals
                are trained.
            seg_preds (Tensor): (B, nt + ns, h, w) semantic logits.
            batch_gt_instances (list[:obj:`InstanceData`]): Per image, from
                :func:`~mmvidseg.models.heads.kernel_targets.frame_targets`:
                ``masks`` (G, H', W') soft masks and ``labels`` (G,).
            batch_gt_sem_seg (list[:obj:`PixelData`]): Per image,
                ``sem_seg`` (1, H', W') internal labels, 255 on void.

        Returns:
            dict[str, Tensor]: ``loss_rpn_mask``, ``loss_rpn_dice``,
            ``loss_rpn_seg`` (and ``loss_rpn_rank`` with ``loss_rank``).
        """
        losses = self.loss_by_feat_single(
            None, mask_preds[:, :self.num_proposals], batch_gt_instances)
        losses = {
            key.replace('loss_', 'loss_rpn_', 1): value
            for key, value in losses.items()
        }
        sem_seg = torch.cat([gt.sem_seg for gt in batch_gt_sem_seg])
        seg = resize_to(seg_preds, sem_seg.shape[-2:])
        if getattr(self.loss_seg, 'use_sigmoid', False):
            losses['loss_rpn_seg'] = self._sigmoid_seg_loss(seg, sem_seg)
        else:
            losses['loss_rpn_seg'] = self.loss_seg(
                seg, sem_seg, ignore_index=IGNORE_INDEX) if (
                    sem_seg != IGNORE_INDEX).any() else seg.sum() * 0
        return losses

    def _sigmoid_seg_loss(self, seg: Tensor, sem_seg: Tensor) -> Tensor:
        """Sigmoid ``loss_seg`` of (B, C, H, W) logits against (B, H, W)
        labels, 255 (no segment) as background: negative for every class;
        averaged over the pixels with a class (at least 1)."""
        num_classes = seg.shape[1]
        logits = seg.permute(0, 2, 3, 1).reshape(-1, num_classes)
        labels = sem_seg.reshape(-1).clone()
        labels[labels == IGNORE_INDEX] = num_classes
        num_pos = max(float((labels < num_classes).sum()), 1.0)
        return self.loss_seg(logits, labels, avg_factor=num_pos)
