# Copyright (c) OpenMMLab. All rights reserved.
from typing import Optional

import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor

from mmvidseg.ops.region_conv import (gather_pixels, memory_format_of,
                                      scatter_pixels)
from mmvidseg.registry import MODELS
from ..layers.region_resnet import conv_module_rows, linear_rows


@MODELS.register_module()
class CascadeStageHead(BaseModule):
    """The classifier that ends each stage of a Deep Layer Cascade.

    ``num_convs`` conv-norm-act layers, dropout, then a 1x1 classifier, as
    the "extra convolutions and softmax" after each stage of
    `Not All Pixels are Equal <https://arxiv.org/abs/1704.01344>`_. It runs
    densely (:meth:`forward`) or only at a set of pixels
    (:meth:`forward_rows`), with the same parameters.

    Args:
        in_channels (int): Channels of the stage's features.
        channels (int): Channels of the hidden convs.
        num_classes (int): Number of classes.
        num_convs (int): Hidden convs. Defaults to 1.
        kernel_size (int): Kernel of the hidden convs. Defaults to 3.
        dilation (int): Dilation of the hidden convs. Defaults to 1.
        dropout_ratio (float): Dropout before the classifier. Defaults to
            0.1.
        norm_cfg (dict): Norm of the hidden convs (batch norm: region
            stages normalise compact rows). Defaults to ``dict(type='BN')``.
        act_cfg (dict): Activation. Defaults to ``dict(type='ReLU')``.
        init_cfg (dict, optional): Initialisation config; defaults to a
            normal init of the classifier (std 0.01), as mmseg heads do.
    """

    def __init__(self,
                 in_channels: int,
                 channels: int,
                 num_classes: int,
                 num_convs: int = 1,
                 kernel_size: int = 3,
                 dilation: int = 1,
                 dropout_ratio: float = 0.1,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU'),
                 init_cfg: Optional[dict] = dict(
                     type='Normal', std=0.01, override=dict(name='conv_seg'))):
        super().__init__(init_cfg=init_cfg)
        if num_convs < 0 or num_classes < 1:
            raise ValueError('CascadeStageHead: num_convs must be >= 0 and '
                             f'num_classes >= 1, got {num_convs}, '
                             f'{num_classes}')
        self.num_classes = num_classes
        self.convs = nn.ModuleList()
        for i in range(num_convs):
            self.convs.append(
                ConvModule(
                    in_channels if i == 0 else channels,
                    channels,
                    kernel_size,
                    padding=dilation * (kernel_size // 2),
                    dilation=dilation,
                    norm_cfg=norm_cfg,
                    act_cfg=act_cfg))
        self.dropout = nn.Dropout(dropout_ratio) if dropout_ratio > 0 else None
        self.conv_seg = nn.Conv2d(channels if num_convs else in_channels,
                                  num_classes, 1)

    def forward(self, x: Tensor) -> Tensor:
        """Logits at every pixel.

        Args:
            x (Tensor): Features (N, C, h, w).

        Returns:
            Tensor: Logits (N, num_classes, h, w).
        """
        for conv in self.convs:
            x = conv(x)
        if self.dropout is not None:
            x = self.dropout(x)
        return self.conv_seg(x)

    def forward_rows(self, x: Tensor, index: Tensor) -> Tensor:
        """Logits at the pixels ``index`` only.

        Args:
            x (Tensor): Dense features (N, C, h, w); pixels outside the
                region still feed the hidden convs' windows.
            index (Tensor): Flat pixels ``n * h * w + y * w + x``, (K,).

        Returns:
            Tensor: Logits (K, num_classes), one row per pixel of ``index``.
        """
        if not self.convs:
            rows = gather_pixels(x, index)
        for i, conv in enumerate(self.convs):
            if i > 0:  # later convs see zeros outside the region
                x = scatter_pixels(
                    rows,
                    index,
                    size=(x.size(0), x.size(2), x.size(3)),
                    memory_format=memory_format_of(x))
            rows = conv_module_rows(conv, x, index)
        if self.dropout is not None:
            rows = self.dropout(rows)
        return linear_rows(self.conv_seg, rows)
