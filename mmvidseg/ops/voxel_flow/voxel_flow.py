# Copyright (c) OpenMMLab. All rights reserved.
"""The voxel-flow layer of `Deep Voxel Flow
<https://arxiv.org/abs/1702.02463>`_.

Given two frames ``I0``, ``I1`` of shape (N, C, H, W) and a voxel flow
``V = (Fx, Fy, m)`` of shape (N, 3, H, W), the layer synthesises

.. math::

    \\hat{Y}(p) = w(p)\\, I_0(p + a_0 F(p)) + (1 - w(p))\\, I_1(p + a_1 F(p)),
    \\qquad w = (1 + m) / 2,

where both frames are sampled bilinearly at sub-pixel positions. This is
trilinear interpolation in (x, y, t): bilinear in space and linear in time,
with ``w`` as the learned temporal weight. The coefficients ``(a0, a1)``
depend on the synthesis mode:

==============  ==========================  =================================
mode            frames and target time      ``(a0, a1)``
==============  ==========================  =================================
``'inter'``     ``I0`` at 0, ``I1`` at 1,   ``(-2t, 2(1 - t))``; the paper's
                target at ``t`` in (0, 1)   t = 0.5 gives ``(-1, 1)``
``'extra'``     ``I0`` at 0, ``I1`` at 1,   ``(-(1 + t), -t)``; the default
                target at ``1 + t``,        t = 1 gives the official
                t in (0, 1]                 ``(-2, -1)``
==============  ==========================  =================================

**Flow units.** ``F`` is in **pixels** of the frames, x to the right and y
down; pixel centres sit at integer coordinates 0..W-1 / 0..H-1. In
``'inter'`` mode ``F`` is *half* the motion from ``I0`` to ``I1`` (the
paper's convention), so a target at any ``t`` uses the same ``F``. In
``'extra'`` mode ``F`` is the motion per frame interval. The official code
(TF and PyTorch) works in normalised grid units instead: its network
outputs ``u = tanh(.)`` in [-1, 1] and it samples at ``grid -/+ 0.5 u`` on a
``linspace(-1, 1, W)`` grid, so its flow in pixels is::

    Fx = 0.5 * u_x * (W - 1) / 2        Fy = 0.5 * u_y * (H - 1) / 2

(:func:`normalized_to_pixel_flow` does this conversion).

**Borders.** ``padding_mode='border'`` (the official choice) clamps sample
positions into the frame; ``'zeros'`` treats pixels outside the frame as
0. Both match :func:`torch.nn.functional.grid_sample` with
``align_corners=False`` after mapping pixel coordinates to its grid.

Three implementations compute the same function:

* :func:`voxel_flow_reference`: pure PyTorch on ``grid_sample``, for any
  device and dtype, differentiated by autograd;
* a C++ CPU kernel (``csrc/voxel_flow.cpp``, ``at::parallel_for``);
* a CUDA kernel (``csrc/voxel_flow_cuda.cu``), forward and backward.

:func:`voxel_flow` dispatches: the CUDA kernel for CUDA tensors when it was
compiled in, the C++ kernel for CPU tensors when the extension is built,
the reference otherwise.
"""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.autograd import Function
from torch.autograd.function import once_differentiable

from ..utils import ext_available, load_ext

PADDING_MODES = ('border', 'zeros')
SYNTHESIS_MODES = ('inter', 'extra')
IMPLS = ('auto', 'pytorch', 'cpp', 'cuda')

__all__ = [
    'voxel_flow', 'voxel_flow_reference', 'VoxelFlowFunction', 'VoxelFlow',
    'sampling_coefficients', 'normalized_to_pixel_flow', 'resolve_impl'
]


def sampling_coefficients(mode: str = 'inter',
                          t: Optional[float] = None) -> Tuple[float, float]:
    """Multipliers ``(a0, a1)`` of the flow at which I0 and I1 are sampled.

    Args:
        mode (str): ``'inter'`` (target between the frames) or ``'extra'``
            (target after the second frame). Defaults to ``'inter'``.
        t (float, optional): Target time. For ``'inter'`` the target lies at
            ``t`` in (0, 1) between I0 (time 0) and I1 (time 1), default
            0.5. For ``'extra'`` it lies at ``1 + t``, t in (0, 1], default
            1 (the frame after I1).

    Returns:
        tuple[float, float]: ``(a0, a1)``; I0 is sampled at ``p + a0 * F``
        and I1 at ``p + a1 * F``.
    """
    if mode == 'inter':
        t = 0.5 if t is None else float(t)
        if not 0.0 < t < 1.0:
            raise ValueError(f'interpolation needs 0 < t < 1, got t={t}')
        return -2.0 * t, 2.0 * (1.0 - t)
    if mode == 'extra':
        t = 1.0 if t is None else float(t)
        if not 0.0 < t <= 1.0:
            raise ValueError(f'extrapolation needs 0 < t <= 1, got t={t}')
        return -(1.0 + t), -t
    raise ValueError(f'mode must be one of {SYNTHESIS_MODES}, got "{mode}"')


def normalized_to_pixel_flow(flow: Tensor, scale: float = 0.5) -> Tensor:
    """Convert the official code's normalised flow to this op's pixels.

    Args:
        flow (Tensor): (N, 2, H, W) flow in ``linspace(-1, 1)`` grid units,
            as output by the official network's tanh.
        scale (float): The official code's multiplier (0.5).

    Returns:
        Tensor: (N, 2, H, W) flow in pixels.
    """
    h, w = flow.shape[-2:]
    factor = flow.new_tensor([(w - 1) / 2.0, (h - 1) / 2.0]).view(1, 2, 1, 1)
    return flow * scale * factor


def _check_inputs(img0: Tensor, img1: Tensor, vflow: Tensor,
                  padding_mode: str) -> None:
    if img0.dim() != 4 or img0.shape != img1.shape:
        raise ValueError('img0 and img1 must both be (N, C, H, W) with the '
                         f'same shape, got {tuple(img0.shape)} and '
                         f'{tuple(img1.shape)}')
    n, _, h, w = img0.shape
    if vflow.shape != (n, 3, h, w):
        raise ValueError(f'voxel_flow must be (N, 3, H, W) = {(n, 3, h, w)}, '
                         f'got {tuple(vflow.shape)}')
    if img0.dtype != img1.dtype or img0.dtype != vflow.dtype:
        raise ValueError('img0, img1 and voxel_flow must share a dtype, got '
                         f'{img0.dtype}, {img1.dtype}, {vflow.dtype}')
    if img0.device != img1.device or img0.device != vflow.device:
        raise ValueError('img0, img1 and voxel_flow must be on one device')
    if padding_mode not in PADDING_MODES:
        raise ValueError(f'padding_mode must be one of {PADDING_MODES}, '
                         f'got "{padding_mode}"')


def _pixel_grid(pos_x: Tensor, pos_y: Tensor) -> Tensor:
    """Pixel coordinates (N, H, W) -> grid_sample grid (N, H, W, 2).

    With ``align_corners=False`` pixel centre ``x`` maps to
    ``(2x + 1) / W - 1``; grid_sample maps it back exactly.
    """
    h, w = pos_x.shape[-2:]
    return torch.stack(((2.0 * pos_x + 1.0) / w - 1.0,
                        (2.0 * pos_y + 1.0) / h - 1.0),
                       dim=-1)


def voxel_flow_reference(img0: Tensor,
                         img1: Tensor,
                         voxel_flow: Tensor,
                         a0: float = -1.0,
                         a1: float = 1.0,
                         padding_mode: str = 'border') -> Tensor:
    """Pure-PyTorch voxel-flow layer built on ``grid_sample``.

    Args:
        img0 (Tensor): First frame, (N, C, H, W).
        img1 (Tensor): Second frame, (N, C, H, W).
        voxel_flow (Tensor): (N, 3, H, W): flow (Fx, Fy) in pixels and the
            temporal selection ``m`` (weight of I0 is ``(1 + m) / 2``).
        a0 (float): I0 is sampled at ``p + a0 * F``. Defaults to -1.
        a1 (float): I1 is sampled at ``p + a1 * F``. Defaults to 1.
        padding_mode (str): ``'border'`` or ``'zeros'``.

    Returns:
        Tensor: The synthesised frame, (N, C, H, W).
    """
    _check_inputs(img0, img1, voxel_flow, padding_mode)
    _, _, h, w = img0.shape
    ys = torch.arange(h, device=img0.device, dtype=img0.dtype).view(1, h, 1)
    xs = torch.arange(w, device=img0.device, dtype=img0.dtype).view(1, 1, w)
    fx, fy, m = voxel_flow.unbind(dim=1)
    grid0 = _pixel_grid(xs + a0 * fx, ys + a0 * fy)
    grid1 = _pixel_grid(xs + a1 * fx, ys + a1 * fy)
    kwargs = dict(mode='bilinear', padding_mode=padding_mode,
                  align_corners=False)
    warped0 = F.grid_sample(img0, grid0, **kwargs)
    warped1 = F.grid_sample(img1, grid1, **kwargs)
    weight = (0.5 * (1.0 + m)).unsqueeze(1)
    return weight * warped0 + (1.0 - weight) * warped1


class VoxelFlowFunction(Function):
    """Autograd function running the compiled C++ (CPU) or CUDA kernel.

    Call it through :func:`voxel_flow`, which checks the inputs and picks the
    implementation. Only first-order gradients are supported.
    """

    @staticmethod
    def forward(ctx, img0: Tensor, img1: Tensor, voxel_flow: Tensor,
                a0: float, a1: float, padding_mode: str) -> Tensor:
        ext = load_ext('voxel_flow')
        img0, img1 = img0.contiguous(), img1.contiguous()
        voxel_flow = voxel_flow.contiguous()
        pad = PADDING_MODES.index(padding_mode)
        ctx.save_for_backward(img0, img1, voxel_flow)
        ctx.params = (float(a0), float(a1), pad)
        return ext.forward(img0, img1, voxel_flow, float(a0), float(a1), pad)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out: Tensor):
        ext = load_ext('voxel_flow')
        img0, img1, voxel_flow = ctx.saved_tensors
        a0, a1, pad = ctx.params
        need_img = ctx.needs_input_grad[0] or ctx.needs_input_grad[1]
        grad_img0, grad_img1, grad_flow = ext.backward(
            grad_out.contiguous(), img0, img1, voxel_flow, a0, a1, pad,
            need_img)
        return (grad_img0 if ctx.needs_input_grad[0] else None,
                grad_img1 if ctx.needs_input_grad[1] else None,
                grad_flow if ctx.needs_input_grad[2] else None, None, None,
                None)


def resolve_impl(impl: str, device: torch.device) -> str:
    """Pick the implementation :func:`voxel_flow` runs.

    Args:
        impl (str): ``'auto'``, ``'pytorch'``, ``'cpp'`` or ``'cuda'``.
        device (torch.device): Device of the inputs.

    Returns:
        str: ``'pytorch'``, ``'cpp'`` or ``'cuda'``. ``'auto'`` means the
        CUDA kernel on CUDA tensors, the C++ kernel on CPU tensors, when
        compiled, and the reference otherwise.
    """
    if impl not in IMPLS:
        raise ValueError(f'impl must be one of {IMPLS}, got "{impl}"')
    on_cuda = device.type == 'cuda'
    if impl == 'auto':
        if on_cuda:
            return 'cuda' if ext_available('voxel_flow', cuda=True) \
                else 'pytorch'
        if device.type == 'cpu' and ext_available('voxel_flow'):
            return 'cpp'
        return 'pytorch'
    if impl == 'cpp':
        if device.type != 'cpu':
            raise ValueError(f'impl="cpp" needs CPU tensors, got {device}')
        if not ext_available('voxel_flow'):
            raise RuntimeError(
                'impl="cpp" but mmvidseg.ops.voxel_flow._ext is not built; '
                'build it with `MMVIDSEG_OPS=voxel_flow python setup.py '
                'build_ext --inplace`')
    if impl == 'cuda':
        if not on_cuda:
            raise ValueError(f'impl="cuda" needs CUDA tensors, got {device}')
        if not ext_available('voxel_flow', cuda=True):
            raise RuntimeError('impl="cuda" but the voxel_flow extension was '
                               'built without CUDA kernels')
    return impl


def voxel_flow(img0: Tensor,
               img1: Tensor,
               voxel_flow: Tensor,
               mode: str = 'inter',
               t: Optional[float] = None,
               padding_mode: str = 'border',
               impl: str = 'auto') -> Tensor:
    """Synthesise a frame from two frames and a voxel flow.

    Args:
        img0 (Tensor): First frame (time 0), (N, C, H, W).
        img1 (Tensor): Second frame (time 1), (N, C, H, W).
        voxel_flow (Tensor): (N, 3, H, W): ``(Fx, Fy)`` in pixels (see the
            module docstring for the convention per mode) and ``m``; the
            weight of I0 is ``(1 + m) / 2``.
        mode (str): ``'inter'`` or ``'extra'``. Defaults to ``'inter'``.
        t (float, optional): Target time (see :func:`sampling_coefficients`).
        padding_mode (str): ``'border'`` (official) or ``'zeros'``.
        impl (str): ``'auto'`` (dispatch), ``'pytorch'``, ``'cpp'`` or
            ``'cuda'``. Defaults to ``'auto'``.

    Returns:
        Tensor: The synthesised frame, (N, C, H, W), same dtype as the
        inputs. Half-precision inputs run the kernels in float32.
    """
    a0, a1 = sampling_coefficients(mode, t)
    _check_inputs(img0, img1, voxel_flow, padding_mode)
    which = resolve_impl(impl, img0.device)
    if which == 'pytorch':
        return voxel_flow_reference(img0, img1, voxel_flow, a0, a1,
                                    padding_mode)
    dtype = img0.dtype
    if dtype not in (torch.float32, torch.float64):
        out = VoxelFlowFunction.apply(img0.float(), img1.float(),
                                      voxel_flow.float(), a0, a1,
                                      padding_mode)
        return out.to(dtype)
    return VoxelFlowFunction.apply(img0, img1, voxel_flow, a0, a1,
                                   padding_mode)


class VoxelFlow(nn.Module):
    """Voxel-flow layer as a module (no parameters).

    Args:
        mode (str): ``'inter'`` or ``'extra'``. Defaults to ``'inter'``.
        t (float, optional): Default target time (see
            :func:`sampling_coefficients`); a ``t`` given to ``forward``
            overrides it.
        padding_mode (str): ``'border'`` or ``'zeros'``. Defaults to
            ``'border'``.
        impl (str): Implementation choice of :func:`voxel_flow`.

    Example:
        >>> import torch
        >>> layer = VoxelFlow()
        >>> img0, img1 = torch.rand(2, 2, 3, 8, 12).unbind(0)
        >>> vflow = torch.zeros(2, 3, 8, 12)
        >>> out = layer(img0, img1, vflow)  # w = 0.5: the frame average
        >>> torch.allclose(out, (img0 + img1) / 2, atol=1e-6)
        True
    """

    def __init__(self,
                 mode: str = 'inter',
                 t: Optional[float] = None,
                 padding_mode: str = 'border',
                 impl: str = 'auto') -> None:
        super().__init__()
        sampling_coefficients(mode, t)  # validate early
        if padding_mode not in PADDING_MODES:
            raise ValueError(f'padding_mode must be one of {PADDING_MODES}, '
                             f'got "{padding_mode}"')
        if impl not in IMPLS:
            raise ValueError(f'impl must be one of {IMPLS}, got "{impl}"')
        self.mode = mode
        self.t = t
        self.padding_mode = padding_mode
        self.impl = impl

    def forward(self,
                img0: Tensor,
                img1: Tensor,
                voxel_flow_: Tensor,
                t: Optional[float] = None) -> Tensor:
        """Synthesise (N, C, H, W) from two (N, C, H, W) frames and a
        (N, 3, H, W) voxel flow."""
        return voxel_flow(img0, img1, voxel_flow_, self.mode,
                          self.t if t is None else t, self.padding_mode,
                          self.impl)

    def extra_repr(self) -> str:
        return (f'mode={self.mode}, t={self.t}, '
                f'padding_mode={self.padding_mode}, impl={self.impl}')
