# Copyright (c) OpenMMLab. All rights reserved.
"""SegFlow's optical-flow encoder (FlowNetS-style) and the decoder that
joins the segmentation and flow branches in both directions."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmdet.utils import OptConfigType
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmvidseg.registry import MODELS

LEAKY = dict(type='LeakyReLU', negative_slope=0.1)
JOINS = ('seg_to_flow', 'flow_to_seg')


@MODELS.register_module()
class FlowNetSEncoder(BaseModule):
    """FlowNetS's contracting part: the two frames stacked on the channels,
    then one stride-2 convolution per level (7x7, 5x5, 5x5, then 3x3, as
    FlowNetS) and, from the third level on, a 3x3 stride-1 convolution.

    Args:
        in_channels (int): Input channels (two RGB frames: 6).
        channels (Sequence[int]): Output channels of each level; level i
            has stride ``2 ** (i + 1)``. Defaults to FlowNetS's first five
            levels (64, 128, 256, 512, 512).
        kernel_sizes (Sequence[int]): Kernel of each level's strided
            convolution. Defaults to (7, 5, 5, 3, 3).
        norm_cfg (dict, optional): Norm layer (FlowNetS has none).
        act_cfg (dict): Activation. Defaults to LeakyReLU(0.1).
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: int = 6,
                 channels: Sequence[int] = (64, 128, 256, 512, 512),
                 kernel_sizes: Sequence[int] = (7, 5, 5, 3, 3),
                 norm_cfg: OptConfigType = None,
                 act_cfg: dict = LEAKY,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(kernel_sizes) != len(channels):
            raise ValueError(f'one kernel size per level: got '
                             f'{len(kernel_sizes)} for {len(channels)}')
        self.channels = tuple(channels)
        self.levels = nn.ModuleList()
        prev = in_channels
        for i, (c, k) in enumerate(zip(channels, kernel_sizes)):
            layers = [
                ConvModule(prev, c, k, stride=2, padding=k // 2,
                           norm_cfg=norm_cfg, act_cfg=act_cfg)
            ]
            if i >= 2:
                layers.append(ConvModule(c, c, 3, padding=1,
                                         norm_cfg=norm_cfg, act_cfg=act_cfg))
            self.levels.append(nn.Sequential(*layers))
            prev = c

    @property
    def strides(self) -> Tuple[int, ...]:
        """Stride of each level's output."""
        return tuple(2**(i + 1) for i in range(len(self.channels)))

    def forward(self, pair: Tensor) -> List[Tensor]:
        """(N, 6, H, W) frame pair -> per-level (N, C_i, H / 2^(i+1),
        W / 2^(i+1)) features, finest first."""
        outs = []
        x = pair
        for level in self.levels:
            x = level(x)
            outs.append(x)
        return outs


@MODELS.register_module()
class BidirectionalDecoder(BaseModule):
    """The up-sampling stage of both branches, joined both ways.

    Flow decoder (FlowNetS's expanding part), coarse to fine from the
    encoder's last level down to ``flow_out_stride``: at each stride the
    encoder's skip feature, the up-convolved coarser decoder feature, the
    up-sampled coarser flow and, where the segmentation branch has a
    feature of that stride, that feature (1x1 projection; **segmentation
    -> flow**) are concatenated, joined by a 3x3 convolution and a flow is
    predicted from it.

    Segmentation decoder (fully convolutional ResNet): for each backbone
    feature (e.g. strides 8, 16, 32) the flow decoder's feature of the same
    stride is concatenated to it (**flow -> segmentation**), a 3x3
    convolution and a 1x1 classifier give a score map, and the score maps
    are up-sampled and summed (coarse to fine).

    Flows are in pixels of the input at every stride (no rescaling).

    Args:
        seg_channels (Sequence[int]): Channels of the segmentation
            backbone's features, finest first.
        seg_strides (Sequence[int]): Their strides, e.g. (8, 16, 32).
        flow_channels (Sequence[int]): Channels of the flow encoder's
            levels (strides 2, 4, 8...).
        dec_channels (int): Channels of each flow decoder level.
        join_channels (int): Channels of the segmentation -> flow
            projections.
        seg_mid_channels (int): Channels of each segmentation score
            convolution.
        num_classes (int): Segmentation classes. Defaults to 2.
        flow_out_stride (int): Finest flow stride. Defaults to 4.
        joins (Sequence[str]): The directions joined: ``'seg_to_flow'``
            and / or ``'flow_to_seg'`` (both by default; fewer is the
            ablation of separate branches).
        norm_cfg (dict, optional): Norm of the segmentation convolutions.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 seg_channels: Sequence[int],
                 seg_strides: Sequence[int],
                 flow_channels: Sequence[int],
                 dec_channels: int = 64,
                 join_channels: int = 32,
                 seg_mid_channels: int = 64,
                 num_classes: int = 2,
                 flow_out_stride: int = 4,
                 joins: Sequence[str] = JOINS,
                 norm_cfg: OptConfigType = None,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if any(j not in JOINS for j in joins):
            raise ValueError(f'joins must be a subset of {JOINS}, got '
                             f'{tuple(joins)}')
        self.joins_used = tuple(joins)
        enc_strides = [2**(i + 1) for i in range(len(flow_channels))]
        if len(seg_channels) != len(seg_strides) or any(
                s not in enc_strides or s < flow_out_stride
                for s in seg_strides):
            raise ValueError(
                f'seg_strides {tuple(seg_strides)} (one per seg channel '
                f'{tuple(seg_channels)}) must be flow encoder strides '
                f'{enc_strides} not finer than flow_out_stride '
                f'{flow_out_stride}')
        self.seg_strides = tuple(seg_strides)
        self.enc_channels = dict(zip(enc_strides, flow_channels))
        self.dec_strides = tuple(
            s for s in reversed(enc_strides) if s >= flow_out_stride)
        seg_to_flow = 'seg_to_flow' in self.joins_used
        self.seg_to_flow = nn.ModuleDict({
            str(s): ConvModule(c, join_channels, 1, act_cfg=LEAKY)
            for s, c in zip(seg_strides, seg_channels) if seg_to_flow
        })
        self.up_convs = nn.ModuleDict()
        self.joins = nn.ModuleDict()
        self.flow_preds = nn.ModuleDict()
        for i, s in enumerate(self.dec_strides):
            cin = self.enc_channels[s]
            if i > 0:
                self.up_convs[str(s)] = nn.Sequential(
                    nn.ConvTranspose2d(dec_channels, dec_channels, 4, 2, 1),
                    nn.LeakyReLU(0.1))
                cin += dec_channels + 2
            if str(s) in self.seg_to_flow:
                cin += join_channels
            self.joins[str(s)] = ConvModule(
                cin, dec_channels, 3, padding=1, act_cfg=LEAKY)
            self.flow_preds[str(s)] = nn.Conv2d(dec_channels, 2, 3, padding=1)
        flow_in = dec_channels if 'flow_to_seg' in self.joins_used else 0
        self.seg_heads = nn.ModuleDict({
            str(s): nn.Sequential(
                ConvModule(c + flow_in, seg_mid_channels, 3, padding=1,
                           norm_cfg=norm_cfg),
                nn.Conv2d(seg_mid_channels, num_classes, 1))
            for s, c in zip(seg_strides, seg_channels)
        })

    def decode_flow(self, seg_feats: Dict[int, Tensor],
                    enc_feats: Sequence[Tensor],
                    detach_seg: bool = False) -> Tuple[Dict, Dict]:
        """The flow decoder with the segmentation features joined in.

        Args:
            seg_feats (dict): Stride -> (N, C, h, w) segmentation features.
            enc_feats (Sequence[Tensor]): Flow encoder levels, finest
                first.
            detach_seg (bool): Stop the gradient into the segmentation
                branch (its weights stay fixed in a flow step).

        Returns:
            tuple(dict, dict): stride -> (N, dec_channels, h, w) decoder
            features and stride -> (N, 2, h, w) flows (coarse to fine).
        """
        feats, flows = {}, {}
        prev = None
        for s in self.dec_strides:
            parts = [enc_feats[s.bit_length() - 2]]
            if prev is not None:
                parts += [
                    self.up_convs[str(s)](feats[prev]),
                    F.interpolate(flows[prev], scale_factor=2,
                                  mode='bilinear', align_corners=False)
                ]
            if str(s) in self.seg_to_flow:
                seg = seg_feats[s].detach() if detach_seg else seg_feats[s]
                parts.append(self.seg_to_flow[str(s)](seg))
            feats[s] = self.joins[str(s)](torch.cat(parts, 1))
            flows[s] = self.flow_preds[str(s)](feats[s])
            prev = s
        return feats, flows

    def decode_seg(self, seg_feats: Dict[int, Tensor],
                   flow_feats: Dict[int, Tensor],
                   detach_flow: bool = False) -> Tensor:
        """Score maps of every segmentation stride with the flow decoder's
        features joined in, up-sampled and summed: (N, num_classes, h, w)
        at the finest segmentation stride."""
        score = None
        for s in sorted(self.seg_strides, reverse=True):
            x = seg_feats[s]
            if 'flow_to_seg' in self.joins_used:
                flow = flow_feats[s].detach() if detach_flow else \
                    flow_feats[s]
                x = torch.cat([x, flow], 1)
            x = self.seg_heads[str(s)](x)
            if score is not None:
                x = x + F.interpolate(score, size=x.shape[-2:],
                                      mode='bilinear', align_corners=False)
            score = x
        return score

    def forward(self,
                seg_feats: Sequence[Tensor],
                enc_feats: Sequence[Tensor],
                detach: Optional[str] = None) -> Tuple[Tensor, Dict]:
        """Both decoders.

        Args:
            seg_feats (Sequence[Tensor]): Segmentation features, one per
                ``seg_strides``.
            enc_feats (Sequence[Tensor]): Flow encoder levels, finest first.
            detach (str, optional): ``'seg'`` stops the gradient of the
                segmentation features into the flow branch, ``'flow'`` that
                of the flow features into the segmentation branch.

        Returns:
            tuple: (N, num_classes, h, w) segmentation logits at the finest
            segmentation stride and stride -> (N, 2, h, w) flows.
        """
        if detach not in (None, 'seg', 'flow'):
            raise ValueError(f"detach must be None, 'seg' or 'flow', got "
                             f'{detach!r}')
        if len(seg_feats) != len(self.seg_strides):
            raise ValueError(f'expected {len(self.seg_strides)} segmentation '
                             f'features (strides {self.seg_strides}), got '
                             f'{len(seg_feats)}')
        seg = dict(zip(self.seg_strides, seg_feats))
        flow_feats, flows = self.decode_flow(seg, enc_feats, detach == 'seg')
        logits = self.decode_seg(seg, flow_feats, detach == 'flow')
        return logits, flows
