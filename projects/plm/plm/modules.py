# Copyright (c) OpenMMLab. All rights reserved.
"""PLM's feature compressor and pixel-level matching head."""
from typing import Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmvidseg.registry import MODELS


@MODELS.register_module()
class FeatureCompressor(nn.Module):
    """Multi-layer features concatenated per pixel and compressed.

    Every level is resized (bilinear) to the first level's size and the
    levels are concatenated along the channels (the paper's "1D feature
    vector" of features from several depths, one per pixel); a 1x1
    convolution, a ReLU and an L2 normalisation over the channels (which
    bounds the ReLU's scale) compress it.

    Args:
        in_channels (Sequence[int]): Channels of each level.
        out_channels (int, optional): Compressed channels. Defaults to
            ``sum(in_channels) // ratio``.
        ratio (int): Compression ratio used when ``out_channels`` is None
            (the paper's 16). Defaults to 16.
        eps (float): Normalisation epsilon. Defaults to 1e-6.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 out_channels: int = None,
                 ratio: int = 16,
                 eps: float = 1e-6) -> None:
        super().__init__()
        in_channels = [int(c) for c in in_channels]
        if not in_channels or min(in_channels) < 1:
            raise ValueError('in_channels must list the positive channels '
                             f'of each level, got {in_channels}')
        total = sum(in_channels)
        if out_channels is None:
            out_channels = total // int(ratio)
        if not 1 <= out_channels:
            raise ValueError(f'out_channels must be >= 1, got '
                             f'{out_channels} (sum(in_channels)={total}, '
                             f'ratio={ratio})')
        self.in_channels = in_channels
        self.out_channels = int(out_channels)
        self.conv = nn.Conv2d(total, self.out_channels, 1)
        self.eps = eps

    def forward(self, feats: Sequence[Tensor]) -> Tensor:
        """Levels (N, C_i, h_i, w_i) -> (N, out_channels, h_0, w_0), unit
        L2 norm per pixel (zero where the ReLU zeroes every channel)."""
        if len(feats) != len(self.in_channels) or any(
                f.size(1) != c for f, c in zip(feats, self.in_channels)):
            raise ValueError(
                f'FeatureCompressor expects {len(self.in_channels)} levels '
                f'of {self.in_channels} channels, got '
                f'{[tuple(f.shape) for f in feats]}')
        size = feats[0].shape[-2:]
        x = torch.cat([feats[0]] + [
            F.interpolate(f, size=size, mode='bilinear', align_corners=False)
            for f in feats[1:]
        ], 1)
        x = F.relu(self.conv(x))
        return x / x.norm(dim=1, keepdim=True).clamp(min=self.eps)


def masked_topk_mean(sim: Tensor, valid: Tensor, k: int) -> Tensor:
    """Mean of the ``k`` largest similarities of each search pixel among the
    valid query pixels.

    Args:
        sim (Tensor): (N, P, Q) similarities of P search pixels to Q query
            pixels.
        valid (Tensor): (N, Q) bool, the query pixels to match against.
        k (int): How many best matches are averaged.

    Returns:
        Tensor: (N, P); -1 where a query has no valid pixel.
    """
    k = max(1, min(int(k), sim.size(-1)))
    vals, _ = sim.masked_fill(~valid[:, None], float('-inf')).topk(k, -1)
    keep = torch.isfinite(vals)
    total = torch.where(keep, vals, torch.zeros_like(vals)).sum(-1)
    count = keep.sum(-1)
    return torch.where(count > 0, total / count.clamp(min=1),
                       torch.full_like(total, -1.0))


@MODELS.register_module()
class PixelMatchingHead(nn.Module):
    """Target / background score of every search pixel from its match with
    the query (first) frame's target and background pixels.

    Matching, on compressed (unit-norm) features: the cosine similarity of
    each search pixel to every query pixel, averaged over its ``topk`` best
    target pixels and its ``topk`` best background pixels (two maps), and
    the element-wise products of the search features with the target's and
    the background's mean features. Three 1x1 convolutions (the paper's
    three hidden fully connected layers applied per pixel) encode them and
    an object decoder (3x3 convolutions) classifies each pixel.

    Args:
        in_channels (int): Compressed feature channels.
        channels (int): Hidden channels. Defaults to 64.
        num_decoder_convs (int): 3x3 convolutions of the decoder.
            Defaults to 2.
        topk (int): Best matches averaged per pixel. Defaults to 4.
    """

    def __init__(self,
                 in_channels: int,
                 channels: int = 64,
                 num_decoder_convs: int = 2,
                 topk: int = 4) -> None:
        super().__init__()
        self.topk = int(topk)
        layers, c = [], 2 * in_channels + 2
        for _ in range(3):
            layers += [nn.Conv2d(c, channels, 1), nn.ReLU(inplace=True)]
            c = channels
        for _ in range(num_decoder_convs):
            layers += [
                nn.Conv2d(channels, channels, 3, padding=1),
                nn.ReLU(inplace=True)
            ]
        layers.append(nn.Conv2d(channels, 2, 1))
        self.layers = nn.Sequential(*layers)
        self.in_channels = int(in_channels)

    def match(self, search: Tensor, query: Tensor,
              target: Tensor) -> Tuple[Tensor, Tensor]:
        """Matching maps of one search frame per query.

        Args:
            search (Tensor): (N, C, h, w) search-frame features.
            query (Tensor): (N, C, h', w') query-frame features.
            target (Tensor): (N, 1, h', w') query target mask in [0, 1]
                (background is ``1 - target``).

        Returns:
            tuple: scores (N, 2, h, w) (target, background top-k
            similarity) and products (N, 2C, h, w).
        """
        n, c, h, w = search.shape
        if query.shape[:2] != (n, c) or target.shape[0] != n or \
                target.shape[-2:] != query.shape[-2:]:
            raise ValueError(
                f'search {tuple(search.shape)}, query {tuple(query.shape)} '
                f'and target {tuple(target.shape)} must share N and C, the '
                'target the query\'s size')
        s, q = search.flatten(2), query.flatten(2)
        m = target.flatten(1)
        sim = torch.einsum('ncp,ncq->npq', s, q)
        fg, bg = m > 0.5, m <= 0.5
        scores = torch.stack([
            masked_topk_mean(sim, fg, self.topk),
            masked_topk_mean(sim, bg, self.topk)
        ], 1).view(n, 2, h, w)
        proto_fg = (q * m[:, None]).sum(-1) / m.sum(-1, True).clamp(min=1e-6)
        proto_bg = (q * (1 - m[:, None])).sum(-1) / (1 - m).sum(
            -1, True).clamp(min=1e-6)
        products = torch.cat([
            search * proto_fg[..., None, None],
            search * proto_bg[..., None, None]
        ], 1)
        return scores, products

    def forward(self, search: Tensor, query: Tensor,
                target: Tensor) -> Tensor:
        """Background / target logits (N, 2, h, w) at the search features'
        size (see :meth:`match`)."""
        if search.size(1) != self.in_channels:
            raise ValueError(f'PixelMatchingHead expects {self.in_channels} '
                             f'channels, got {search.size(1)}')
        scores, products = self.match(search, query, target)
        # channel 0: background, channel 1: target
        return self.layers(torch.cat([products, scores], 1))
