# Copyright (c) OpenMMLab. All rights reserved.
"""Voxel-flow layer: compiled kernel vs. the ``grid_sample`` reference.

Runs both implementations on the same inputs in one run and prints their
ratios: parity (max abs difference of the output and of every gradient),
forward + backward time, forward time and peak memory.

**Inputs.** Frames (N, C, H, W) uniform in [0, 1); the voxel flow is a
smooth random field (bilinearly upsampled 8x8 noise times ``--max-flow``
pixels, plus 0.3 px of per-pixel noise), like the flows a trained network
predicts; ``--flow iid`` uses independent per-pixel flows instead (the
worst case for memory locality).

**Time.** Rounds alternate the two implementations (the order flips every
round) so that load from other processes hits both alike. Each round runs
forward + backward (gradients of both frames and of the voxel flow, as in
training) ``--repeats`` times. On the CPU both wall-clock and process CPU
time are reported, minimum over rounds; the CPU time is less disturbed on a
shared machine. On the GPU, CUDA events time the work.

**Peak memory (CPU).** ``tracemalloc`` does not see torch's allocations,
so each implementation runs in a fresh subprocess in which glibc's dynamic
mmap threshold is pinned (``MALLOC_MMAP_THRESHOLD_=65536``): every tensor
buffer is then its own mapping, returned to the kernel when freed, and the
resident set size tracks live memory. The subprocess allocates the inputs,
resets the peak RSS (``/proc/self/clear_refs``), runs forward + backward
once and reports ``VmHWM - VmRSS(before)``: the extra memory at the peak,
outputs and gradients included. Rounds are repeated and the median kept.

**Peak memory (GPU).** ``torch.cuda.max_memory_allocated`` after
``reset_peak_memory_stats``, minus the memory allocated before the call.

**Bandwidth floor (GPU).** The bytes the op must move at least (read both
frames, the flow and the output gradient; write the output and the three
gradients) divided by the measured bandwidth of a device-to-device copy;
the target is a kernel time within 2x of that floor.

Examples::

    OMP_NUM_THREADS=1 python tools/analysis_tools/benchmark_ops.py voxel_flow
    python tools/analysis_tools/benchmark_ops.py voxel_flow --flow iid
    python tools/analysis_tools/benchmark_ops.py voxel_flow --device cuda
"""
import json
import os
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.abspath(__file__)


def add_args(parser):
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument(
        '--shape',
        type=int,
        nargs=4,
        default=[8, 3, 256, 256],
        metavar=('N', 'C', 'H', 'W'))
    parser.add_argument(
        '--flow',
        default='smooth',
        choices=['smooth', 'iid'],
        help='smooth random field (default) or i.i.d. per-pixel flows')
    parser.add_argument(
        '--max-flow', type=float, default=4.0, help='flow std in pixels')
    parser.add_argument('--mode', default='inter', choices=['inter', 'extra'])
    parser.add_argument(
        '--padding-mode', default='border', choices=['border', 'zeros'])
    parser.add_argument('--rounds', type=int, default=10)
    parser.add_argument('--repeats', type=int, default=2)
    parser.add_argument(
        '--memory-rounds',
        type=int,
        default=3,
        help='subprocesses per implementation for peak memory (0: skip)')
    parser.add_argument(
        '--threads',
        type=int,
        default=None,
        help='torch.set_num_threads (CPU); default: keep')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--json', default=None, help='also write results')
    # internal: one peak-memory measurement in this (fresh) process
    parser.add_argument('--measure-memory', default=None, help='(internal)')


def make_inputs(args, device):
    n, c, h, w = args.shape
    g = torch.Generator().manual_seed(args.seed)
    img0 = torch.rand(n, c, h, w, generator=g)
    img1 = torch.rand(n, c, h, w, generator=g)
    if args.flow == 'smooth':
        coarse = torch.randn(n, 3, 8, 8, generator=g)
        vflow = F.interpolate(coarse, size=(h, w), mode='bilinear',
                              align_corners=False) * args.max_flow
        vflow += 0.3 * torch.randn(n, 3, h, w, generator=g)
    else:
        vflow = torch.randn(n, 3, h, w, generator=g) * args.max_flow
    vflow[:, 2] = torch.tanh(vflow[:, 2] / args.max_flow)
    grad_out = torch.randn(n, c, h, w, generator=g)
    return [t.to(device).contiguous() for t in (img0, img1, vflow, grad_out)]


def run_once(impl, args, inputs, backward=True):
    from mmvidseg.ops.voxel_flow import voxel_flow
    img0, img1, vflow, grad_out = inputs
    leaves = [x.detach().requires_grad_(backward) for x in (img0, img1,
                                                            vflow)]
    out = voxel_flow(*leaves, mode=args.mode, padding_mode=args.padding_mode,
                     impl=impl)
    if not backward:
        return out.detach(), None
    grads = torch.autograd.grad(out, leaves, grad_out)
    return out.detach(), grads


def near_kinks(args, vflow, tol=1e-4):
    """(N, H, W) mask of pixels whose sample position in either frame lies
    within ``tol`` px of a pixel-grid line, where bilinear sampling is not
    differentiable: there the two implementations may legitimately pick
    different one-sided derivatives of the flow (they round the position
    differently at the 1e-6 px level)."""
    from mmvidseg.ops.voxel_flow import sampling_coefficients
    _, _, h, w = vflow.shape
    xs = torch.arange(w, device=vflow.device, dtype=vflow.dtype)
    ys = torch.arange(h, device=vflow.device, dtype=vflow.dtype)[:, None]
    mask = torch.zeros(vflow.shape[0], h, w, dtype=torch.bool,
                       device=vflow.device)
    for a in sampling_coefficients(args.mode):
        for pos in (xs + a * vflow[:, 0], ys + a * vflow[:, 1]):
            mask |= (pos - pos.round()).abs() < tol
    return mask


def parity(args, inputs, impl):
    ref_out, ref_grads = run_once('pytorch', args, inputs)
    out, grads = run_once(impl, args, inputs)
    diff = {'out': (out - ref_out).abs().max().item()}
    for name, a, b in zip(('grad_img0', 'grad_img1'), grads, ref_grads):
        diff[name] = (a - b).abs().max().item()
    kinks = near_kinks(args, inputs[2])
    flow_diff = (grads[2] - ref_grads[2]).abs().amax(dim=1)
    diff['grad_flow'] = flow_diff[~kinks].max().item()
    diff['grad_flow_pixels_at_kinks'] = int(kinks.sum().item())
    return diff


def _sync(device):
    if device == 'cuda':
        torch.cuda.synchronize()


def time_impls(args, inputs, impls, backward):
    """Minimum over rounds of (wall, cpu) seconds per call, per impl."""
    device = args.device
    best = {impl: [float('inf'), float('inf')] for impl in impls}
    for impl in impls:  # warm up (lazy init, caches)
        run_once(impl, args, inputs, backward)
    _sync(device)
    for r in range(args.rounds):
        order = impls if r % 2 == 0 else impls[::-1]
        for impl in order:
            if device == 'cuda':
                start = torch.cuda.Event(enable_timing=True)
                end = torch.cuda.Event(enable_timing=True)
                start.record()
                for _ in range(args.repeats):
                    run_once(impl, args, inputs, backward)
                end.record()
                torch.cuda.synchronize()
                wall = start.elapsed_time(end) / 1e3 / args.repeats
                cpu = float('nan')
            else:
                w0, c0 = time.perf_counter(), time.process_time()
                for _ in range(args.repeats):
                    run_once(impl, args, inputs, backward)
                wall = (time.perf_counter() - w0) / args.repeats
                cpu = (time.process_time() - c0) / args.repeats
            best[impl][0] = min(best[impl][0], wall)
            best[impl][1] = min(best[impl][1], cpu)
    return best


def _status_kb(key):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(key + ':'):
                return int(line.split()[1])
    raise RuntimeError(f'{key} not in /proc/self/status')


def measure_memory_here(impl, args):
    """Runs in a fresh process: peak extra RSS (MiB) of one fwd + bwd."""
    inputs = make_inputs(args, 'cpu')
    import mmvidseg.ops.voxel_flow  # noqa: F401  (import cost not counted)
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')  # reset VmHWM to the current RSS
    before = _status_kb('VmRSS')
    out, grads = run_once(impl, args, inputs)
    peak = _status_kb('VmHWM')
    del out, grads
    return (peak - before) / 1024.0


def cpu_peak_memory(args, impl):
    cmd = [
        sys.executable, HERE, '--measure-memory', impl, '--shape',
        *map(str, args.shape), '--flow', args.flow, '--max-flow',
        str(args.max_flow), '--mode', args.mode, '--padding-mode',
        args.padding_mode, '--seed', str(args.seed)
    ]
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_='65536',
               MALLOC_TRIM_THRESHOLD_='0')
    values = []
    for _ in range(args.memory_rounds):
        out = subprocess.run(cmd, env=env, capture_output=True, text=True,
                             check=True)
        values.append(float(out.stdout.strip().splitlines()[-1]))
    values.sort()
    return values[len(values) // 2]


def cuda_peak_memory(args, inputs, impl):
    run_once(impl, args, inputs)
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    before = torch.cuda.memory_allocated()
    out, grads = run_once(impl, args, inputs)
    torch.cuda.synchronize()
    peak = torch.cuda.max_memory_allocated()
    del out, grads
    return (peak - before) / 2**20


def cuda_copy_bandwidth():
    """Device-to-device copy bandwidth in bytes per second."""
    src = torch.empty(256 * 2**20 // 4, device='cuda')
    dst = torch.empty_like(src)
    dst.copy_(src)
    torch.cuda.synchronize()
    start = torch.cuda.Event(enable_timing=True)
    end = torch.cuda.Event(enable_timing=True)
    reps = 20
    start.record()
    for _ in range(reps):
        dst.copy_(src)
    end.record()
    torch.cuda.synchronize()
    seconds = start.elapsed_time(end) / 1e3 / reps
    return 2 * src.numel() * 4 / seconds


def min_bytes(shape, backward=True):
    n, c, h, w = shape
    img, flow = n * c * h * w * 4, n * 3 * h * w * 4
    fwd = 2 * img + flow + img  # read both frames and the flow, write out
    if not backward:
        return fwd
    # read grad_out, both frames, the flow; write 2 image grads + flow grad
    return fwd + 4 * img + 2 * flow


def main(args):
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.measure_memory:
        print(f'{measure_memory_here(args.measure_memory, args):.3f}')
        return 0
    from mmvidseg.ops.voxel_flow import resolve_impl
    device = args.device
    if device == 'cuda' and not torch.cuda.is_available():
        sys.exit('--device cuda but no GPU is visible')
    kernel = resolve_impl('auto', torch.device(device))
    if kernel == 'pytorch':
        sys.exit(f'no compiled voxel-flow kernel for {device}: build it with '
                 '`MMVIDSEG_OPS=voxel_flow python setup.py build_ext '
                 '--inplace` (with CUDA for --device cuda)')
    inputs = make_inputs(args, device)
    impls = ['pytorch', kernel]
    if device == 'cuda':
        name = torch.cuda.get_device_name()
    else:
        name = f'CPU, {torch.get_num_threads()} thread(s)'
    print(f'voxel_flow on {name}; torch {torch.__version__}; shape '
          f'{tuple(args.shape)}; flow {args.flow} (std {args.max_flow} px); '
          f'mode {args.mode}; padding {args.padding_mode}')
    result = dict(device=name, shape=args.shape, flow=args.flow,
                  kernel=kernel)

    diff = parity(args, inputs, kernel)
    result['max_abs_diff'] = diff
    print('parity (max |kernel - reference|): ' + ', '.join(
        f'{k} {v:.2e}' for k, v in diff.items() if k.find('kinks') < 0) +
        f' (excluding {diff["grad_flow_pixels_at_kinks"]} pixels sampled '
        'within 1e-4 px of a grid line)')

    for label, backward in (('forward+backward', True), ('forward', False)):
        best = time_impls(args, inputs, impls, backward)
        ref, ker = best['pytorch'], best[kernel]
        line = (f'{label:>16}: reference {ref[0] * 1e3:8.2f} ms, '
                f'{kernel} {ker[0] * 1e3:8.2f} ms, speed-up '
                f'{ref[0] / ker[0]:5.2f}x (wall)')
        if device == 'cpu':
            line += (f'; CPU time {ref[1] * 1e3:.2f} vs {ker[1] * 1e3:.2f} '
                     f'ms, speed-up {ref[1] / ker[1]:.2f}x')
        print(line)
        result[label] = dict(reference_s=ref, kernel_s=ker,
                             speedup_wall=ref[0] / ker[0],
                             speedup_cpu=ref[1] / ker[1])
        if device == 'cuda':
            bw = cuda_copy_bandwidth()
            floor = min_bytes(args.shape, backward) / bw
            print(f'{"":>16}  bandwidth floor {floor * 1e3:.3f} ms '
                  f'(copy {bw / 1e9:.0f} GB/s): kernel at '
                  f'{ker[0] / floor:.2f}x the floor')
            result[label].update(floor_s=floor, kernel_over_floor=ker[0] /
                                 floor)

    if device == 'cuda':
        mem = {impl: cuda_peak_memory(args, inputs, impl) for impl in impls}
    elif args.memory_rounds > 0:
        mem = {impl: cpu_peak_memory(args, impl) for impl in impls}
    else:
        mem = None
    if mem is not None:
        print(f'{"peak memory":>16}: reference {mem["pytorch"]:.1f} MiB, '
              f'{kernel} {mem[kernel]:.1f} MiB, ratio '
              f'{mem[kernel] / mem["pytorch"]:.2f} (extra memory of one '
              'forward + backward, outputs and gradients included)')
        result['peak_mib'] = mem
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(result, f, indent=2)
    return 0


if __name__ == '__main__':
    # Entry point of the --measure-memory subprocesses.
    import argparse
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.dirname(HERE)))))
    p = argparse.ArgumentParser()
    add_args(p)
    sys.exit(main(p.parse_args()))
