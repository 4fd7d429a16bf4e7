# Copyright (c) OpenMMLab. All rights reserved.
from typing import Sequence, Tuple

from mmcv.cnn import ConvModule
from torch import Tensor

from mmvidseg.registry import MODELS
from .knet_semantic_fpn import KNetSemanticFPN


@MODELS.register_module()
class DepthSemanticFPN(KNetSemanticFPN):
    """:class:`KNetSemanticFPN` with a depth branch (PolyphonicFormer).

    Besides the localisation and semantic outputs, an auxiliary 1x1
    ConvModule on the fused pyramid gives the *depth features* that the
    depth queries act on (the official ``num_aux_convs=2``: one auxiliary
    conv for the semantic, one for the depth features).

    Args:
        **kwargs: :class:`KNetSemanticFPN`'s arguments (``in_channels``,
            ``feat_channels``, ``out_channels``, levels, positional
            encoding, ``conv_cfg``, ``norm_cfg``, ...).
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.depth_conv = ConvModule(
            kwargs['feat_channels'],
            kwargs['out_channels'],
            1,
            conv_cfg=kwargs.get('conv_cfg'),
            norm_cfg=kwargs.get('norm_cfg'),
            act_cfg=dict(type='ReLU'))

    def forward(self,
                inputs: Sequence[Tensor]) -> Tuple[Tensor, Tensor, Tensor]:
        """Fuse the pyramid.

        Args:
            inputs (Sequence[Tensor]): Pyramid levels (B, in_channels,
                H_i, W_i).

        Returns:
            tuple[Tensor, Tensor, Tensor]: The localisation, semantic and
            depth features, each (B, out_channels, H_out, W_out).
        """
        fused = self.fuse(inputs)
        return self.loc_conv(fused), self.sem_conv(fused), \
            self.depth_conv(fused)
