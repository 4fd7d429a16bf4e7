# Copyright (c) OpenMMLab. All rights reserved.
from typing import Sequence

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmdet.utils import OptConfigType, OptMultiConfig
from mmengine.model import BaseModule
from mmseg.models.decode_heads.aspp_head import ASPPModule
from torch import Tensor

from mmvidseg.registry import MODELS


@MODELS.register_module()
class MaskPropagationHead(BaseModule):
    """ASPP head of one stream of VS-ReID's mask propagation module.

    Parallel atrous branches (mmseg's ``ASPPModule``; dilations 6 / 12 / 18
    / 24 and a 1x1 branch, the release's ``ASPP_simple`` rates) on the last
    feature map of a dilated ResNet, concatenated, fused by a 1x1 conv and
    classified into background / object (2 classes) at the feature stride.

    Args:
        in_channels (int): Channels of the backbone's output.
        channels (int): Channels of each branch. Defaults to 512.
        dilations (Sequence[int]): Branch dilations (1 gives a 1x1 conv).
            Defaults to (6, 12, 18, 24, 1).
        num_classes (int): Output classes. Defaults to 2.
        dropout_ratio (float): Dropout before the classifier.
        norm_cfg (dict, optional): Norm of the branches.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 channels: int = 512,
                 dilations: Sequence[int] = (6, 12, 18, 24, 1),
                 num_classes: int = 2,
                 dropout_ratio: float = 0.1,
                 norm_cfg: OptConfigType = dict(type='BN', requires_grad=True),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.aspp = ASPPModule(
            tuple(dilations), in_channels, channels, conv_cfg=None,
            norm_cfg=norm_cfg, act_cfg=dict(type='ReLU'))
        self.fuse = ConvModule(
            len(dilations) * channels, channels, 1, norm_cfg=norm_cfg)
        self.dropout = nn.Dropout2d(dropout_ratio) if dropout_ratio > 0 \
            else nn.Identity()
        self.cls = nn.Conv2d(channels, num_classes, 1)
        self.num_classes = num_classes

    def forward(self, x: Tensor) -> Tensor:
        """Logits of (N, C, h, w) features: shape (N, num_classes, h, w)."""
        return self.cls(self.dropout(self.fuse(torch.cat(self.aspp(x), 1))))
