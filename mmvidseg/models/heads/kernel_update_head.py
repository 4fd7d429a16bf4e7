# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_activation_layer, build_norm_layer
from mmcv.cnn.bricks.transformer import FFN, MultiheadAttention
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.model import BaseModule
from mmengine.model.weight_init import bias_init_with_prob
from torch import Tensor

from mmvidseg.registry import MODELS


def _fc_stack(channels: int, num_fcs: int,
              act_cfg: ConfigType) -> nn.Sequential:
    """``num_fcs`` x (Linear without bias, LayerNorm, activation)."""
    layers = []
    for _ in range(num_fcs):
        layers += [
            nn.Linear(channels, channels, bias=False),
            build_norm_layer(dict(type='LN'), channels)[1],
            build_activation_layer(act_cfg)
        ]
    return nn.Sequential(*layers)


def mask_pool(x: Tensor, mask_logits: Tensor, thr: float) -> Tensor:
    """Sum the features under each (hard) mask: K-Net's group features.

    For a clip the per-frame sums are averaged over the frames (the
    official clip-level ``query_merge_method='mean'``).

    Args:
        x (Tensor): Features (B, C, H, W), or a clip (B, T, C, H, W).
        mask_logits (Tensor): Mask logits (B, N, h, w), or (B, N, T, h, w)
            for a clip; resized to (H, W) when needed.
        thr (float): Pixels with ``sigmoid(logit) > thr`` belong to a mask.

    Returns:
        Tensor: (B, N, C) pooled features.
    """
    clip = x.dim() == 5
    height, width = x.shape[-2:]
    if mask_logits.shape[-2:] != (height, width):
        shape = mask_logits.shape
        mask_logits = F.interpolate(
            mask_logits.flatten(1, -3), (height, width),
            mode='bilinear',
            align_corners=False).view(*shape[:-2], height, width)
    masks = (mask_logits.sigmoid() > thr).to(x.dtype)
    if clip:
        return torch.einsum('bnthw,btchw->bnc', masks, x) / x.shape[1]
    return torch.einsum('bnhw,bchw->bnc', masks, x)


@MODELS.register_module()
class KernelUpdateHead(BaseModule):
    """One kernel-update stage of (Video) K-Net.

    Each kernel gathers the features under its current (binarised) mask,
    is updated by the gated ``KernelUpdator`` (mmseg's, by scoped name),
    interacts with the other kernels by self-attention, goes through an
    FFN, and predicts a class score and a new mask (a dynamic 1x1 conv of
    the feature map). Kernels are (B, N, C) vectors (1x1 kernels, as in
    every official Video K-Net config).

    Video K-Net adds two optional steps that use the previous frame's
    kernels (same kernel order, only in the last stage):

    * **kernel fusion** (``with_fusion``, the paper's "fusing kernels via
      kernel update", the official ``previous_link='update_dynamic_cov'``):
      before the update, the previous kernels are updated with the current
      group features by a second ``KernelUpdator``, and the current kernels
      attend to them (multi-head attention, residual, LN) followed by an
      FFN and LN;
    * **kernel linking** (``with_link``, the official
      ``previous_type='ffn'``): after the FFN, the kernels attend to the
      previous kernels (query = current, key = value = previous; residual,
      LN), then a link FFN and LN give the *track kernels* that the
      association embedding uses. Masks and classes still come from the
      unlinked kernels.

    The same head also runs on a clip (clip-level VIS): features
    (B, T, C, H, W), masks (B, N, T, h, w); group features are averaged
    over the frames and each kernel predicts a mask in every frame.

    Args:
        num_classes (int): Classes of the sigmoid classifier (things first,
            then stuff).
        in_channels (int): Kernel and feature channels C. Defaults to 256.
        feedforward_channels (int): FFN hidden channels. Defaults to 2048.
        num_heads (int): Attention heads. Defaults to 8.
        num_ffn_fcs (int): FFN layers. Defaults to 2.
        num_cls_fcs (int): Linear-LN-ReLU layers before the classifier.
            Defaults to 1.
        with_cls (bool): Build the classifier; without it ``cls_scores`` is
            None (the per-frame stages of :class:`KernelClipIterHead`).
            Defaults to True.
        num_mask_fcs (int): Linear-LN-ReLU layers before the mask kernel.
            Defaults to 1.
        dropout (float): Attention and FFN dropout. Defaults to 0.
        hard_mask_thr (float): Mask binarisation threshold for the group
            features. Defaults to 0.5.
        with_feat_transform (bool): A 1x1 conv on the features before
            gathering (the official ``feat_transform_cfg``). Defaults to
            True.
        kernel_updator_cfg (dict): Config of the updator. Defaults to
            ``mmseg.KernelUpdator`` with C in/feat/out channels.
        with_fusion (bool): Build the kernel-fusion layers. Defaults to
            False.
        with_link (bool): Build the kernel-linking layers. Defaults to
            False.
        act_cfg (dict): Activation of the cls/mask fcs.
        ffn_act_cfg (dict): Activation of the FFNs.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None: the official init (Xavier-uniform weight
            matrices, classifier bias prior 0.01).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int = 256,
                 feedforward_channels: int = 2048,
                 num_heads: int = 8,
                 num_ffn_fcs: int = 2,
                 num_cls_fcs: int = 1,
                 with_cls: bool = True,
                 num_mask_fcs: int = 1,
                 dropout: float = 0.0,
                 hard_mask_thr: float = 0.5,
                 with_feat_transform: bool = True,
                 kernel_updator_cfg: OptConfigType = None,
                 with_fusion: bool = False,
                 with_link: bool = False,
                 act_cfg: ConfigType = dict(type='ReLU', inplace=True),
                 ffn_act_cfg: ConfigType = dict(type='ReLU', inplace=True),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_classes < 1:
            raise ValueError(f'num_classes must be >= 1, got {num_classes}')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.hard_mask_thr = hard_mask_thr
        self.with_fusion = with_fusion
        self.with_link = with_link
        if kernel_updator_cfg is None:
            kernel_updator_cfg = dict(
                type='mmseg.KernelUpdator',
                in_channels=in_channels,
                feat_channels=in_channels,
                out_channels=in_channels,
                act_cfg=dict(type='ReLU', inplace=True),
                norm_cfg=dict(type='LN'))
        # arguments of the interaction blocks (see _add_interaction)
        self._interaction_args = (num_heads, feedforward_channels,
                                  num_ffn_fcs, dropout, ffn_act_cfg)
        add_interaction = self._add_interaction
        self.kernel_updator_cfg = kernel_updator_cfg
        self.feat_transform = nn.Conv2d(
            in_channels, in_channels, 1) if with_feat_transform else None
        self.kernel_update_conv = MODELS.build(kernel_updator_cfg)
        add_interaction('')
        if with_fusion:
            self.fusion_update_conv = MODELS.build(kernel_updator_cfg)
            add_interaction('fusion_')
        if with_link:
            add_interaction('link_')
        self.cls_fcs = self.fc_cls = None
        if with_cls:
            self.cls_fcs = _fc_stack(in_channels, num_cls_fcs, act_cfg)
            self.fc_cls = nn.Linear(in_channels, num_classes)
        self.mask_fcs = _fc_stack(in_channels, num_mask_fcs, act_cfg)
        self.fc_mask = nn.Linear(in_channels, in_channels)

    def _add_interaction(self, prefix: str) -> None:
        """Build ``{prefix}attention`` (MHA), ``{prefix}ffn`` and their LNs
        ``{prefix}attention_norm``, ``{prefix}ffn_norm``."""
        num_heads, feedforward_channels, num_ffn_fcs, dropout, \
            ffn_act_cfg = self._interaction_args
        channels = self.in_channels
        layers = dict(
            attention=MultiheadAttention(
                channels, num_heads, attn_drop=dropout, batch_first=True),
            attention_norm=build_norm_layer(dict(type='LN'), channels)[1],
            ffn=FFN(channels, feedforward_channels, num_ffn_fcs,
                    act_cfg=ffn_act_cfg, ffn_drop=dropout),
            ffn_norm=build_norm_layer(dict(type='LN'), channels)[1])
        for name, layer in layers.items():
            self.add_module(prefix + name, layer)

    def init_weights(self) -> None:
        """Xavier-uniform for every weight matrix and the classifier bias
        prior 0.01 (the official init), or ``init_cfg`` when given."""
        if self.init_cfg is not None:
            super().init_weights()
            return
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)
        if self.fc_cls is not None:
            nn.init.constant_(self.fc_cls.bias, bias_init_with_prob(0.01))
        self._is_init = True

    def _update(self, updator: nn.Module, group_feats: Tensor,
                kernels: Tensor) -> Tensor:
        """Run a ``KernelUpdator`` on (B, N, C) kernels."""
        b, n, c = kernels.shape
        out = updator(group_feats.reshape(b * n, c), kernels.unsqueeze(2))
        return out.reshape(b, n, c)

    def _interact(self,
                  prefix: str,
                  kernels: Tensor,
                  memory: Optional[Tensor] = None) -> Tensor:
        """``{prefix}attention`` of the (B, N, C) kernels to themselves (or
        to the (B, N, C) ``memory``: key = value = memory), residual, LN,
        then ``{prefix}ffn`` (residual) and LN."""
        attention = getattr(self, f'{prefix}attention')
        kernels = getattr(self, f'{prefix}attention_norm')(attention(
            kernels, key=memory, value=memory))
        return getattr(self, f'{prefix}ffn_norm')(
            getattr(self, f'{prefix}ffn')(kernels))

    def forward(self,
                x: Tensor,
                kernels: Tensor,
                mask_preds: Tensor,
                prev_kernels: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Update the kernels and predict classes and masks.

        Args:
            x (Tensor): Features (B, C, H, W), or a clip (B, T, C, H, W).
            kernels (Tensor): Kernels of the previous stage (B, N, C).
            mask_preds (Tensor): Mask logits of the previous stage
                (B, N, h, w), or (B, N, T, h, w) for a clip.
            prev_kernels (Tensor, optional): The previous frame's last-stage
                kernels (B, N, C), used by fusion and linking.

        Returns:
            dict: ``cls_scores`` (B, N, num_classes) logits (None without
            a classifier), ``mask_preds``
            (B, N, H, W) or (B, N, T, H, W) logits, ``kernels`` (B, N, C)
            and ``track_kernels`` (B, N, C): the linked kernels, or the
            kernels themselves without linking / previous kernels.
        """
        clip = x.dim() == 5
        if self.feat_transform is not None:
            if clip:
                b, t = x.shape[:2]
                x = self.feat_transform(x.flatten(0, 1)).unflatten(0, (b, t))
            else:
                x = self.feat_transform(x)
        group_feats = mask_pool(x, mask_preds, self.hard_mask_thr)

        if self.with_fusion and prev_kernels is not None:
            prev = self._update(self.fusion_update_conv, group_feats,
                                prev_kernels)
            kernels = self._interact('fusion_', kernels, prev)

        obj = self._update(self.kernel_update_conv, group_feats, kernels)
        obj = self._interact('', obj)

        track = obj
        if self.with_link and prev_kernels is not None:
            track = self._interact('link_', obj, prev_kernels)

        cls_scores = None
        if self.fc_cls is not None:
            cls_scores = self.fc_cls(self.cls_fcs(obj))
        mask_kernels = self.fc_mask(self.mask_fcs(obj))
        if clip:
            masks = torch.einsum('bnc,btchw->bnthw', mask_kernels, x)
        else:
            masks = torch.einsum('bnc,bchw->bnhw', mask_kernels, x)
        return dict(
            cls_scores=cls_scores,
            mask_preds=masks,
            kernels=obj,
            track_kernels=track)
