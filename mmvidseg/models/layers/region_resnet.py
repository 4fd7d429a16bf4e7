# Copyright (c) OpenMMLab. All rights reserved.
"""Run the residual blocks of an mmseg ResNet only on a pixel region.

Deep Layer Cascade splits one ResNet into stages; the later stages compute
only at the pixels that earlier stages could not decide. These helpers run
an *unchanged* mmseg ``BasicBlock`` / ``Bottleneck`` (same parameters, same
checkpoint keys) on such a region:

- features stay dense (N, C, H, W) between blocks; at the K active pixels
  (flat indices ``n * H * W + y * W + x``, shape (K,)) a block computes its
  residual branch with region convolutions and writes
  ``relu(identity + branch)``; outside the region the branch is skipped, so
  the block passes ``relu(identity)`` through (the identity itself, or its
  1x1 projection when the block changes the width). With every pixel active
  this is exactly the block's ``forward``.
- inside the branch, per-pixel tensors are compact rows (K, C): 1x1 convs
  are matmuls, BN/ReLU act on rows, and a kxk conv reads a dense tensor
  (the block input, or the rows scattered onto zeros) through
  :func:`mmvidseg.ops.region_conv.region_conv2d_compact`.
- batch-norm statistics in training are taken over the active pixels only.
"""
from typing import List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from torch import Tensor
from torch.nn.modules.batchnorm import _BatchNorm

from mmvidseg.ops.region_conv import (gather_pixels, memory_format_of,
                                      region_conv2d_compact, scatter_pixels)

__all__ = [
    'conv_rows', 'norm_rows', 'linear_rows', 'conv_module_rows',
    'region_block_forward', 'run_blocks', 'split_resnet', 'resnet_stem_forward'
]


def conv_rows(conv: nn.Conv2d, x: Tensor, index: Tensor) -> Tensor:
    """``conv(x)`` at the pixels ``index`` only.

    Args:
        conv (nn.Conv2d): Any kernel size, stride, padding, dilation; no
            groups.
        x (Tensor): Dense input (N, C_in, H, W).
        index (Tensor): Flat output pixels, shape (K,).

    Returns:
        Tensor: Shape (K, C_out).
    """
    if not isinstance(conv, nn.Conv2d) or conv.groups != 1 or isinstance(
            conv.padding, str) or conv.padding_mode != 'zeros':
        raise TypeError('region convolution needs a plain nn.Conv2d with '
                        f'groups=1 and integer zero padding, got {conv}')
    return region_conv2d_compact(x, index, conv.weight, conv.bias, conv.stride,
                                 conv.padding, conv.dilation)


def linear_rows(conv: nn.Conv2d, rows: Tensor) -> Tensor:
    """A 1x1, stride-1 ``conv`` applied to compact rows (K, C_in)."""
    if (not isinstance(conv, nn.Conv2d) or conv.kernel_size != (1, 1)
            or conv.stride != (1, 1) or conv.groups != 1):
        raise TypeError(f'expected a 1x1 stride-1 nn.Conv2d, got {conv}')
    return F.linear(rows, conv.weight.flatten(1), conv.bias)


def norm_rows(norm: nn.Module, rows: Tensor) -> Tensor:
    """Batch-norm of compact rows (K, C), statistics over the rows.

    In training mode the batch statistics come from the K active pixels (and
    update the running statistics as ``nn.BatchNorm2d`` would); with fewer
    than 2 rows the running statistics are used instead.
    """
    if not isinstance(norm, _BatchNorm):
        raise TypeError('region stages support batch norm only, got '
                        f'{type(norm).__name__}')
    if rows.size(0) == 0:
        return rows
    use_batch = norm.training or not norm.track_running_stats
    if use_batch and rows.size(0) < 2:
        if not norm.track_running_stats:
            return rows
        use_batch = False
    momentum = 0.0
    if use_batch and norm.training and norm.track_running_stats:
        norm.num_batches_tracked.add_(1)
        momentum = (
            norm.momentum if norm.momentum is not None else 1.0 /
            float(norm.num_batches_tracked))
    track = norm.track_running_stats and (not use_batch or norm.training)
    return F.batch_norm(rows, norm.running_mean if track else None,
                        norm.running_var if track else None, norm.weight,
                        norm.bias, use_batch, momentum, norm.eps)


def conv_module_rows(module: ConvModule, x: Tensor, index: Tensor) -> Tensor:
    """An mmcv ``ConvModule`` (conv, norm, act) at the pixels ``index``.

    Returns:
        Tensor: Shape (K, C_out).
    """
    if tuple(module.order) != ('conv', 'norm', 'act'):
        raise TypeError('only ConvModules ordered (conv, norm, act) are '
                        f'supported, got {module.order}')
    out = conv_rows(module.conv, x, index)
    if module.with_norm:
        out = norm_rows(module.norm, out)
    if module.with_activation:
        out = module.activate(out)
    return out


def _check_downsample(block: nn.Module) -> None:
    for m in block.downsample:
        if not isinstance(m, (nn.Conv2d, _BatchNorm)):
            raise TypeError('region blocks support a downsample of 1x1 '
                            f'convs and batch norms only, got {m}')
        if isinstance(m, nn.Conv2d) and m.stride != (1, 1):
            raise TypeError('region blocks must keep the resolution: '
                            'downsample stride must be 1')


def _downsample(downsample: nn.Sequential, x: Tensor) -> Tensor:
    """The (1x1 conv, norm) projection of a block on every pixel.

    On channels-last input the 1x1 conv runs as one matmul over the pixel
    vectors (PyTorch's CPU conv falls back to a slow path for 1x1 kernels on
    small batches).
    """
    for m in downsample:
        if (isinstance(m, nn.Conv2d) and m.kernel_size == (1, 1)
                and memory_format_of(x) == torch.channels_last):
            y = F.linear(x.permute(0, 2, 3, 1), m.weight.flatten(1), m.bias)
            x = y.permute(0, 3, 1, 2)  # channels-last (N, C', H, W)
        else:
            x = m(x)
    return x


def region_block_forward(block: nn.Module, x: Tensor, index: Tensor) -> Tensor:
    """An mmseg ResNet ``BasicBlock`` or ``Bottleneck`` on a region.

    Args:
        block (nn.Module): The block; stride 1, no DCN, no plugins.
        x (Tensor): Dense input (N, C, H, W), the previous block's output
            (non-negative, as it comes out of a ReLU).
        index (Tensor): Active pixels ``n * H * W + y * W + x``, shape (K,).

    Returns:
        Tensor: Dense output (N, C', H, W): ``block(x)`` at the active pixels
        (given the same input), ``relu(identity(x))`` elsewhere. At inference
        ``x`` itself may be overwritten and returned.
    """
    kind = type(block).__name__
    if kind not in ('BasicBlock', 'Bottleneck'):
        raise TypeError(f'region stages support ResNet BasicBlock and '
                        f'Bottleneck blocks, got {kind}')
    if getattr(block, 'with_dcn', False) or getattr(block, 'with_plugins',
                                                    False):
        raise TypeError('region blocks do not support DCN or plugins')
    size = (x.size(0), x.size(2), x.size(3))
    fmt = memory_format_of(x)  # canvases follow the network's storage
    if block.downsample is None:
        identity = x
        passthrough = x  # relu(x) == x
    else:
        # A width change: the 1x1 projection runs on every pixel so that the
        # pixels outside the region keep a (projected) feature.
        _check_downsample(block)
        identity = _downsample(block.downsample, x)
        passthrough = F.relu(identity)
    identity_rows = gather_pixels(identity, index)
    if kind == 'BasicBlock':
        out = block.relu(
            norm_rows(block.norm1, conv_rows(block.conv1, x, index)))
        canvas = scatter_pixels(out, index, size=size, memory_format=fmt)
        out = norm_rows(block.norm2, conv_rows(block.conv2, canvas, index))
    else:
        out = block.relu(
            norm_rows(block.norm1,
                      linear_rows(block.conv1, gather_pixels(x, index))))
        canvas = scatter_pixels(out, index, size=size, memory_format=fmt)
        out = block.relu(
            norm_rows(block.norm2, conv_rows(block.conv2, canvas, index)))
        out = norm_rows(block.norm3, linear_rows(block.conv3, out))
    out = block.relu(out + identity_rows)
    # In place at inference (nothing recorded for autograd).
    inplace = not (torch.is_grad_enabled() and
                   (out.requires_grad or passthrough.requires_grad))
    return scatter_pixels(out, index, base=passthrough, inplace=inplace)


def resnet_stem_forward(backbone: nn.Module, x: Tensor) -> Tensor:
    """The stem (deep or not) and max-pool of an mmseg ResNet."""
    if backbone.deep_stem:
        x = backbone.stem(x)
    else:
        x = backbone.relu(backbone.norm1(backbone.conv1(x)))
    return backbone.maxpool(x)


def _parse_split(name: str, layers: Sequence[str],
                 depths: Sequence[int]) -> int:
    """'layer2' or 'layer3.1' -> number of blocks before the split."""
    layer, _, block = name.partition('.')
    if layer not in layers:
        raise ValueError(f'split point {name!r}: unknown layer, choose from '
                         f'{list(layers)}')
    i = list(layers).index(layer)
    done = sum(depths[:i])
    if not block:
        return done + depths[i]
    if not block.isdigit() or int(block) >= depths[i]:
        raise ValueError(f'split point {name!r}: {layer} has blocks '
                         f'0..{depths[i] - 1}')
    return done + int(block) + 1


def split_resnet(backbone: nn.Module,
                 split_after: Sequence[str]) -> List[List[nn.Module]]:
    """Split an mmseg ResNet's residual blocks into stages.

    Args:
        backbone (nn.Module): An mmseg ``ResNet`` (``ResNetV1c``...).
        split_after (Sequence[str]): Where each stage but the last ends:
            a layer (``'layer2'``, after its last block) or a block
            (``'layer3.1'``, after block 1 of layer3), in order.

    Returns:
        list[list[nn.Module]]: The blocks of each stage (the stem runs
        before the first). Blocks of every stage after the first keep the
        resolution (stride 1), as region stages need.
    """
    for attr in ('res_layers', 'deep_stem', 'maxpool'):
        if not hasattr(backbone, attr):
            raise TypeError('the layer cascade needs an mmseg ResNet-family '
                            f'backbone, got {type(backbone).__name__}')
    layers = list(backbone.res_layers)
    blocks = [blk for name in layers for blk in getattr(backbone, name)]
    depths = [len(getattr(backbone, name)) for name in layers]
    cuts = [_parse_split(s, layers, depths) for s in split_after]
    if sorted(cuts) != cuts or len(set(cuts)) != len(cuts) or (
            cuts and (cuts[0] < 1 or cuts[-1] >= len(blocks))):
        raise ValueError(f'split_after={list(split_after)} must name '
                         'increasing points that leave every stage at least '
                         'one block')
    bounds = [0, *cuts, len(blocks)]
    stages = [blocks[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    for k, stage in enumerate(stages[1:], start=2):
        for blk in stage:
            strides = {
                m.stride
                for m in blk.modules() if isinstance(m, nn.Conv2d)
            }
            if strides != {(1, 1)}:
                raise ValueError(
                    f'stage {k} contains a block with stride '
                    f'{sorted(strides)}: region stages must keep the '
                    'resolution (use a dilated ResNet, e.g. strides=(1, 2, '
                    '1, 1), dilations=(1, 1, 2, 4))')
    return stages


def run_blocks(blocks: Sequence[nn.Module], x: Tensor,
               index: Optional[Tensor]) -> Tensor:
    """Run blocks densely (``index`` None) or on the region ``index``."""
    for blk in blocks:
        x = blk(x) if index is None else region_block_forward(blk, x, index)
    return x
