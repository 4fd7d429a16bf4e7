# Copyright (c) OpenMMLab. All rights reserved.
"""Tests of ``mmvidseg.ops.region_conv`` (reference, C++ CPU and CUDA)."""
import pytest
import torch
import torch.nn.functional as F
from torch.autograd import gradcheck

from mmvidseg.ops import ext_available
from mmvidseg.ops.region_conv import (RegionConv2d, gather_pixels,
                                      mask_to_index, region_conv2d,
                                      region_conv2d_compact, scatter_pixels)

CPU_EXT = ext_available('region_conv')
CUDA_EXT = torch.cuda.is_available() and ext_available('region_conv', True)

# (device, impl) pairs that can run here.
IMPLS = [('cpu', 'reference')]
if CPU_EXT:
    IMPLS.append(('cpu', 'ext'))
if torch.cuda.is_available():
    IMPLS.append(('cuda', 'reference'))
if CUDA_EXT:
    IMPLS.append(('cuda', 'ext'))

# (stride, padding, dilation, kernel)
GEOMETRIES = [(1, 1, 1, 3), (1, 2, 2, 3), (2, 1, 1, 3), (1, 0, 1, 1),
              ((1, 2), (0, 3), (2, 1), (3, 2))]
DENSITIES = [0.0, 0.03, 0.3, 1.0]


def _random_mask(gen, shape, density):
    """A mask with exactly ``round(density * numel)`` active pixels."""
    numel = int(torch.tensor(shape).prod())
    k = int(round(density * numel))
    mask = torch.zeros(numel, dtype=torch.bool)
    mask[torch.randperm(numel, generator=gen)[:k]] = True
    return mask.view(shape)


def _conv_case(seed,
               dtype=torch.float32,
               geometry=GEOMETRIES[0],
               n=2,
               c_in=5,
               c_out=7,
               h=11,
               w=13,
               density=0.3):
    gen = torch.Generator().manual_seed(seed)
    stride, padding, dilation, k = geometry
    x = torch.randn(n, c_in, h, w, generator=gen, dtype=dtype)
    kh, kw = (k, k) if isinstance(k, int) else k
    weight = torch.randn(c_out, c_in, kh, kw, generator=gen, dtype=dtype)
    bias = torch.randn(c_out, generator=gen, dtype=dtype)
    out_shape = F.conv2d(x, weight, None, stride, padding, dilation).shape
    mask = _random_mask(gen, (n, 1, *out_shape[2:]), density)
    return x, weight, bias, mask, (stride, padding, dilation)


@pytest.mark.parametrize('device,impl', IMPLS)
@pytest.mark.parametrize('geometry', GEOMETRIES)
@pytest.mark.parametrize('density', DENSITIES)
def test_equals_dense_conv_on_region(device, impl, geometry, density):
    x, weight, bias, mask, args = _conv_case(
        7, geometry=geometry, density=density)
    x, weight, bias, mask = (t.to(device) for t in (x, weight, bias, mask))
    out = region_conv2d(x, mask, weight, bias, *args, impl=impl)
    dense = F.conv2d(x, weight, bias, *args)
    assert out.shape == dense.shape
    torch.testing.assert_close(out, dense * mask, rtol=1e-5, atol=1e-5)
    # Outside the region the output is exactly zero.
    assert torch.all(out[~mask.expand_as(out)] == 0)


@pytest.mark.parametrize('device,impl', IMPLS)
def test_fill_passes_through(device, impl):
    x, weight, bias, mask, args = _conv_case(3)
    fill = torch.randn(
        x.size(0),
        weight.size(0),
        *mask.shape[2:],
        generator=torch.Generator().manual_seed(4))
    x, weight, bias, mask, fill = (
        t.to(device) for t in (x, weight, bias, mask, fill))
    out = region_conv2d(x, mask, weight, bias, *args, fill=fill, impl=impl)
    expected = torch.where(mask, F.conv2d(x, weight, bias, *args), fill)
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.skipif(not CPU_EXT, reason='the C++ region_conv is not built')
@pytest.mark.parametrize('geometry', GEOMETRIES)
@pytest.mark.parametrize('density', DENSITIES)
@pytest.mark.parametrize('seed', [0, 1])
def test_cpp_matches_reference(geometry, density, seed):
    """Forward and all three gradients, fresh random inputs and masks."""
    x, weight, bias, mask, args = _conv_case(
        100 + seed, geometry=geometry, density=density)
    results = {}
    for impl in ('reference', 'ext'):
        xi, wi, bi = (t.clone().requires_grad_() for t in (x, weight, bias))
        out = region_conv2d(xi, mask, wi, bi, *args, impl=impl)
        grad = torch.randn(
            out.shape, generator=torch.Generator().manual_seed(200 + seed))
        out.backward(grad)
        results[impl] = (out, xi.grad, wi.grad, bi.grad)
    for ref, ext in zip(results['reference'], results['ext']):
        torch.testing.assert_close(ext, ref, rtol=1e-5, atol=1e-5)


@pytest.mark.skipif(not CPU_EXT, reason='the C++ region_conv is not built')
def test_cpp_large_tiles_and_channels_last():
    """Several pixel tiles (K > 1024) and a channels-last input."""
    x, weight, bias, mask, args = _conv_case(
        11, n=1, c_in=4, c_out=6, h=48, w=64, density=0.6)
    ref = region_conv2d(x, mask, weight, bias, *args, impl='reference')
    assert int(mask.sum()) > 1024
    for inp in (x, x.contiguous(memory_format=torch.channels_last)):
        xi = inp.clone().requires_grad_()
        out = region_conv2d(xi, mask, weight, bias, *args, impl='ext')
        torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)
        out.sum().backward()
        xr = x.clone().requires_grad_()
        region_conv2d(
            xr, mask, weight, bias, *args, impl='reference').sum().backward()
        torch.testing.assert_close(xi.grad, xr.grad, rtol=1e-5, atol=1e-5)


@pytest.mark.skipif(not CPU_EXT, reason='the C++ region_conv is not built')
def test_cpp_channels_last_weight():
    """A channels-last weight (a model converted with
    ``.to(memory_format=torch.channels_last)``) gives the same output and
    gradients; its gradient keeps the weight's layout."""
    x, weight, bias, mask, args = _conv_case(
        12, n=2, c_in=5, c_out=7, h=20, w=24, density=0.3)
    grads = []
    for w in (weight, weight.contiguous(memory_format=torch.channels_last)):
        xi, wi = x.clone().requires_grad_(), w.clone().requires_grad_()
        out = region_conv2d(xi, mask, wi, bias, *args, impl='ext')
        out.backward(torch.ones_like(out))
        grads.append((out, xi.grad, wi.grad))
    for a, b in zip(*grads):
        torch.testing.assert_close(b, a, rtol=1e-5, atol=1e-5)
    assert grads[1][2].is_contiguous(memory_format=torch.channels_last)


@pytest.mark.parametrize('device,impl', IMPLS)
@pytest.mark.parametrize('geometry', GEOMETRIES[:3] + GEOMETRIES[4:])
def test_gradcheck(device, impl, geometry):
    x, weight, bias, mask, args = _conv_case(
        5,
        dtype=torch.float64,
        geometry=geometry,
        n=2,
        c_in=2,
        c_out=3,
        h=6,
        w=7,
        density=0.4)
    x, weight, bias = (
        t.to(device).requires_grad_() for t in (x, weight, bias))
    fill = torch.randn(
        2,
        3,
        *mask.shape[2:],
        generator=torch.Generator().manual_seed(6),
        dtype=torch.float64).to(device)
    fill.requires_grad_()
    mask = mask.to(device)
    assert gradcheck(
        lambda a, b, c, d: region_conv2d(
            a, mask, b, c, *args, fill=d, impl=impl), (x, weight, bias, fill),
        eps=1e-6,
        atol=1e-6)


@pytest.mark.parametrize('device,impl', IMPLS)
def test_gather_scatter_roundtrip_and_gradcheck(device, impl):
    gen = torch.Generator().manual_seed(4)
    dense = torch.randn(2, 3, 4, 5, generator=gen, dtype=torch.float64)
    mask = _random_mask(gen, (2, 1, 4, 5), 0.5)
    dense, mask = dense.to(device), mask.to(device)
    index = mask_to_index(mask)
    rows = gather_pixels(dense, index, impl=impl)
    assert rows.shape == (index.numel(), 3)
    torch.testing.assert_close(
        scatter_pixels(rows, index, size=(2, 4, 5), impl=impl), dense * mask)
    torch.testing.assert_close(
        scatter_pixels(rows * 0, index, base=dense, impl=impl), dense * ~mask)
    dense.requires_grad_()
    rows = rows.detach().requires_grad_()
    assert gradcheck(lambda d: gather_pixels(d, index, impl=impl), (dense, ))
    assert gradcheck(lambda r, b: scatter_pixels(r, index, base=b, impl=impl),
                     (rows, dense))


def test_compact_rows_follow_index():
    x, weight, bias, mask, args = _conv_case(9)
    index = mask_to_index(mask)
    rows = region_conv2d_compact(x, index, weight, bias, *args)
    dense = F.conv2d(x, weight, bias, *args)
    expected = dense.permute(0, 2, 3, 1).reshape(-1, weight.size(0))[index]
    torch.testing.assert_close(rows, expected, rtol=1e-5, atol=1e-5)


def test_module_matches_conv2d_and_loads_its_state():
    conv = torch.nn.Conv2d(4, 6, 3, padding=2, dilation=2)
    rconv = RegionConv2d(4, 6, 3, padding=2, dilation=2)
    rconv.load_state_dict(conv.state_dict())
    x = torch.randn(2, 4, 9, 10, generator=torch.Generator().manual_seed(1))
    mask = torch.rand(
        2, 1, 9, 10, generator=torch.Generator().manual_seed(0)) < 0.5
    with torch.no_grad():
        torch.testing.assert_close(
            rconv(x, mask), conv(x) * mask, rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(rconv(x), conv(x))
        torch.testing.assert_close(
            rconv(x, torch.ones_like(mask)), conv(x), rtol=1e-5, atol=1e-5)


def test_bad_input_raises_clear_errors():
    x = torch.randn(1, 4, 8, 8)
    w = torch.randn(5, 4, 3, 3)
    with pytest.raises(ValueError, match='mask must have shape'):
        region_conv2d(
            x, torch.ones(1, 1, 7, 8, dtype=torch.bool), w, padding=1)
    with pytest.raises(ValueError, match='weight must be'):
        region_conv2d(
            x, torch.ones(1, 1, 8, 8), torch.randn(5, 3, 3, 3), padding=1)
    with pytest.raises(ValueError, match='out of|must lie in'):
        region_conv2d_compact(x, torch.tensor([64]), w, padding=1)
    with pytest.raises(ValueError, match='impl must be one of'):
        region_conv2d(x, torch.ones(1, 1, 8, 8), w, padding=1, impl='gpu')
    with pytest.raises(ValueError, match='groups must be 1'):
        RegionConv2d(4, 4, 3, groups=2)


@pytest.mark.skipif(
    not torch.cuda.is_available(), reason='needs a CUDA device')
def test_cuda_matches_cpu_reference():
    x, weight, bias, mask, args = _conv_case(21, density=0.3)
    ref = region_conv2d(x, mask, weight, bias, *args, impl='reference')
    out = region_conv2d(x.cuda(), mask.cuda(), weight.cuda(), bias.cuda(),
                        *args)
    torch.testing.assert_close(out.cpu(), ref, rtol=1e-5, atol=1e-5)
