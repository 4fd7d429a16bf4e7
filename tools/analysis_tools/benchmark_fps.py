# Copyright (c) OpenMMLab. All rights reserved.
"""Frames per second of a model's inference, end to end and per part.

Example::

    python tools/analysis_tools/benchmark_fps.py \\
        configs/video_knet/video-knet_r50_8xb1-24e_kitti-step.py \\
        --shape 384 1248 --frames 20

Runs ``model.predict`` on a synthetic video of ``--frames`` frames (random
pixels; the weights come from ``--checkpoint`` or the config's
initialisation), one frame per call as the online test loop does, after
``--warmup`` frames; with ``--clip`` the timed frames are one clip of one
call (near-online models such as Tube-Link cut it into their test tubes;
VIS models, which predict whole videos, need it). It also times, in the
same run, the network alone on the same calls (``mode='tensor'``: backbone
to the last decoder stage, no post-processing or tracking) and prints the
ratio of the two, i.e. the share of the time spent in post-processing and
tracking. Timings are on the GPU
when available, else on the CPU (``--threads`` torch threads); the device is
printed. Random inputs give few confident segments, so post-processing is
cheaper than on real data.
"""
import argparse
import json
import time

import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.config import Config, DictAction
from mmengine.runner import load_checkpoint

from mmvidseg.registry import MODELS
from mmvidseg.utils import register_all_modules


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Benchmark inference FPS')
    parser.add_argument('config', help='config file')
    parser.add_argument('--checkpoint', help='checkpoint to load')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=2,
        default=[384, 1248],
        metavar=('H', 'W'),
        help='frame height and width (default: 384 1248)')
    parser.add_argument(
        '--frames', type=int, default=20, help='timed frames (20)')
    parser.add_argument(
        '--warmup', type=int, default=3, help='untimed frames first (3)')
    parser.add_argument(
        '--threads', type=int, default=None, help='torch CPU threads')
    parser.add_argument('--device', default=None, help="'cpu' or 'cuda'")
    parser.add_argument(
        '--clip',
        action='store_true',
        help='predict the timed frames as one clip (near-online models '
        'such as Tube-Link cut it into tubes; needed for VIS models, '
        'which predict whole videos); default: one frame per call')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, key=value pairs')
    return parser.parse_args(argv)


def _sample(frame_ids, height: int, width: int,
            length: int) -> TrackDataSample:
    """A clip sample of the frames ``frame_ids`` of a synthetic video."""
    frames = []
    for frame_id in frame_ids:
        frames.append(DetDataSample(
            metainfo=dict(
                img_shape=(height, width),
                ori_shape=(height, width),
                pad_shape=(height, width),
                frame_id=frame_id,
                video_id=0,
                video_length=length)))
    clip = TrackDataSample()
    clip.video_data_samples = frames
    return clip


def _calls(length: int, warmup: int, clip: bool) -> list:
    """Frame ids of the ``predict`` calls: one frame per call, or (clip
    mode) the warm-up frames as one clip and the timed frames as one."""
    if not clip:
        return [[t] for t in range(length)]
    calls = [list(range(warmup))] if warmup else []
    return calls + [list(range(warmup, length))]


def _sync(device: str) -> None:
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def benchmark(model, device: str, shape, frames: int, warmup: int,
              clip: bool = False) -> dict:
    """Seconds per frame of ``predict`` and of the tensor forward, one frame
    per call or (``clip``) all timed frames in one call."""
    height, width = shape
    length = frames + warmup
    video = torch.randn(1, length, 3, height, width, device=device)
    if model.task == 'vis' and not clip:
        raise ValueError('benchmark_fps: VIS models predict whole clips, '
                         'pass --clip')
    results = {}
    with torch.no_grad():
        for name in ('predict', 'tensor'):
            for ids in _calls(length, warmup, clip):
                if ids[0] == warmup:
                    _sync(device)
                    start = time.perf_counter()
                inputs = video[:, ids[0]:ids[-1] + 1]
                if name == 'predict':
                    model.predict(inputs,
                                  [_sample(ids, height, width, length)])
                else:
                    model(inputs, mode='tensor')
            _sync(device)
            results[name] = (time.perf_counter() - start) / frames
    return results


def main(argv=None) -> dict:
    args = parse_args(argv)
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    if args.threads:
        torch.set_num_threads(args.threads)
    model = MODELS.build(cfg.model)
    if args.checkpoint:
        load_checkpoint(model, args.checkpoint, map_location='cpu')
    else:
        model.init_weights()
    model = model.to(device).eval()
    sec = benchmark(model, device, args.shape, args.frames, args.warmup,
                    args.clip)
    name = torch.cuda.get_device_name() if device.startswith('cuda') \
        else f'CPU, {torch.get_num_threads()} thread(s)'
    res = dict(
        device=device,
        device_name=name,
        shape=list(args.shape),
        frames=args.frames,
        clip=args.clip,
        fps=1.0 / sec['predict'],
        network_fps=1.0 / sec['tensor'],
        predict_over_network_time=sec['predict'] / sec['tensor'])
    print(f'config: {args.config}')
    print(f'device: {device} ({name})')
    print(f'frames: {args.frames} of {args.shape[0]}x{args.shape[1]} '
          f'(+{args.warmup} warm-up), '
          + ('one clip per call' if args.clip else 'one frame per call'))
    print(f'predict (network + post-processing + tracking): '
          f'{res["fps"]:.2f} FPS')
    print(f'network only: {res["network_fps"]:.2f} FPS')
    print(f'time ratio predict / network: '
          f'{res["predict_over_network_time"]:.2f}')
    print(json.dumps(res))
    return res


if __name__ == '__main__':
    main()
