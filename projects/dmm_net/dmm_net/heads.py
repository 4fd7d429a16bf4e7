# Copyright (c) OpenMMLab. All rights reserved.
"""DMM-Net's cost embedding and mask refinement heads."""
from typing import List, Sequence

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from torch import Tensor, nn

from mmvidseg.registry import MODELS


def mask_pool(feats: Tensor, masks: Tensor, eps: float = 1e-6) -> Tensor:
    """Average features inside soft masks.

    Args:
        feats (Tensor): One frame's features, (C, h, w).
        masks (Tensor): K masks of the frame, (K, H, W), resized to (h, w).

    Returns:
        Tensor: (K, C) pooled features (zeros for empty masks).
    """
    m = F.interpolate(masks[:, None].float(), size=feats.shape[-2:],
                      mode='bilinear', align_corners=False)[:, 0]
    num = torch.einsum('khw,chw->kc', m, feats)
    return num / (m.flatten(1).sum(1, keepdim=True) + eps)


def mask_iou(a: Tensor, b: Tensor, eps: float = 1e-6) -> Tensor:
    """Soft IoU matrix (K, P) of masks (K, H, W) and (P, H, W)."""
    a, b = a.flatten(1).float(), b.flatten(1).float()
    inter = a @ b.t()
    union = a.sum(1)[:, None] + b.sum(1)[None] - inter
    return inter / (union + eps)


@MODELS.register_module()
class MatchingCostHead(nn.Module):
    """The CNN-predicted matching cost of DMM-Net.

    Template and proposal features are mask-pooled from the encoder's
    feature map, embedded by a small CNN (convolutions before pooling, an
    MLP after) and compared by cosine similarity; like the official code,
    the similarity is mixed with the IoU between the proposals and the
    templates' masks in the previous frame:

        cost = -((1 - w) * cos(template, proposal) + w * IoU(prev, proposal))

    Args:
        in_channels (int): Encoder channels of the pooled level.
        channels (int): Embedding width. Defaults to 64.
        num_convs (int): 3x3 convolutions before pooling. Defaults to 2.
        iou_weight (float): ``w`` above, in [0, 1]. Defaults to 0.5.
        norm_cfg (dict): Norm of the convolutions.
    """

    def __init__(self,
                 in_channels: int,
                 channels: int = 64,
                 num_convs: int = 2,
                 iou_weight: float = 0.5,
                 norm_cfg: dict = dict(type='BN')) -> None:
        super().__init__()
        if not 0.0 <= iou_weight <= 1.0:
            raise ValueError(f'iou_weight must lie in [0, 1], got '
                             f'{iou_weight}')
        self.iou_weight = float(iou_weight)
        self.convs = nn.Sequential(*[
            ConvModule(in_channels if i == 0 else channels, channels, 3,
                       padding=1, norm_cfg=norm_cfg)
            for i in range(num_convs)
        ])
        self.mlp = nn.Sequential(
            nn.Linear(channels, channels), nn.ReLU(inplace=True),
            nn.Linear(channels, channels))

    def embed(self, feats: Tensor, masks: Tensor) -> Tensor:
        """(K, channels) embeddings of K masks (K, H, W) of one frame whose
        encoder features are ``feats`` (C, h, w)."""
        return self.mlp(mask_pool(self.convs(feats[None])[0], masks))

    def forward(self, templates: Tensor, proposals: Tensor,
                prev_masks: Tensor, proposal_masks: Tensor) -> Tensor:
        """Cost matrix.

        Args:
            templates (Tensor): (K, D) template embeddings.
            proposals (Tensor): (P, D) proposal embeddings.
            prev_masks (Tensor): (K, H, W) the objects in the previous
                frame.
            proposal_masks (Tensor): (P, H, W) the proposals.

        Returns:
            Tensor: (K, P) costs.
        """
        cos = F.normalize(templates, dim=1) @ F.normalize(proposals,
                                                          dim=1).t()
        iou = mask_iou(prev_masks, proposal_masks)
        return -((1 - self.iou_weight) * cos + self.iou_weight * iou)


@MODELS.register_module()
class MaskRefineHead(nn.Module):
    """U-Net style decoder refining each object's matched proposal.

    From the deepest encoder level up, the matched mask (resized) is
    concatenated to the features, convolved, up-sampled and added to the
    next (shallower) level's projected features; a 1x1 convolution gives
    one object logit map at the shallowest level's stride.

    Args:
        in_channels (Sequence[int]): Encoder channels, shallow to deep.
        channels (int): Decoder width. Defaults to 32.
        norm_cfg (dict): Norm of the convolutions.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 channels: int = 32,
                 norm_cfg: dict = dict(type='BN')) -> None:
        super().__init__()
        self.laterals = nn.ModuleList([
            ConvModule(c, channels, 1, norm_cfg=norm_cfg)
            for c in in_channels
        ])
        self.fuse = nn.ModuleList([
            ConvModule(channels + 1, channels, 3, padding=1,
                       norm_cfg=norm_cfg) for _ in in_channels
        ])
        self.cls = nn.Conv2d(channels, 1, 1)

    def forward(self, feats: List[Tensor], masks: Tensor) -> Tensor:
        """Object logits.

        Args:
            feats (list[Tensor]): One frame's encoder levels, each
                (1, C_l, h_l, w_l), shallow to deep.
            masks (Tensor): (K, H, W) matched masks in [0, 1].

        Returns:
            Tensor: (K, H, W) object logits.
        """
        k = masks.size(0)
        x = None
        for level in range(len(feats) - 1, -1, -1):
            lat = self.laterals[level](feats[level]).expand(k, -1, -1, -1)
            if x is not None:
                lat = lat + F.interpolate(x, size=lat.shape[-2:],
                                          mode='bilinear',
                                          align_corners=False)
            m = F.interpolate(masks[:, None].float(), size=lat.shape[-2:],
                              mode='bilinear', align_corners=False)
            x = self.fuse[level](torch.cat([lat, m], 1))
        logits = self.cls(x)
        return F.interpolate(logits, size=masks.shape[-2:], mode='bilinear',
                             align_corners=False)[:, 0]
