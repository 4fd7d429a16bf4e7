# Copyright (c) OpenMMLab. All rights reserved.
"""Deep Voxel Flow's convolutional encoder-decoder, multi-scale."""
from typing import Dict, List, Sequence

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmvidseg.registry import MODELS


class VoxelFlowEncoderDecoder(nn.Module):
    """One scale: conv encoder-decoder with skip connections.

    Encoder: per level a conv (+ norm + ReLU) and a 2x2 max pooling; a
    bottleneck conv; decoder: per level a bilinear x2 upsampling, a
    concatenation with the encoder feature of that level (skip connection)
    and a conv. With the defaults this is the paper's network: encoder
    5x5/64, 5x5/128, 3x3/256, bottleneck 3x3/256, decoder 3x3/256,
    5x5/128, 5x5/64. (The paper's decoder has "deconvolutions"; like the
    authors' PyTorch code we upsample bilinearly and convolve, which avoids
    checkerboard artefacts.)

    Args:
        in_channels (int): Input channels (two RGB frames: 6).
        channels (Sequence[int]): Channels per level, fine to coarse.
        enc_kernels (Sequence[int]): Encoder kernel sizes per level.
        dec_kernels (Sequence[int]): Decoder kernel sizes, coarse to fine.
        bottleneck_kernel (int): Kernel of the bottleneck conv.
        norm_cfg (dict, optional): Norm layer config.
        act_cfg (dict): Activation config.
    """

    def __init__(self, in_channels: int, channels: Sequence[int],
                 enc_kernels: Sequence[int], dec_kernels: Sequence[int],
                 bottleneck_kernel: int, norm_cfg, act_cfg) -> None:
        super().__init__()
        if not len(channels) == len(enc_kernels) == len(dec_kernels):
            raise ValueError('channels, enc_kernels and dec_kernels need one '
                             f'entry per level, got {channels}, '
                             f'{enc_kernels}, {dec_kernels}')

        def conv(cin, cout, k):
            return ConvModule(cin, cout, k, padding=k // 2,
                              norm_cfg=norm_cfg, act_cfg=act_cfg)

        self.encoder = nn.ModuleList()
        cin = in_channels
        for c, k in zip(channels, enc_kernels):
            self.encoder.append(conv(cin, c, k))
            cin = c
        self.bottleneck = conv(cin, cin, bottleneck_kernel)
        self.decoder = nn.ModuleList()
        for c_skip, k in zip(reversed(channels), dec_kernels):
            self.decoder.append(conv(cin + c_skip, c_skip, k))
            cin = c_skip
        self.out_channels = cin

    def forward(self, x: Tensor) -> Tensor:
        """(N, C_in, H, W) -> (N, channels[0], H, W); H, W divisible by
        2 ** num_levels."""
        skips = []
        for conv in self.encoder:
            x = conv(x)
            skips.append(x)
            x = F.max_pool2d(x, 2)
        x = self.bottleneck(x)
        for conv, skip in zip(self.decoder, reversed(skips)):
            x = F.interpolate(x, size=skip.shape[-2:], mode='bilinear',
                              align_corners=False)
            x = conv(torch.cat([x, skip], dim=1))
        return x


@MODELS.register_module()
class VoxelFlowNet(BaseModule):
    """Multi-scale voxel-flow network of `Deep Voxel Flow
    <https://arxiv.org/abs/1702.02463>`_.

    An encoder-decoder per scale ``s`` (0 = full resolution) sees the two
    frames downsampled by ``2 ** s`` and predicts, through a 5x5 conv and a
    tanh, a normalised voxel flow ``u_s`` (flow channels in units of the
    model's ``max_flow``, and the temporal mask m) at its own resolution:
    the coarse-to-fine pyramid. With several scales, the multi-scale flow
    fusion concatenates the full-resolution decoder features with the
    upsampled features and voxel flows of the coarser scales, and a 5x5 conv
    + tanh gives the final voxel flow. One scale is the paper's single-scale
    model.

    Args:
        in_channels (int): Channels of the stacked frames. Defaults to 6.
        channels (Sequence[int]): Channels per level. Defaults to
            (64, 128, 256).
        enc_kernels (Sequence[int]): Defaults to (5, 5, 3).
        dec_kernels (Sequence[int]): Defaults to (3, 5, 5).
        bottleneck_kernel (int): Defaults to 3.
        num_scales (int): Pyramid scales. Defaults to 3.
        norm_cfg (dict): Defaults to BN.
        act_cfg (dict): Defaults to ReLU.
        out_init_std (float): Std of the output convs' initial weights;
            small, so that training starts from near-zero flow and an even
            blend, i.e. the frame average. Defaults to 1e-3.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: int = 6,
                 channels: Sequence[int] = (64, 128, 256),
                 enc_kernels: Sequence[int] = (5, 5, 3),
                 dec_kernels: Sequence[int] = (3, 5, 5),
                 bottleneck_kernel: int = 3,
                 num_scales: int = 3,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU'),
                 out_init_std: float = 1e-3,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_scales < 1:
            raise ValueError(f'num_scales must be >= 1, got {num_scales}')
        self.num_scales = num_scales
        self.num_levels = len(channels)
        self.out_init_std = out_init_std
        self.scales = nn.ModuleList([
            VoxelFlowEncoderDecoder(in_channels, channels, enc_kernels,
                                    dec_kernels, bottleneck_kernel, norm_cfg,
                                    act_cfg) for _ in range(num_scales)
        ])
        feat = self.scales[0].out_channels
        self.heads = nn.ModuleList(
            [nn.Conv2d(feat, 3, 5, padding=2) for _ in range(num_scales)])
        self.fusion = None
        if num_scales > 1:
            self.fusion = nn.Conv2d(num_scales * feat + 3 * (num_scales - 1),
                                    3, 5, padding=2)

    @property
    def size_divisor(self) -> int:
        """Input sizes must be multiples of this."""
        return 2**(self.num_levels + self.num_scales - 1)

    def init_weights(self) -> None:
        super().init_weights()
        for conv in list(self.heads) + ([self.fusion] if self.fusion else []):
            nn.init.normal_(conv.weight, 0.0, self.out_init_std)
            nn.init.zeros_(conv.bias)

    def forward(self, x: Tensor) -> Dict[str, object]:
        """Predict normalised voxel flows.

        Args:
            x (Tensor): The two frames stacked, (N, 6, H, W), H and W
                divisible by :attr:`size_divisor`.

        Returns:
            dict: ``voxel_flow`` (N, 3, H, W) in [-1, 1] (the final one) and
            ``pyramid``: list of (N, 3, H / 2**s, W / 2**s), one per scale,
            finest first.
        """
        d = self.size_divisor
        if x.shape[-2] % d or x.shape[-1] % d:
            raise ValueError(f'input of {tuple(x.shape[-2:])} is not '
                             f'divisible by {d}; pad it first')
        size = x.shape[-2:]
        feats: List[Tensor] = []
        pyramid: List[Tensor] = []
        for s, (net, head) in enumerate(zip(self.scales, self.heads)):
            xs = x if s == 0 else F.avg_pool2d(x, 2**s)
            f = net(xs)
            feats.append(f)
            pyramid.append(torch.tanh(head(f)))
        if self.fusion is None:
            return dict(voxel_flow=pyramid[0], pyramid=pyramid)

        def up(t):
            return F.interpolate(t, size=size, mode='bilinear',
                                 align_corners=False)

        fused = torch.cat([feats[0]] + [up(f) for f in feats[1:]] +
                          [up(u) for u in pyramid[1:]], dim=1)
        return dict(voxel_flow=torch.tanh(self.fusion(fused)),
                    pyramid=pyramid)
