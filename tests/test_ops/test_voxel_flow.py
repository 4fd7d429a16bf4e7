# Copyright (c) OpenMMLab. All rights reserved.
"""Tests of the voxel-flow layer: semantics, the three implementations'
parity and gradients, dispatch and input checks.

Parity tests draw fresh random inputs on every run; the seed is part of
every failure message so that a failure can be replayed.
"""
import importlib
import random

import pytest
import torch
import torch.nn.functional as F
from torch.autograd import gradcheck

from mmvidseg.ops import ext_available, load_ext
from mmvidseg.ops.voxel_flow import (VoxelFlow, normalized_to_pixel_flow,
                                     resolve_impl, sampling_coefficients,
                                     voxel_flow, voxel_flow_reference)

HAS_CPP = ext_available('voxel_flow')
HAS_CUDA = torch.cuda.is_available() and ext_available('voxel_flow', True)
needs_cpp = pytest.mark.skipif(
    not HAS_CPP, reason='mmvidseg.ops.voxel_flow._ext is not built')
needs_cuda = pytest.mark.skipif(
    not HAS_CUDA, reason='needs a GPU and the CUDA voxel-flow kernels')

MODES = [('inter', None), ('inter', 0.3), ('extra', None), ('extra', 0.5)]


def fresh_seed():
    return random.SystemRandom().randrange(2**31)


def random_inputs(seed, n, c, h, w, dtype=torch.float32, flow_scale=4.0,
                  device='cpu'):
    """Frames in [0, 1), flows ~ N(0, flow_scale) px (many samples land
    outside the frame) and m = tanh(N(0, 1))."""
    g = torch.Generator().manual_seed(seed)
    img0 = torch.rand(n, c, h, w, generator=g, dtype=dtype)
    img1 = torch.rand(n, c, h, w, generator=g, dtype=dtype)
    vflow = torch.randn(n, 3, h, w, generator=g, dtype=dtype) * flow_scale
    vflow[:, 2] = torch.tanh(vflow[:, 2] / flow_scale)
    return [t.to(device) for t in (img0, img1, vflow)]


# ---------------------------------------------------------------- semantics
def test_sampling_coefficients():
    assert sampling_coefficients() == (-1.0, 1.0)
    assert sampling_coefficients('inter', 0.25) == (-0.5, 1.5)
    assert sampling_coefficients('extra') == (-2.0, -1.0)
    assert sampling_coefficients('extra', 0.5) == (-1.5, -0.5)
    for mode, t in [('inter', 0.0), ('inter', 1.0), ('extra', 0.0),
                    ('extra', 1.5)]:
        with pytest.raises(ValueError, match='t'):
            sampling_coefficients(mode, t)
    with pytest.raises(ValueError, match='mode'):
        sampling_coefficients('forward')


@pytest.mark.parametrize('impl', ['pytorch', 'auto'])
def test_zero_flow_blends_frames(impl):
    img0, img1, _ = random_inputs(0, 2, 3, 6, 9)
    vflow = torch.zeros(2, 3, 6, 9)
    out = voxel_flow(img0, img1, vflow, impl=impl)
    torch.testing.assert_close(out, (img0 + img1) / 2)
    vflow[:, 2] = 1.0  # w = 1: all from I0
    torch.testing.assert_close(voxel_flow(img0, img1, vflow, impl=impl), img0)
    vflow[:, 2] = -1.0  # w = 0: all from I1
    torch.testing.assert_close(voxel_flow(img0, img1, vflow, impl=impl), img1)


@pytest.mark.parametrize('impl', ['pytorch', 'auto'])
def test_integer_flow_shifts_in_pixels(impl):
    """Interpolation at t=0.5 samples I0 at p - F and I1 at p + F."""
    img0, img1, _ = random_inputs(1, 1, 2, 8, 10)
    vflow = torch.zeros(1, 3, 8, 10)
    vflow[:, 0] = 2.0  # Fx = 2 px
    vflow[:, 1] = 1.0  # Fy = 1 px
    vflow[:, 2] = 1.0  # take I0 only
    out = voxel_flow(img0, img1, vflow, impl=impl, padding_mode='zeros')
    expect = torch.zeros_like(img0)
    expect[..., 1:, 2:] = img0[..., :-1, :-2]
    torch.testing.assert_close(out, expect)
    vflow[:, 2] = -1.0  # take I1 only: sampled at p + F
    out = voxel_flow(img0, img1, vflow, impl=impl, padding_mode='border')
    expect = img1[..., 1:, 2:]
    torch.testing.assert_close(out[..., :-1, :-2], expect)
    # border padding repeats the last row / column
    torch.testing.assert_close(out[..., -1, :-2], img1[..., -1, 2:])
    torch.testing.assert_close(out[..., :-1, -1], img1[..., 1:, -1])


def test_extrapolation_and_time_positions():
    """extra: I0 at p - (1 + t) F and I1 at p - t F; inter: I0 at p - 2tF."""
    h, w = 6, 12
    ramp = torch.arange(w, dtype=torch.float64).expand(1, 1, h, w)
    vflow = torch.zeros(1, 3, h, w, dtype=torch.float64)
    vflow[:, 0] = 2.0
    for mode, t, shift0, shift1 in [('extra', None, -4.0, -2.0),
                                    ('extra', 0.5, -3.0, -1.0),
                                    ('inter', 0.25, -1.0, 3.0)]:
        vflow[:, 2] = 1.0
        out0 = voxel_flow_reference(ramp, ramp, vflow,
                                    *sampling_coefficients(mode, t))
        vflow[:, 2] = -1.0
        out1 = voxel_flow_reference(ramp, ramp, vflow,
                                    *sampling_coefficients(mode, t))
        x = torch.arange(w, dtype=torch.float64)
        torch.testing.assert_close(out0[0, 0, 0], (x + shift0).clamp(0, w - 1))
        torch.testing.assert_close(out1[0, 0, 0], (x + shift1).clamp(0, w - 1))


def test_official_normalised_flow_conversion():
    """The documented conversion reproduces the official sampling: a
    ``linspace(-1, 1)`` grid moved by -/+ 0.5 u, align_corners=True."""
    n, c, h, w = 2, 3, 7, 11
    img0, img1, _ = random_inputs(2, n, c, h, w, dtype=torch.float64)
    g = torch.Generator().manual_seed(3)
    u = torch.tanh(torch.randn(n, 3, h, w, generator=g, dtype=torch.float64))
    gy, gx = torch.meshgrid(torch.linspace(-1, 1, h, dtype=torch.float64),
                            torch.linspace(-1, 1, w, dtype=torch.float64),
                            indexing='ij')
    flow = 0.5 * u[:, :2]
    grid0 = torch.stack((gx - flow[:, 0], gy - flow[:, 1]), dim=-1)
    grid1 = torch.stack((gx + flow[:, 0], gy + flow[:, 1]), dim=-1)
    kw = dict(padding_mode='border', align_corners=True)
    mask = 0.5 * (1 + u[:, 2:])
    official = mask * F.grid_sample(img0, grid0, **kw) + \
        (1 - mask) * F.grid_sample(img1, grid1, **kw)
    vflow = torch.cat([normalized_to_pixel_flow(u[:, :2]), u[:, 2:]], dim=1)
    ours = voxel_flow_reference(img0, img1, vflow)
    torch.testing.assert_close(ours, official)


# ------------------------------------------------------------ parity (C++)
@needs_cpp
@pytest.mark.parametrize('padding_mode', ['border', 'zeros'])
@pytest.mark.parametrize('shape', [(3, 1, 13, 7), (2, 3, 9, 16),
                                   (1, 3, 2, 33), (2, 1, 1, 5)])
@pytest.mark.parametrize('mode,t', MODES)
def test_cpp_matches_reference(padding_mode, shape, mode, t):
    """Float32 outputs and gradients of the C++ kernel equal the reference
    to 1e-5 (fresh random inputs, flows reaching outside the frame)."""
    seed = fresh_seed()
    img0, img1, vflow = random_inputs(seed, *shape)
    grad_out = torch.randn(shape, generator=torch.Generator().manual_seed(
        seed + 1))
    outs, grads = [], []
    for impl in ('pytorch', 'cpp'):
        inputs = [x.clone().requires_grad_() for x in (img0, img1, vflow)]
        out = voxel_flow(*inputs, mode=mode, t=t, padding_mode=padding_mode,
                         impl=impl)
        outs.append(out.detach())
        grads.append(torch.autograd.grad(out, inputs, grad_out))
    msg = f'seed={seed}'
    torch.testing.assert_close(outs[1], outs[0], atol=1e-5, rtol=1e-5,
                               msg=msg)
    for name, g_ref, g_cpp in zip(('img0', 'img1', 'flow'), *grads):
        # Gradients sum over channels and over all pixels sampling a
        # location: compare relative to their magnitude.
        scale = max(1.0, g_ref.abs().max().item())
        torch.testing.assert_close(
            g_cpp / scale, g_ref / scale, atol=1e-5, rtol=1e-5,
            msg=f'{msg} grad {name}')


@needs_cpp
@pytest.mark.parametrize('num_threads,n', [(1, 3), (2, 1), (2, 4)])
def test_cpp_backward_thread_layouts(num_threads, n):
    """Fused per-sample backward (N >= threads) and the split row / plane
    backward (N < threads) give the same gradients."""
    seed = fresh_seed()
    img0, img1, vflow = random_inputs(seed, n, 3, 10, 12)
    grad_out = torch.randn(n, 3, 10, 12)
    old = torch.get_num_threads()
    torch.set_num_threads(num_threads)
    try:
        ext = load_ext('voxel_flow')
        got = ext.backward(grad_out, img0, img1, vflow, -1.0, 1.0, 0, True)
    finally:
        torch.set_num_threads(old)
    inputs = [x.clone().requires_grad_() for x in (img0, img1, vflow)]
    ref = torch.autograd.grad(
        voxel_flow_reference(*inputs), inputs, grad_out)
    for a, b in zip(got, ref):
        torch.testing.assert_close(a, b, atol=2e-5, rtol=1e-5,
                                   msg=f'seed={seed}')


@needs_cpp
def test_cpp_paths():
    """float32 frames of at least 2x2 take the SSE 'pair' path where the
    build has SSE2; float64 and 1-pixel frames the generic one."""
    ext = load_ext('voxel_flow')
    assert ext.cpu_path(torch.zeros(1, 1, 4, 4, dtype=torch.float64)) == \
        'generic'
    assert ext.cpu_path(torch.zeros(1, 1, 1, 4)) == 'generic'
    assert ext.cpu_path(torch.zeros(1, 1, 4, 4)) in ('pair', 'generic')
    assert ext.with_cuda() in (True, False)


@needs_cpp
def test_cpp_no_image_grad_and_empty_batch():
    img0, img1, vflow = random_inputs(4, 2, 3, 5, 6)
    vflow.requires_grad_()
    out = voxel_flow(img0, img1, vflow, impl='cpp')
    gflow, = torch.autograd.grad(out.sum(), [vflow])
    v = vflow.detach().clone().requires_grad_()
    ref, = torch.autograd.grad(voxel_flow_reference(img0, img1, v).sum(), [v])
    torch.testing.assert_close(gflow, ref, atol=1e-5, rtol=1e-5)
    empty = torch.zeros(0, 3, 5, 6)
    assert voxel_flow(empty, empty, torch.zeros(0, 3, 5, 6),
                      impl='cpp').shape == (0, 3, 5, 6)


@needs_cpp
def test_cpp_half_precision_runs_in_float():
    img0, img1, vflow = random_inputs(5, 1, 3, 6, 7)
    out = voxel_flow(img0.bfloat16(), img1.bfloat16(), vflow.bfloat16(),
                     impl='cpp')
    assert out.dtype == torch.bfloat16
    ref = voxel_flow_reference(img0, img1, vflow)
    torch.testing.assert_close(out.float(), ref, atol=2e-2, rtol=2e-2)


# ---------------------------------------------------------------- gradcheck
def _gradcheck(impl, mode, t, padding_mode, shape, device='cpu'):
    seed = fresh_seed()
    img0, img1, vflow = random_inputs(seed, *shape, dtype=torch.float64,
                                      flow_scale=2.0, device=device)
    inputs = [x.requires_grad_() for x in (img0, img1, vflow)]

    def fn(a, b, v):
        return voxel_flow(a, b, v, mode=mode, t=t,
                          padding_mode=padding_mode, impl=impl)

    assert gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-4), \
        f'seed={seed}'


@pytest.mark.parametrize('padding_mode', ['border', 'zeros'])
@pytest.mark.parametrize('mode,t', MODES)
def test_gradcheck_reference(mode, t, padding_mode):
    _gradcheck('pytorch', mode, t, padding_mode, (2, 3, 5, 7))


@needs_cpp
@pytest.mark.parametrize('padding_mode', ['border', 'zeros'])
@pytest.mark.parametrize('mode,t', MODES)
@pytest.mark.parametrize('shape', [(2, 3, 5, 7), (1, 1, 6, 4)])
def test_gradcheck_cpp(mode, t, padding_mode, shape):
    _gradcheck('cpp', mode, t, padding_mode, shape)


# --------------------------------------------------------------------- CUDA
@needs_cuda
@pytest.mark.parametrize('padding_mode', ['border', 'zeros'])
@pytest.mark.parametrize('mode,t', MODES)
def test_gradcheck_cuda(mode, t, padding_mode):
    _gradcheck('cuda', mode, t, padding_mode, (2, 3, 5, 7), device='cuda')


@needs_cuda
@pytest.mark.parametrize('padding_mode', ['border', 'zeros'])
@pytest.mark.parametrize('shape', [(3, 1, 13, 7), (2, 3, 40, 56)])
def test_cuda_matches_reference(padding_mode, shape):
    seed = fresh_seed()
    img0, img1, vflow = random_inputs(seed, *shape, device='cuda')
    grad_out = torch.randn(shape, device='cuda')
    res = []
    for impl in ('pytorch', 'cuda'):
        inputs = [x.clone().requires_grad_() for x in (img0, img1, vflow)]
        out = voxel_flow(*inputs, padding_mode=padding_mode, impl=impl)
        res.append([out] + list(torch.autograd.grad(out, inputs, grad_out)))
    for a, b in zip(*res):
        scale = max(1.0, a.abs().max().item())
        torch.testing.assert_close(b / scale, a / scale, atol=1e-5,
                                   rtol=1e-5, msg=f'seed={seed}')


# ------------------------------------------------------- dispatch and checks
def test_dispatch(monkeypatch):
    cpu = torch.device('cpu')
    assert resolve_impl('pytorch', cpu) == 'pytorch'
    assert resolve_impl('auto', cpu) == ('cpp' if HAS_CPP else 'pytorch')
    with pytest.raises(ValueError, match='CUDA tensors'):
        resolve_impl('cuda', cpu)
    with pytest.raises(ValueError, match='impl'):
        resolve_impl('triton', cpu)
    # Without the extension, 'auto' falls back to the reference and an
    # explicit 'cpp' says how to build it.
    vf_module = importlib.import_module('mmvidseg.ops.voxel_flow.voxel_flow')
    monkeypatch.setattr(vf_module, 'ext_available', lambda op, cuda=False:
                        False)
    assert resolve_impl('auto', cpu) == 'pytorch'
    assert resolve_impl('auto', torch.device('cuda')) == 'pytorch'
    with pytest.raises(RuntimeError, match='build_ext'):
        resolve_impl('cpp', cpu)


def test_input_errors():
    img = torch.zeros(2, 3, 4, 5)
    with pytest.raises(ValueError, match=r'\(N, 3, H, W\)'):
        voxel_flow(img, img, torch.zeros(2, 2, 4, 5))
    with pytest.raises(ValueError, match='same shape'):
        voxel_flow(img, torch.zeros(2, 3, 4, 6), torch.zeros(2, 3, 4, 5))
    with pytest.raises(ValueError, match='dtype'):
        voxel_flow(img, img.double(), torch.zeros(2, 3, 4, 5))
    with pytest.raises(ValueError, match='padding_mode'):
        voxel_flow(img, img, torch.zeros(2, 3, 4, 5), padding_mode='reflect')
    with pytest.raises(ValueError, match='padding_mode'):
        VoxelFlow(padding_mode='mirror')


def test_module():
    layer = VoxelFlow(mode='extra', t=0.5, padding_mode='zeros')
    assert 'extra' in repr(layer) and 'zeros' in repr(layer)
    img0, img1, vflow = random_inputs(6, 1, 3, 5, 8)
    expect = voxel_flow(img0, img1, vflow, 'extra', 0.5, 'zeros')
    torch.testing.assert_close(layer(img0, img1, vflow), expect)
    # a per-call t overrides the module's
    expect = voxel_flow(img0, img1, vflow, 'extra', 1.0, 'zeros')
    torch.testing.assert_close(layer(img0, img1, vflow, t=1.0), expect)
