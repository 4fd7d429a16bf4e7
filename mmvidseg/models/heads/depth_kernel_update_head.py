# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict, Optional

import torch
import torch.nn as nn
from mmcv.cnn import build_norm_layer
from torch import Tensor

from mmvidseg.registry import MODELS
from .kernel_update_head import KernelUpdateHead, mask_pool


@MODELS.register_module()
class DepthKernelUpdateHead(KernelUpdateHead):
    """A kernel-update stage with PolyphonicFormer's depth queries.

    The panoptic kernels are updated exactly as :class:`KernelUpdateHead`.
    Beside them, every query has a *depth kernel*: it is added to the
    detached panoptic kernel of the stage input (so depth gradients do not
    reach the panoptic queries), updated by its own gated
    ``KernelUpdator`` (``kernel_update_conv_depth``) with the depth
    features pooled under the query's current (binarised) mask, then goes
    through its own self-attention and FFN (``depth_attention``,
    ``depth_ffn`` and their LNs). ``num_depth_fcs`` Linear-LN layers and a
    Linear (``fc_depth``) give the dynamic 1x1 kernel that convolves the
    (transformed) depth features into the query's depth logits: one
    instance-level depth map per query.

    Args:
        num_depth_fcs (int): Linear(no bias)-LN layers before ``fc_depth``
            (the official ``depth_regs``, no activation). Defaults to 1.
        **kwargs: :class:`KernelUpdateHead`'s arguments.
    """

    def __init__(self, num_depth_fcs: int = 1, **kwargs) -> None:
        super().__init__(**kwargs)
        channels = self.in_channels
        self.feat_depth_transform = nn.Conv2d(
            channels, channels, 1) if self.feat_transform is not None \
            else None
        self.kernel_update_conv_depth = MODELS.build(self.kernel_updator_cfg)
        self._add_interaction('depth_')
        layers = []
        for _ in range(num_depth_fcs):
            layers += [
                nn.Linear(channels, channels, bias=False),
                build_norm_layer(dict(type='LN'), channels)[1]
            ]
        self.depth_fcs = nn.Sequential(*layers)
        self.fc_depth = nn.Linear(channels, channels)

    def forward(self,
                x: Tensor,
                kernels: Tensor,
                mask_preds: Tensor,
                prev_kernels: Optional[Tensor] = None,
                depth_feats: Optional[Tensor] = None,
                depth_kernels: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Update the panoptic and the depth kernels.

        Args:
            x (Tensor): Features (B, C, H, W).
            kernels (Tensor): Panoptic kernels of the previous stage
                (B, N, C).
            mask_preds (Tensor): Mask logits of the previous stage
                (B, N, h, w).
            prev_kernels (Tensor, optional): See :class:`KernelUpdateHead`.
            depth_feats (Tensor): Depth features (B, C, H, W).
            depth_kernels (Tensor): Depth kernels of the previous stage
                (B, N, C).

        Returns:
            dict: :class:`KernelUpdateHead`'s outputs, plus
            ``depth_kernels`` (B, N, C) and ``depth_preds`` (B, N, H, W)
            per-query depth logits.
        """
        if depth_feats is None or depth_kernels is None:
            raise ValueError('DepthKernelUpdateHead needs depth_feats and '
                             'depth_kernels')
        if x.dim() != 4:
            raise ValueError('DepthKernelUpdateHead runs on frames '
                             f'(B, C, H, W), got {tuple(x.shape)}')
        out = super().forward(x, kernels, mask_preds, prev_kernels)
        if self.feat_depth_transform is not None:
            depth_feats = self.feat_depth_transform(depth_feats)
        group_feats = mask_pool(depth_feats, mask_preds, self.hard_mask_thr)
        queries = depth_kernels + kernels.detach()
        queries = self._update(self.kernel_update_conv_depth, group_feats,
                               queries)
        queries = self._interact('depth_', queries)
        dynamic = self.fc_depth(self.depth_fcs(queries))
        out['depth_kernels'] = queries
        out['depth_preds'] = torch.einsum('bnc,bchw->bnhw', dynamic,
                                          depth_feats)
        return out
