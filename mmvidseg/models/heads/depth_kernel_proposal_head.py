# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmdet.utils import ConfigType, InstanceList
from torch import Tensor

from mmvidseg.registry import MODELS
from ..losses.depth_loss import depth_activation
from .kernel_proposal_head import KernelProposalHead
from .kernel_targets import resize_to


def gt_depths(batch_gt_instances: InstanceList) -> Tensor:
    """(B, H', W') ground-truth depths (metres, 0: none) from the
    ``gt_depth`` metainfo of each frame's targets."""
    if any('gt_depth' not in gt.metainfo for gt in batch_gt_instances):
        raise ValueError('depth targets need the gt_depth metainfo of every '
                         "frame's gt_instances (frames without gt_depth?)")
    return torch.stack([gt.metainfo['gt_depth'] for gt in batch_gt_instances])


@MODELS.register_module()
class DepthKernelProposalHead(KernelProposalHead):
    """:class:`KernelProposalHead` with PolyphonicFormer's depth branch.

    The depth features (the third output of :class:`DepthSemanticFPN`) go
    through ``num_depth_convs`` 1x1 ConvModules; a 1x1 conv
    (``conv_direct_depth``) predicts a per-pixel depth map from them and
    its weight is the *initial depth kernel* of every query (thing
    proposals and stuff kernels alike), as the official ``KernelHead``.
    The per-pixel map is trained with ``loss_depth`` (``loss_rpn_depth``)
    on every pixel with a valid depth; it is also the depth of the plain
    per-pixel baseline and fills pixels no segment covers.

    Args:
        num_depth_convs (int): 1x1 convs on the depth features. Defaults
            to 1.
        loss_depth (dict): :class:`DepthLoss` config.
        depth_act (dict): :func:`depth_activation` arguments (``mode``,
            ``min_depth``, ``max_depth``); the model fills it in.
        **kwargs: :class:`KernelProposalHead`'s arguments.
    """

    def __init__(self,
                 num_depth_convs: int = 1,
                 loss_depth: ConfigType = dict(
                     type='DepthLoss', loss_weight=1.0),
                 depth_act: ConfigType = dict(mode='sigmoid'),
                 **kwargs) -> None:
        super().__init__(**kwargs)
        norm_cfg = kwargs.get('norm_cfg', dict(type='GN', num_groups=32))
        self.depth_convs = nn.Sequential(*[
            ConvModule(
                self.in_channels, self.in_channels, 1, norm_cfg=norm_cfg)
            for _ in range(num_depth_convs)
        ])
        self.conv_direct_depth = nn.Conv2d(self.in_channels, 1, 1)
        self.loss_depth = MODELS.build(loss_depth)
        self.depth_act = dict(depth_act)

    def init_weights(self) -> None:
        """:class:`KernelProposalHead`'s init, and normal init (std 0.01)
        of the depth convs."""
        super().init_weights()
        for m in self.depth_convs.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, 0, 0.01)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
        nn.init.normal_(self.conv_direct_depth.weight, 0, 0.01)
        nn.init.zeros_(self.conv_direct_depth.bias)

    def forward(self, loc_feats: Tensor, sem_feats: Tensor,
                depth_feats: Tensor) -> Dict:
        """Initial kernels, masks and depth.

        Args:
            loc_feats (Tensor): Localisation features (B, C, h, w).
            sem_feats (Tensor): Semantic features (B, C, h, w).
            depth_feats (Tensor): Depth features (B, C, h, w).

        Returns:
            dict: :class:`KernelProposalHead`'s outputs, plus
            ``depth_feats`` (B, C, h, w) the features the depth kernels act
            on, ``depth_preds`` (B, 1, h, w) per-pixel depth logits and
            ``depth_kernels`` (B, N + ns, C) the initial depth kernels.
        """
        out = super().forward(loc_feats, sem_feats)
        depth_feats = self.depth_convs(depth_feats)
        batch, num_kernels = out['kernels'].shape[:2]
        out['depth_feats'] = depth_feats
        out['depth_preds'] = self.conv_direct_depth(depth_feats)
        out['depth_kernels'] = self.conv_direct_depth.weight.flatten(
            1)[None].expand(batch, num_kernels, -1)
        return out

    def activate(self, depth_logits: Tensor) -> Tensor:
        """Depth logits -> metres with ``depth_act``."""
        return depth_activation(depth_logits, **self.depth_act)

    def depth_loss(self, depth_preds: Tensor,
                   batch_gt_instances: InstanceList) -> Tensor:
        """``loss_depth`` of (B, 1, h, w) per-pixel depth logits against
        the targets' ``gt_depth`` metainfo (B x (H', W'))."""
        target = gt_depths(batch_gt_instances)
        pred = self.activate(resize_to(depth_preds[:, 0], target.shape[-2:]))
        return self.loss_depth(pred, target)
