# Copyright (c) OpenMMLab. All rights reserved.
"""Accuracy, pixel shares and speed of a Deep Layer Cascade vs. rho = 1.

Runs one checkpoint of a ``LayerCascadeSegmentor`` config on its test set
with the cascade thresholds given (default: the config's rho) and with
rho = 1 (the plain network: no early decisions, intermediate classifiers
skipped), and prints for each: the test metrics, the share of feature
pixels each stage computed, and the inference time per frame. Each batch
is timed under every rho back to back, in alternating order, several times
(``--repeats``), keeping the fastest run of each, so that load from other
processes hits them alike; the process CPU time is reported next to the
wall clock, as it is less disturbed by other processes on a shared machine.
Data loading and preprocessing are not timed.

Example::

    CFG=layer-cascade_r18-w16_1xb4-1k_toy-vspw-256x384
    OMP_NUM_THREADS=1 python tools/analysis_tools/cascade_report.py \\
        configs/deep_layer_cascade/$CFG.py work_dirs/$CFG/iter_1000.pth
"""
import argparse
import copy
import json
import os.path as osp
import time

import torch


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Deep Layer Cascade report: metrics, stage pixel '
        'shares and CPU speed-up against rho = 1.')
    parser.add_argument('config', help='a LayerCascadeSegmentor config')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--rhos',
        type=float,
        nargs='+',
        default=None,
        help='cascade thresholds to report (default: the config\'s rho); '
        'rho = 1 is always added as the reference')
    parser.add_argument(
        '--repeats', type=int, default=3, help='timed runs per batch and rho')
    parser.add_argument(
        '--threads',
        type=int,
        default=None,
        help='torch.set_num_threads (default: keep, i.e. OMP_NUM_THREADS)')
    parser.add_argument(
        '--max-batches',
        type=int,
        default=None,
        help='stop after this many test batches (metrics then cover them '
        'only)')
    parser.add_argument(
        '--batch-size',
        type=int,
        default=None,
        help='frames (or clips) per forward pass; default: the config\'s '
        'test batch size')
    parser.add_argument('--out', help='write the numbers to this JSON file')
    return parser.parse_args(argv)


def _load(config: str, checkpoint: str):
    from mmengine import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint

    from mmvidseg.registry import MODELS
    if not osp.isfile(config):
        raise FileNotFoundError(f'config {config} does not exist')
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint {checkpoint} does not exist')
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'mmvidseg'))
    model = MODELS.build(cfg.model)
    if not hasattr(model, 'cascade'):
        raise ValueError(f'{config}: the model is {type(model).__name__}, '
                         'not a LayerCascadeSegmentor')
    load_checkpoint(model, checkpoint, map_location='cpu', logger='silent')
    return cfg, model.eval()


def _frames(samples):
    """Per-frame samples of a batch (clips or images)."""
    out = []
    for s in samples:
        out.extend(getattr(s, 'video_data_samples', [s]))
    return out


def main(argv=None):
    args = parse_args(argv)
    from mmengine.evaluator import Evaluator
    from mmengine.runner import Runner

    from mmvidseg.ops import ext_available
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg, model = _load(args.config, args.checkpoint)
    rhos = list(args.rhos) if args.rhos else [model.rho]
    rhos = [r for r in rhos if r < 1.0] + [1.0]
    loader_cfg = copy.deepcopy(cfg.test_dataloader)
    loader_cfg.update(num_workers=0, persistent_workers=False)
    if args.batch_size:
        loader_cfg.batch_size = args.batch_size
    loader = Runner.build_dataloader(loader_cfg)
    evaluators = {}
    for rho in rhos:
        evaluators[rho] = Evaluator(copy.deepcopy(cfg.test_evaluator))
        evaluators[rho].dataset_meta = loader.dataset.metainfo
    best = {rho: 0.0 for rho in rhos}
    best_cpu = {rho: 0.0 for rho in rhos}
    pixels = {rho: None for rho in rhos}
    num_frames = 0
    num_batches = 0
    with torch.no_grad():
        for b, batch in enumerate(loader):
            if args.max_batches is not None and b >= args.max_batches:
                break
            data = model.data_preprocessor(batch, False)
            times = {rho: float('inf') for rho in rhos}
            cpu_times = {rho: float('inf') for rho in rhos}
            outputs = {}
            for r in range(args.repeats):
                order = rhos if r % 2 == 0 else rhos[::-1]
                for rho in order:
                    samples = copy.deepcopy(data['data_samples'])
                    model.rho = rho
                    c0, t0 = time.process_time(), time.perf_counter()
                    out = model(data['inputs'], samples, mode='predict')
                    t1, c1 = time.perf_counter(), time.process_time()
                    times[rho] = min(times[rho], t1 - t0)
                    cpu_times[rho] = min(cpu_times[rho], c1 - c0)
                    outputs[rho] = out
            for rho in rhos:
                best[rho] += times[rho]
                best_cpu[rho] += cpu_times[rho]
                evaluators[rho].process(
                    data_samples=outputs[rho], data_batch=batch)
                counts = torch.tensor([
                    f.metainfo['cascade_pixels'] for f in _frames(outputs[rho])
                ],
                                      dtype=torch.float64).sum(0)
                pixels[rho] = counts if pixels[rho] is None else (pixels[rho] +
                                                                  counts)
            num_frames += len(_frames(outputs[rhos[0]]))
            num_batches += 1
    size = len(loader.dataset)
    metrics = {rho: evaluators[rho].evaluate(size) for rho in rhos}

    kernel = 'C++' if ext_available('region_conv') else 'PyTorch reference'
    print(f'{args.config}\n{args.checkpoint}')
    print(f'{num_frames} frames in {num_batches} batches; '
          f'threads {torch.get_num_threads()}; region_conv kernel: {kernel}; '
          f'fastest of {args.repeats} runs per batch (wall clock, and '
          'process CPU time)')
    keys = [k for k in metrics[1.0] if 'IoU' in k or 'Acc' in k]
    head = (f'{"rho":>6} ' + ' '.join(f'{k:>10}' for k in keys) +
            f' {"ms/frame":>9} {"speed-up":>8} {"CPU ms":>7} {"CPU x":>6}'
            '  stage pixel shares (%)')
    print(head)
    print('-' * len(head))
    report = dict(
        config=args.config,
        checkpoint=args.checkpoint,
        threads=torch.get_num_threads(),
        frames=num_frames,
        kernel=kernel,
        results=[])
    for rho in rhos:
        ms = best[rho] / num_frames * 1e3
        speedup = best[1.0] / best[rho]
        cpu_ms = best_cpu[rho] / num_frames * 1e3
        cpu_speedup = best_cpu[1.0] / best_cpu[rho]
        shares = (pixels[rho] / pixels[rho][0] * 100).tolist()
        print(f'{rho:>6.3f} ' + ' '.join(f'{metrics[rho][k]:>10.2f}'
                                         for k in keys) +
              f' {ms:>9.2f} {speedup:>7.2f}x {cpu_ms:>7.2f} '
              f'{cpu_speedup:>5.2f}x  ' + ' / '.join(f'{s:.1f}'
                                                     for s in shares))
        report['results'].append(
            dict(
                rho=rho,
                metrics={k: float(metrics[rho][k])
                         for k in keys},
                ms_per_frame=ms,
                speedup=speedup,
                cpu_ms_per_frame=cpu_ms,
                cpu_speedup=cpu_speedup,
                stage_pixel_share=shares))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(report, f, indent=2)
    return report


if __name__ == '__main__':
    main()
