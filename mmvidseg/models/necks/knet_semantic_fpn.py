# Copyright (c) OpenMMLab. All rights reserved.
from typing import Optional, Sequence, Tuple

import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.model import BaseModule
from torch import Tensor

from mmvidseg.registry import MODELS


@MODELS.register_module()
class KNetSemanticFPN(BaseModule):
    """Semantic-FPN fusion of a feature pyramid into one map (K-Net).

    Every pyramid level ``i`` in ``[start_level, end_level]`` is brought to
    the resolution of level ``out_level`` by a stack of ``max(i, 1)``
    3x3 ConvModules: the first ``out_level - i`` of them have stride 2 on
    finer levels, the first ``i - out_level`` are each followed by a 2x
    bilinear upsampling on coarser levels (the layout of Panoptic FPN's
    semantic branch as K-Net uses it). The levels are summed and two 1x1
    ConvModules produce the *localisation* feature (thing kernels) and the
    *semantic* feature (stuff kernels). A sine positional encoding may be
    added to one input level (the coarsest by default, as the official
    ``cat_coors_level=3``).

    Args:
        in_channels (int): Channels of every pyramid level (FPN output).
        feat_channels (int): Channels of the per-level convs.
        out_channels (int): Channels of the two outputs.
        start_level (int): First level used. Defaults to 0.
        end_level (int): Last level used. Defaults to 3.
        out_level (int): Level whose resolution the output has, e.g. 1 for
            stride 8 on an FPN starting at stride 4 (Video K-Net on
            KITTI-STEP), 0 for stride 4. Defaults to 1.
        positional_encoding (dict, optional): e.g.
            ``dict(type='mmdet.SinePositionalEncoding', num_feats=128,
            normalize=True)`` (``2 * num_feats == in_channels``). Defaults
            to None.
        positional_encoding_level (int, optional): The level it is added
            to; ``end_level`` when None. Defaults to None.
        conv_cfg (dict, optional): Conv config. Defaults to None.
        norm_cfg (dict, optional): Norm config, e.g.
            ``dict(type='GN', num_groups=32)``. Defaults to None.
        act_cfg (dict): Activation of the per-level convs.
        init_cfg (dict, optional): Defaults to normal init (std 0.01) of all
            convs, as the official code.
    """

    def __init__(self,
                 in_channels: int,
                 feat_channels: int,
                 out_channels: int,
                 start_level: int = 0,
                 end_level: int = 3,
                 out_level: int = 1,
                 positional_encoding: OptConfigType = None,
                 positional_encoding_level: Optional[int] = None,
                 conv_cfg: OptConfigType = None,
                 norm_cfg: OptConfigType = None,
                 act_cfg: ConfigType = dict(type='ReLU', inplace=True),
                 init_cfg: OptMultiConfig = dict(
                     type='Normal', layer='Conv2d', std=0.01)) -> None:
        super().__init__(init_cfg=init_cfg)
        if not 0 <= start_level <= out_level <= end_level:
            raise ValueError('KNetSemanticFPN needs start_level <= out_level '
                             f'<= end_level, got {start_level}, {out_level}, '
                             f'{end_level}')
        self.start_level = start_level
        self.end_level = end_level
        self.out_level = out_level
        self.positional_encoding = None
        self.pe_level = end_level if positional_encoding_level is None \
            else positional_encoding_level
        if not start_level <= self.pe_level <= end_level:
            raise ValueError(f'positional_encoding_level {self.pe_level} is '
                             f'outside [{start_level}, {end_level}]')
        if positional_encoding is not None:
            self.positional_encoding = MODELS.build(positional_encoding)
        self.convs_all_levels = nn.ModuleList()
        for i in range(start_level, end_level + 1):
            layers = nn.Sequential()
            for j in range(max(i, 1, out_level - i)):
                stride = 2 if j < out_level - i else 1
                layers.add_module(
                    f'conv{j}',
                    ConvModule(
                        in_channels if j == 0 else feat_channels,
                        feat_channels,
                        3,
                        stride=stride,
                        padding=1,
                        conv_cfg=conv_cfg,
                        norm_cfg=norm_cfg,
                        act_cfg=act_cfg,
                        inplace=False))
                if j < i - out_level:
                    layers.add_module(
                        f'upsample{j}',
                        nn.Upsample(
                            scale_factor=2,
                            mode='bilinear',
                            align_corners=False))
            self.convs_all_levels.append(layers)

        def out_conv() -> ConvModule:
            """The 1x1 ConvModule of an output branch."""
            return ConvModule(
                feat_channels,
                out_channels,
                1,
                conv_cfg=conv_cfg,
                norm_cfg=norm_cfg,
                act_cfg=dict(type='ReLU'))

        self.loc_conv = out_conv()
        self.sem_conv = out_conv()

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[Tensor, Tensor]:
        """Fuse the pyramid.

        Args:
            inputs (Sequence[Tensor]): Pyramid levels, level ``i`` of shape
                (B, in_channels, H_i, W_i) with ``H_i = H_0 / 2**i``.

        Returns:
            tuple[Tensor, Tensor]: The localisation and semantic features,
            each (B, out_channels, H_out, W_out) at the stride of
            ``out_level``.
        """
        fused = self.fuse(inputs)
        return self.loc_conv(fused), self.sem_conv(fused)

    def fuse(self, inputs: Sequence[Tensor]) -> Tensor:
        """Sum of the per-level conv stacks: (B, feat_channels, H_out,
        W_out), before the output branches."""
        if len(inputs) <= self.end_level:
            raise ValueError(f'KNetSemanticFPN uses levels up to '
                             f'{self.end_level} but got {len(inputs)} levels')
        size = inputs[self.out_level].shape[-2:]
        fused: Optional[Tensor] = None
        for k, i in enumerate(range(self.start_level, self.end_level + 1)):
            x = inputs[i]
            if i == self.pe_level and self.positional_encoding is not None:
                mask = x.new_zeros((x.shape[0], ) + x.shape[-2:]).bool()
                x = x + self.positional_encoding(mask)
            y = self.convs_all_levels[k](x)
            if y.shape[-2:] != size:
                # inputs whose size is not a multiple of the coarsest stride
                y = F.interpolate(
                    y, size, mode='bilinear', align_corners=False)
            fused = y if fused is None else fused + y
        return fused
