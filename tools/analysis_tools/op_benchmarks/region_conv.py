# Copyright (c) OpenMMLab. All rights reserved.
"""Region convolution vs. a dense ``F.conv2d`` of the same shape.

For each density d of the region mask, times ``region_conv2d`` (dense input
and dense output, the compiled kernel unless ``--impl reference``) and a
dense ``F.conv2d`` on the same input, in one run, interleaved in rounds so
that load from other processes hits both alike; each time is the minimum
over rounds (wall clock; on the CPU the process CPU time is shown too, as
it is less disturbed by other processes on a shared machine). The target is
``t(d) <= 1.5 * d * t_dense + c`` with a small constant c (``--const-ms``).

Examples::

    OMP_NUM_THREADS=1 python tools/analysis_tools/benchmark_ops.py region_conv
    python tools/analysis_tools/benchmark_ops.py region_conv --device cuda
    python tools/analysis_tools/benchmark_ops.py region_conv \\
        --memory-format channels_last --pattern blobs --backward
"""
import time

import torch
import torch.nn.functional as F


def add_args(parser):
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument('--batch', type=int, default=1)
    parser.add_argument(
        '--channels', type=int, default=256, help='C_in = C_out')
    parser.add_argument('--height', type=int, default=64)
    parser.add_argument('--width', type=int, default=128)
    parser.add_argument('--kernel', type=int, default=3)
    parser.add_argument('--dilation', type=int, default=1)
    parser.add_argument(
        '--densities',
        type=float,
        nargs='+',
        default=[0.05, 0.1, 0.25, 0.5, 1.0])
    parser.add_argument(
        '--pattern',
        default='random',
        choices=['random', 'blobs'],
        help='random: i.i.d. pixels (worst case for '
        'locality); blobs: thresholded smooth noise, like '
        'the hard regions of a segmentation')
    parser.add_argument(
        '--memory-format',
        default='contiguous',
        choices=['contiguous', 'channels_last'],
        help='storage of the input (the dense conv gets '
        'the same)')
    parser.add_argument(
        '--impl', default='auto', choices=['auto', 'ext', 'reference'])
    parser.add_argument(
        '--backward',
        action='store_true',
        help='time forward + backward instead of forward')
    parser.add_argument(
        '--dtype',
        default='float32',
        choices=['float32', 'float16', 'float64'])
    parser.add_argument(
        '--threads',
        type=int,
        default=None,
        help='torch.set_num_threads (CPU); default: keep')
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument(
        '--const-ms',
        type=float,
        default=1.0,
        help='the "small constant" c of the target, in ms')
    parser.add_argument('--seed', type=int, default=0)


def _mask(pattern, density, shape, gen, device):
    n, _, h, w = shape
    numel = n * h * w
    k = int(round(density * numel))
    if pattern == 'random':
        score = torch.rand(numel, generator=gen)
    else:
        noise = torch.rand(n, 1, h // 8 + 1, w // 8 + 1, generator=gen)
        score = F.interpolate(
            noise, size=(h, w), mode='bicubic',
            align_corners=False).reshape(-1)
    mask = torch.zeros(numel, dtype=torch.bool)
    mask[torch.topk(score, k).indices] = True
    return mask.view(n, 1, h, w).to(device)


def _timer(device):
    if device == 'cuda':

        def now():
            torch.cuda.synchronize()
            return time.perf_counter()
    else:
        now = time.perf_counter
    return now


def main(args):
    from mmvidseg.ops import ext_available
    from mmvidseg.ops.region_conv import region_conv2d

    if args.device == 'cuda' and not torch.cuda.is_available():
        raise SystemExit('--device cuda: no CUDA device here')
    if args.threads:
        torch.set_num_threads(args.threads)
    dtype = getattr(torch, args.dtype)
    device = args.device
    gen = torch.Generator().manual_seed(args.seed)
    c, k, d = args.channels, args.kernel, args.dilation
    shape = (args.batch, c, args.height, args.width)
    x = torch.randn(shape, generator=gen).to(device, dtype)
    if args.memory_format == 'channels_last':
        x = x.contiguous(memory_format=torch.channels_last)
    weight = (torch.randn(c, c, k, k, generator=gen) / (c * k * k)**0.5).to(
        device, dtype)
    bias = torch.randn(c, generator=gen).to(device, dtype)
    pad = d * (k - 1) // 2
    masks = {
        p: _mask(args.pattern, p, (args.batch, 1, *shape[2:]), gen, device)
        for p in args.densities
    }
    if args.backward:
        x.requires_grad_()
        weight.requires_grad_()
        bias.requires_grad_()

    def dense():
        out = F.conv2d(x, weight, bias, 1, pad, d)
        if args.backward:
            out.sum().backward()

    def region(mask):

        def run():
            out = region_conv2d(
                x, mask, weight, bias, 1, pad, d, impl=args.impl)
            if args.backward:
                out.sum().backward()

        return run

    funcs = {'dense': dense}
    funcs.update({p: region(m) for p, m in masks.items()})
    now = _timer(device)
    grad_ctx = torch.enable_grad if args.backward else torch.no_grad
    best = {name: float('inf') for name in funcs}
    best_cpu = {name: float('inf') for name in funcs}
    with grad_ctx():
        for f in funcs.values():  # warm up (oneDNN primitives, cuBLAS)
            f()
            f()
        for _ in range(args.rounds):
            for name, f in funcs.items():
                for _ in range(args.repeats):
                    c0, t0 = time.process_time(), now()
                    f()
                    t1, c1 = now(), time.process_time()
                    best[name] = min(best[name], t1 - t0)
                    best_cpu[name] = min(best_cpu[name], c1 - c0)
        # Parity with the dense conv at the densest mask.
        p_max = max(args.densities)
        out = region_conv2d(
            x, masks[p_max], weight, bias, 1, pad, d, impl=args.impl)
        ref = F.conv2d(x, weight, bias, 1, pad, d) * masks[p_max]
        err = (out - ref).abs().max().item()

    kernel = ('reference' if args.impl == 'reference'
              or not ext_available('region_conv', cuda=device == 'cuda') else
              ('CUDA' if device == 'cuda' else 'C++ CPU'))
    threads = torch.get_num_threads() if device == 'cpu' else '-'
    t_dense = best['dense'] * 1e3
    mode = 'forward+backward' if args.backward else 'forward'
    print(f'region_conv2d ({kernel} kernel) vs dense F.conv2d, {mode}; '
          f'input {tuple(shape)} {args.dtype} {args.memory_format}, '
          f'{k}x{k} dilation {d}, C_out {c}; masks: {args.pattern}; '
          f'device {device}, threads {threads}; min over {args.rounds} '
          f'rounds x {args.repeats}')
    cpu_dense = best_cpu['dense'] * 1e3
    print(f'dense F.conv2d: {t_dense:.2f} ms wall' +
          (f', {cpu_dense:.2f} ms CPU time' if device == 'cpu' else ''))
    header = (f'{"density":>8} {"pixels":>8} {"region ms":>10} '
              f'{"t/t_dense":>10} {"t/(d*t_dense)":>14} '
              f'{"1.5*d*t_dense+c":>16} {"target":>7}')
    if device == 'cpu':
        header += f' {"CPU-time t/t_dense":>19}'
    print(header)
    print('-' * len(header))
    met_all = True
    for p in args.densities:
        t = best[p] * 1e3
        bound = 1.5 * p * t_dense + args.const_ms
        met = t <= bound
        met_all &= met
        per_d = t / (p * t_dense) if p > 0 else float('nan')
        line = (f'{p:>8.2f} {int(masks[p].sum()):>8d} {t:>10.2f} '
                f'{t / t_dense:>10.3f} {per_d:>14.2f} {bound:>16.2f} '
                f'{"met" if met else "MISSED":>7}')
        if device == 'cpu':
            line += f' {best_cpu[p] * 1e3 / cpu_dense:>19.3f}'
        print(line)
    print(f'max |region - dense * mask| at density {p_max}: {err:.2e}')
    print(f'target t(d) <= 1.5 * d * t_dense + {args.const_ms} ms: '
          f'{"met at every density" if met_all else "missed somewhere"}')
    return 0
