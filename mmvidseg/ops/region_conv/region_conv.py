# Copyright (c) OpenMMLab. All rights reserved.
"""Region convolution: a 2-D convolution evaluated only on a pixel region.

This is the operator of `Not All Pixels are Equal: Difficulty-aware Semantic
Segmentation via Deep Layer Cascade <https://arxiv.org/abs/1704.01344>`_
(the official release is a GPU-only Caffe layer). Given a dense input
(N, C, H, W) and a region mask (N, 1, Ho, Wo) on the output grid, the
convolution is computed only where the mask is non-zero; elsewhere the
output is zero or a passed-through value (``fill``). The cost is
proportional to the number of active pixels.

Three implementations share one interface and one layout:

- a pure-PyTorch reference (gather the active pixels' kernel windows, i.e. an
  ``unfold`` restricted to the region, one matmul with the weight, scatter),
  differentiable by autograd;
- a C++ CPU kernel and a CUDA kernel in ``mmvidseg.ops.region_conv._ext``
  (built by ``setup.py``; see ``csrc/``).

Dispatch (``impl='auto'``): the CUDA kernel for CUDA tensors when it was
compiled in, the C++ kernel for CPU tensors when the extension was built,
the reference otherwise. ``impl='reference'`` / ``'ext'`` force one.

Active pixels travel as flat int64 indices ``n * Ho * Wo + y * Wo + x``
(:func:`mask_to_index`, sorted and unique) and per-pixel features as
*compact* tensors (K, C), one row per active pixel.
"""
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor
from torch.autograd import Function
from torch.autograd.function import once_differentiable
from torch.nn.modules.utils import _pair

from ..utils import ext_available, load_ext

IntOrPair = Union[int, Tuple[int, int]]
_IMPLS = ('auto', 'reference', 'ext')


def _use_ext(tensor: Tensor, impl: str) -> bool:
    """Whether to run the compiled kernel for ``tensor``'s device."""
    if impl not in _IMPLS:
        raise ValueError(f'region_conv: impl must be one of {_IMPLS}, '
                         f'got {impl!r}')
    if impl == 'reference':
        return False
    available = ext_available('region_conv', cuda=tensor.is_cuda)
    if impl == 'ext' and not available:
        device = 'CUDA' if tensor.is_cuda else 'CPU'
        raise RuntimeError(
            f'region_conv: the {device} kernel is not available (build it '
            'with `MMVIDSEG_OPS=region_conv python setup.py build_ext '
            '--inplace`); use impl="auto" to fall back to the reference')
    return available


def conv_output_size(size: Sequence[int],
                     kernel_size: IntOrPair,
                     stride: IntOrPair = 1,
                     padding: IntOrPair = 0,
                     dilation: IntOrPair = 1) -> Tuple[int, int]:
    """Spatial output size (Ho, Wo) of a convolution of input size (H, W)."""
    (kh, kw), (sh, sw) = _pair(kernel_size), _pair(stride)
    (ph, pw), (dh, dw) = _pair(padding), _pair(dilation)
    h, w = size
    return ((h + 2 * ph - dh * (kh - 1) - 1) // sh + 1,
            (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1)


def mask_to_index(mask: Tensor) -> Tensor:
    """Flat indices of the active pixels of a region mask.

    Args:
        mask (Tensor): Region, shape (N, 1, H, W); non-zero (or True) marks
            an active pixel.

    Returns:
        Tensor: Sorted int64 indices ``n * H * W + y * W + x``, shape (K,).
    """
    if mask.dim() != 4 or mask.size(1) != 1:
        raise ValueError('region_conv: mask must have shape (N, 1, H, W), '
                         f'got {tuple(mask.shape)}')
    return torch.nonzero(mask.reshape(-1)).squeeze(1)


def _check_index(index: Tensor, total: int) -> None:
    if index.dim() != 1 or index.dtype != torch.long:
        raise ValueError('region_conv: index must be a 1-D int64 tensor, got '
                         f'{index.dtype} of shape {tuple(index.shape)}')
    if index.numel() and (int(index.min()) < 0 or int(index.max()) >= total):
        raise ValueError(f'region_conv: pixel indices must lie in [0, '
                         f'{total}), got [{int(index.min())}, '
                         f'{int(index.max())}]')


def _split_index(index: Tensor, plane: int) -> Tuple[Tensor, Tensor]:
    return torch.div(index, plane, rounding_mode='floor'), index % plane


def _is_channels_last(t: Tensor) -> bool:
    return (not t.is_contiguous()
            and t.is_contiguous(memory_format=torch.channels_last))


def memory_format_of(t: Tensor) -> torch.memory_format:
    """``torch.channels_last`` for channels-last storage, else contiguous."""
    return (torch.channels_last
            if _is_channels_last(t) else torch.contiguous_format)


def _kernel_weight(weight: Tensor) -> Tensor:
    """The weight as the kernel takes it: the CPU kernel passes it to
    ``at::conv2d`` (any layout, so a channels-last weight is not copied on
    every call); the CUDA kernel reads it as NCHW-contiguous memory."""
    return weight if weight.device.type == 'cpu' else weight.contiguous()


def _dense(t: Tensor) -> Tensor:
    """``t`` itself when stored NCHW or channels-last, else a copy."""
    return t if t.is_contiguous() or _is_channels_last(t) else t.contiguous()


# --------------------------------------------------------------------------
# Pure-PyTorch reference (differentiable by autograd)


def region_conv2d_reference(input: Tensor, index: Tensor, weight: Tensor,
                            bias: Optional[Tensor], out_size: Tuple[int, int],
                            stride: Tuple[int, int], padding: Tuple[int, int],
                            dilation: Tuple[int, int]) -> Tensor:
    """Region convolution in plain PyTorch ops, compact output.

    Args:
        input (Tensor): Dense input, shape (N, C, H, W).
        index (Tensor): Active output pixels, int64, shape (K,).
        weight (Tensor): Shape (C_out, C, kh, kw).
        bias (Tensor, optional): Shape (C_out,).
        out_size (tuple[int, int]): Output grid (Ho, Wo).
        stride, padding, dilation (tuple[int, int]): As in ``F.conv2d``.

    Returns:
        Tensor: Convolution at the active pixels, shape (K, C_out).
    """
    n_batch, channels = input.shape[:2]
    c_out, _, kh, kw = weight.shape
    (ho, wo), (sh, sw) = out_size, stride
    (ph, pw), (dh, dw) = padding, dilation
    padded = F.pad(input, (pw, pw, ph, ph))
    hp, wp = padded.shape[2:]
    # (C, N * Hp * Wp): one row per channel, pixels of all images in a row.
    flat = padded.transpose(0, 1).reshape(channels, n_batch * hp * wp)
    n, p = _split_index(index, ho * wo)
    oy, ox = torch.div(p, wo, rounding_mode='floor'), p % wo
    corner = n * (hp * wp) + oy * sh * wp + ox * sw
    # The region "unfold": each kernel tap is a shifted gather.
    taps = [
        flat.index_select(1, corner + (ky * dh) * wp + kx * dw)
        for ky in range(kh) for kx in range(kw)
    ]
    cols = torch.stack(taps, dim=1).reshape(channels * kh * kw, -1)
    out = cols.t().matmul(weight.reshape(c_out, -1).t())
    if bias is not None:
        out = out + bias
    return out


def _gather_reference(input: Tensor, index: Tensor) -> Tensor:
    n_batch, channels, h, w = input.shape
    n, p = _split_index(index, h * w)
    return input.reshape(n_batch, channels, h * w)[n, :, p]


def _scatter_reference(src: Tensor, index: Tensor, base: Tensor) -> Tensor:
    out = base.clone()
    _rows_view_put(out, index, src)
    return out


def _rows_view_put(out: Tensor, index: Tensor, src: Tensor) -> None:
    """``out`` (N, C, H, W) at the pixels ``index`` <- rows ``src`` (K, C)."""
    n_batch, channels, h, w = out.shape
    if _is_channels_last(out):
        out.permute(0, 2, 3, 1).view(-1, channels)[index] = src
    else:
        n, p = _split_index(index, h * w)
        out.view(n_batch, channels, h * w)[n, :, p] = src


# --------------------------------------------------------------------------
# Compiled kernels wrapped in autograd Functions


class RegionConv2dFunction(Function):
    """Autograd wrapper of the compiled region convolution (compact out)."""

    @staticmethod
    def forward(ctx, input: Tensor, index: Tensor, weight: Tensor,
                bias: Optional[Tensor], out_size: Tuple[int, int],
                stride: Tuple[int, int], padding: Tuple[int, int],
                dilation: Tuple[int, int]) -> Tensor:
        ext = load_ext('region_conv')
        geometry = (*out_size, *stride, *padding, *dilation)
        ctx.geometry = geometry
        ctx.has_bias = bias is not None
        ctx.save_for_backward(input, index, weight)
        return ext.forward(
            _dense(input), index, _kernel_weight(weight), bias, *geometry)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out: Tensor):
        input, index, weight = ctx.saved_tensors
        need_input, _, need_weight, need_bias = ctx.needs_input_grad[:4]
        need_bias = need_bias and ctx.has_bias
        ext = load_ext('region_conv')
        grad_input, grad_weight, grad_bias = ext.backward(
            grad_out.contiguous(), _dense(input), index,
            _kernel_weight(weight),
            *ctx.geometry, need_input, need_weight, need_bias)
        return (grad_input if need_input else None, None,
                grad_weight if need_weight else None,
                grad_bias if need_bias else None, None, None, None, None)


class _GatherFunction(Function):
    """Dense (N, C, H, W) -> compact (K, C) with the compiled kernel."""

    @staticmethod
    def forward(ctx, input: Tensor, index: Tensor) -> Tensor:
        ctx.shape = input.shape
        ctx.save_for_backward(index)
        return load_ext('region_conv').gather(_dense(input), index)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: Tensor):
        index, = ctx.saved_tensors
        grad_input = grad.new_zeros(ctx.shape)
        load_ext('region_conv').scatter_(grad_input, grad.contiguous(), index)
        return grad_input, None


class _ScatterFunction(Function):
    """Compact (K, C) rows written over a copy of a dense base."""

    @staticmethod
    def forward(ctx, src: Tensor, index: Tensor, base: Tensor) -> Tensor:
        ctx.save_for_backward(index)
        out = _dense(base).clone()
        load_ext('region_conv').scatter_(out, src.contiguous(), index)
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: Tensor):
        index, = ctx.saved_tensors
        ext = load_ext('region_conv')
        grad = _dense(grad)
        grad_src = grad_base = None
        if ctx.needs_input_grad[0]:
            grad_src = ext.gather(grad, index)
        if ctx.needs_input_grad[2]:
            # The overwritten pixels do not depend on the base.
            grad_base = grad.clone()
            ext.scatter_(grad_base, grad.new_zeros(index.numel(),
                                                   grad.size(1)), index)
        return grad_src, None, grad_base


# --------------------------------------------------------------------------
# Public functional interface


def gather_pixels(input: Tensor, index: Tensor, impl: str = 'auto') -> Tensor:
    """Rows of a dense tensor at the given pixels.

    Args:
        input (Tensor): Dense features, shape (N, C, H, W).
        index (Tensor): Flat pixel indices, int64, shape (K,).
        impl (str): ``'auto'``, ``'reference'`` or ``'ext'``.

    Returns:
        Tensor: Shape (K, C).
    """
    if input.dim() != 4:
        raise ValueError('gather_pixels: input must be (N, C, H, W), got '
                         f'shape {tuple(input.shape)}')
    _check_index(index, input.size(0) * input.size(2) * input.size(3))
    if _use_ext(input, impl):
        return _GatherFunction.apply(input, index)
    return _gather_reference(input, index)


def scatter_pixels(src: Tensor,
                   index: Tensor,
                   base: Optional[Tensor] = None,
                   size: Optional[Sequence[int]] = None,
                   inplace: bool = False,
                   memory_format: Optional[torch.memory_format] = None,
                   impl: str = 'auto') -> Tensor:
    """Write compact rows into a dense tensor.

    Args:
        src (Tensor): Rows, shape (K, C).
        index (Tensor): Flat pixel indices (unique), int64, shape (K,).
        base (Tensor, optional): Values of the other pixels, shape
            (N, C, H, W). Zeros when None.
        size (Sequence[int], optional): (N, H, W) when ``base`` is None.
        memory_format (torch.memory_format, optional): Storage of the
            zeros made from ``size`` (``torch.channels_last`` keeps a
            channels-last network channels-last). Defaults to
            ``torch.contiguous_format``.
        inplace (bool): Write into ``base`` itself (inference only: not
            allowed when autograd records ``src`` or ``base``).
        impl (str): ``'auto'``, ``'reference'`` or ``'ext'``.

    Returns:
        Tensor: Shape (N, C, H, W).
    """
    if src.dim() != 2 or src.size(0) != index.numel():
        raise ValueError(f'scatter_pixels: src must be (K={index.numel()}, '
                         f'C), got shape {tuple(src.shape)}')
    if base is None:
        if size is None or len(size) != 3:
            raise ValueError('scatter_pixels: give base or size=(N, H, W)')
        n_batch, h, w = size
        base = torch.empty((n_batch, src.size(1), h, w),
                           dtype=src.dtype,
                           device=src.device,
                           memory_format=memory_format
                           or torch.contiguous_format).zero_()
        inplace = True
    elif base.dim() != 4 or base.size(1) != src.size(1):
        raise ValueError(f'scatter_pixels: base must be (N, {src.size(1)}, '
                         f'H, W), got shape {tuple(base.shape)}')
    _check_index(index, base.size(0) * base.size(2) * base.size(3))
    grad = torch.is_grad_enabled() and (src.requires_grad
                                        or base.requires_grad)
    if inplace and not grad:
        if _dense(base) is not base:
            raise ValueError('scatter_pixels: inplace needs a base stored '
                             'NCHW or channels-last contiguous')
        if _use_ext(base, impl):
            load_ext('region_conv').scatter_(base, src.contiguous(), index)
        else:
            _rows_view_put(base, index, src)
        return base
    if _use_ext(base, impl):
        return _ScatterFunction.apply(src, index, base)
    return _scatter_reference(src, index, base)


def _conv_args(input: Tensor, weight: Tensor, bias: Optional[Tensor],
               stride: IntOrPair, padding: IntOrPair, dilation: IntOrPair):
    if input.dim() != 4:
        raise ValueError('region_conv: input must be (N, C, H, W), got shape '
                         f'{tuple(input.shape)}')
    if weight.dim() != 4 or weight.size(1) != input.size(1):
        raise ValueError(f'region_conv: weight must be (C_out, '
                         f'{input.size(1)}, kh, kw), got shape '
                         f'{tuple(weight.shape)}')
    if bias is not None and tuple(bias.shape) != (weight.size(0), ):
        raise ValueError(f'region_conv: bias must be ({weight.size(0)},), '
                         f'got shape {tuple(bias.shape)}')
    stride, padding, dilation = _pair(stride), _pair(padding), _pair(dilation)
    if min(stride) < 1 or min(dilation) < 1 or min(padding) < 0:
        raise ValueError('region_conv: stride and dilation must be >= 1 and '
                         f'padding >= 0, got stride={stride}, '
                         f'padding={padding}, dilation={dilation}')
    out_size = conv_output_size(input.shape[2:], weight.shape[2:], stride,
                                padding, dilation)
    if min(out_size) < 1:
        raise ValueError(f'region_conv: input {tuple(input.shape[2:])} is '
                         f'smaller than the kernel extent')
    return out_size, stride, padding, dilation


def region_conv2d_compact(input: Tensor,
                          index: Tensor,
                          weight: Tensor,
                          bias: Optional[Tensor] = None,
                          stride: IntOrPair = 1,
                          padding: IntOrPair = 0,
                          dilation: IntOrPair = 1,
                          impl: str = 'auto') -> Tensor:
    """Region convolution with a compact output (K, C_out).

    Args:
        input (Tensor): Dense input, shape (N, C, H, W).
        index (Tensor): Active output pixels ``n * Ho * Wo + y * Wo + x``,
            int64, shape (K,) (see :func:`mask_to_index`).
        weight (Tensor): Shape (C_out, C, kh, kw).
        bias (Tensor, optional): Shape (C_out,).
        stride, padding, dilation (int | tuple[int, int]): As in
            ``F.conv2d`` (no groups).
        impl (str): ``'auto'``, ``'reference'`` or ``'ext'``.

    Returns:
        Tensor: Output at the active pixels, shape (K, C_out); row j equals
        ``F.conv2d(input, weight, bias, ...)`` at pixel ``index[j]``.
    """
    out_size, stride, padding, dilation = _conv_args(input, weight, bias,
                                                     stride, padding, dilation)
    _check_index(index, input.size(0) * out_size[0] * out_size[1])
    if input.dtype != weight.dtype:
        raise ValueError(f'region_conv: input is {input.dtype} but weight is '
                         f'{weight.dtype}')
    if _use_ext(input, impl):
        return RegionConv2dFunction.apply(input, index, weight, bias, out_size,
                                          stride, padding, dilation)
    return region_conv2d_reference(input, index, weight, bias, out_size,
                                   stride, padding, dilation)


def region_conv2d(input: Tensor,
                  mask: Tensor,
                  weight: Tensor,
                  bias: Optional[Tensor] = None,
                  stride: IntOrPair = 1,
                  padding: IntOrPair = 0,
                  dilation: IntOrPair = 1,
                  fill: Optional[Tensor] = None,
                  impl: str = 'auto') -> Tensor:
    """2-D convolution evaluated only inside a region mask.

    Args:
        input (Tensor): Dense input, shape (N, C, H, W).
        mask (Tensor): Region on the output grid, shape (N, 1, Ho, Wo);
            non-zero (True) pixels are computed.
        weight (Tensor): Shape (C_out, C, kh, kw).
        bias (Tensor, optional): Shape (C_out,).
        stride, padding, dilation (int | tuple[int, int]): As in
            ``F.conv2d`` (no groups).
        fill (Tensor, optional): Output outside the region, shape
            (N, C_out, Ho, Wo) (e.g. the identity of a residual unit);
            zeros when None. Gradients flow to it outside the region.
        impl (str): ``'auto'``, ``'reference'`` or ``'ext'``.

    Returns:
        Tensor: Shape (N, C_out, Ho, Wo): ``F.conv2d`` inside the region,
        ``fill`` (or 0) outside.
    """
    out_size, _, _, _ = _conv_args(input, weight, bias, stride, padding,
                                   dilation)
    expected = (input.size(0), 1, *out_size)
    if tuple(mask.shape) != expected:
        raise ValueError(f'region_conv: mask must have shape {expected} '
                         f'(the output grid), got {tuple(mask.shape)}')
    if fill is not None and tuple(
            fill.shape) != (input.size(0), weight.size(0), *out_size):
        raise ValueError('region_conv: fill must have shape '
                         f'{(input.size(0), weight.size(0), *out_size)}, got '
                         f'{tuple(fill.shape)}')
    index = mask_to_index(mask)
    out = region_conv2d_compact(input, index, weight, bias, stride, padding,
                                dilation, impl)
    if fill is None:
        # Zeros in the input's memory format (like F.conv2d's output).
        channels_last = _is_channels_last(input)
        return scatter_pixels(
            out,
            index,
            size=(input.size(0), *out_size),
            memory_format=torch.channels_last
            if channels_last else torch.contiguous_format,
            impl=impl)
    return scatter_pixels(out, index, base=fill, impl=impl)


class RegionConv2d(nn.Conv2d):
    """A ``nn.Conv2d`` that computes its output only inside a region.

    It has the parameters (and state-dict keys) of ``nn.Conv2d``, so dense
    checkpoints load unchanged. ``groups`` must be 1 and ``padding_mode``
    ``'zeros'``.

    Example:
        >>> conv = RegionConv2d(8, 16, 3, padding=1)
        >>> x = torch.randn(2, 8, 20, 30)
        >>> mask = torch.rand(2, 1, 20, 30) < 0.1
        >>> conv(x, mask).shape
        torch.Size([2, 16, 20, 30])
    """

    def __init__(self, *args, impl: str = 'auto', **kwargs):
        super().__init__(*args, **kwargs)
        if self.groups != 1:
            raise ValueError('RegionConv2d: groups must be 1, got '
                             f'{self.groups}')
        if self.padding_mode != 'zeros' or isinstance(self.padding, str):
            raise ValueError('RegionConv2d: only integer zero padding is '
                             f'supported, got padding={self.padding!r}, '
                             f'padding_mode={self.padding_mode!r}')
        if impl not in _IMPLS:
            raise ValueError(f'RegionConv2d: impl must be one of {_IMPLS}')
        self.impl = impl

    def forward(self,
                input: Tensor,
                mask: Optional[Tensor] = None,
                fill: Optional[Tensor] = None) -> Tensor:
        """Convolve inside ``mask``.

        Args:
            input (Tensor): Shape (N, C_in, H, W).
            mask (Tensor, optional): Shape (N, 1, Ho, Wo); None computes
                every pixel (a plain ``F.conv2d``).
            fill (Tensor, optional): Output outside the mask, shape
                (N, C_out, Ho, Wo).

        Returns:
            Tensor: Shape (N, C_out, Ho, Wo).
        """
        if mask is None:
            return F.conv2d(input, self.weight, self.bias, self.stride,
                            self.padding, self.dilation)
        return region_conv2d(input, mask, self.weight, self.bias, self.stride,
                             self.padding, self.dilation, fill, self.impl)
