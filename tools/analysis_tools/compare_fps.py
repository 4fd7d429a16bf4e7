# Copyright (c) OpenMMLab. All rights reserved.
"""Per-frame inference speed of two video models in one run, at the same
input size and the same temporal window (benchmark_fps.py's companion).

Example (TransVOD Lite against TransVOD, 12 frames each)::

    python tools/analysis_tools/compare_fps.py \\
        configs/transvod/transvod-lite_r50-dc5_8xb1-7e_imagenet-vid.py \\
        configs/transvod/transvod_r50-dc5_8xb1-7e_imagenet-vid.py \\
        --shape 600 1000 --frames 24 \\
        --compare-cfg-options model.num_ref_frames=11 \\
        --variant-cfg-options model.test_cfg.reuse_ref_outputs=False

Each model runs ``predict`` on the same synthetic video (random pixels,
weights from the configs' initialisation without pretrained checkpoints)
in its own test-time style:
online models one frame per call (TransVOD: the key frame plus
``num_ref_frames`` buffered references), clip models (a ``clip_frames``
attribute, e.g. TransVOD Lite) ``clip_frames`` frames per call. The
temporal windows (``num_ref_frames + 1`` or ``clip_frames``) must be equal,
else it stops and says which options to set. It prints the seconds and FPS
per frame of each and the ratio (how many times faster per frame the first
config is). Warm-up calls come first, untimed; the timed frames are
rounded up to whole clips. On the CPU the time is the process's CPU time
(use ``--threads 1``: then other jobs on a shared machine do not count),
on the GPU the wall time. The two models are timed in turn ``--rounds``
times and each one's fastest round counts, so that a load change on a
shared machine does not favour one of them.

``--variant-cfg-options`` times a third model in the same rounds: the
second config with these overrides on top of ``--compare-cfg-options``
(e.g. TransVOD with ``model.test_cfg.reuse_ref_outputs=False``, which runs
the single-frame model on the key frame and all its references for every
key frame, as the release's inference does, instead of reusing each frame's
outputs), and prints the first config's speed ratio against it too.
"""
import argparse
import json
import time

import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.config import Config, DictAction

from mmvidseg.registry import MODELS
from mmvidseg.utils import register_all_modules


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Per-frame FPS of two video models, same input')
    parser.add_argument('config', help='the model to time')
    parser.add_argument('compare', help='the model to compare it with')
    parser.add_argument(
        '--shape', type=int, nargs=2, default=[600, 1000],
        metavar=('H', 'W'), help='frame height and width (600 1000)')
    parser.add_argument(
        '--frames', type=int, default=24, help='timed frames (24)')
    parser.add_argument(
        '--warmup', type=int, default=1, help='untimed calls first (1)')
    parser.add_argument(
        '--rounds', type=int, default=2,
        help='timings of each model, alternating; the fastest counts (2)')
    parser.add_argument(
        '--threads', type=int, default=None, help='torch CPU threads')
    parser.add_argument('--device', default=None, help="'cpu' or 'cuda'")
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='overrides of the first config, key=value pairs')
    parser.add_argument(
        '--compare-cfg-options', nargs='+', action=DictAction,
        help='overrides of the second config, key=value pairs')
    parser.add_argument(
        '--variant-cfg-options', nargs='+', action=DictAction,
        help='also time the second config with these overrides added to '
        '--compare-cfg-options (a third model), key=value pairs')
    return parser.parse_args(argv)


def window(model) -> int:
    """Frames one detection sees: a clip model's ``clip_frames``, an online
    model's key frame plus ``num_ref_frames`` references, else 1."""
    if hasattr(model, 'clip_frames'):
        return int(model.clip_frames)
    return int(getattr(model, 'num_ref_frames', 0)) + 1


def _clip(first: int, num: int, height: int, width: int,
          length: int) -> TrackDataSample:
    """A sample of ``num`` frames of a synthetic video from ``first``."""
    meta = dict(img_shape=(height, width), ori_shape=(height, width),
                pad_shape=(height, width), batch_input_shape=(height, width),
                scale_factor=(1.0, 1.0), video_id=0, video_length=length)
    clip = TrackDataSample()
    clip.video_data_samples = [
        DetDataSample(metainfo=dict(meta, frame_id=first + i))
        for i in range(num)
    ]
    return clip


def time_per_frame(model, device: str, shape, frames: int,
                   warmup: int) -> dict:
    """Seconds per frame of ``model.predict`` in its own style (see the
    module docstring) over ``warmup`` untimed and >= ``frames`` timed
    frames."""
    step = getattr(model, 'clip_frames', 1)
    warm = warmup * step
    timed = -(-frames // step) * step
    length = warm + timed
    height, width = shape
    video = torch.randn(1, length, 3, height, width, device=device)
    # CPU: the process's CPU time (with one thread, unaffected by other
    # jobs on a shared machine); GPU: wall time after synchronising
    clock = time.perf_counter if device.startswith('cuda') else \
        time.process_time
    start = clock()
    with torch.no_grad():
        for first in range(0, length, step):
            if first == warm:
                if device.startswith('cuda'):
                    torch.cuda.synchronize()
                start = clock()
            model.predict(video[:, first:first + step],
                          [_clip(first, step, height, width, length)])
    if device.startswith('cuda'):
        torch.cuda.synchronize()
    seconds = (clock() - start) / timed
    return dict(frames_per_call=step, timed_frames=timed,
                seconds_per_frame=seconds, fps=1.0 / seconds)


def _no_pretrained(cfg):
    """Drop ``Pretrained`` init configs (timing needs no weights, and
    none are downloaded)."""
    if isinstance(cfg, dict):
        if isinstance(cfg.get('init_cfg'), dict) and \
                cfg['init_cfg'].get('type') == 'Pretrained':
            cfg.pop('init_cfg')
        for value in cfg.values():
            _no_pretrained(value)
    elif isinstance(cfg, list):
        for value in cfg:
            _no_pretrained(value)
    return cfg


def _build(path: str, options, device: str):
    cfg = Config.fromfile(path)
    if options:
        cfg.merge_from_dict(options)
    model = MODELS.build(_no_pretrained(cfg.model))
    model.init_weights()
    return model.to(device).eval()


def main(argv=None) -> dict:
    args = parse_args(argv)
    register_all_modules(init_default_scope=True)
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    if args.threads:
        torch.set_num_threads(args.threads)
    keys = ['model', 'compare']
    paths = [args.config, args.compare]
    models = [_build(args.config, args.cfg_options, device),
              _build(args.compare, args.compare_cfg_options, device)]
    if args.variant_cfg_options:
        keys.append('variant')
        paths.append(args.compare)
        models.append(
            _build(args.compare,
                   dict(args.compare_cfg_options or {},
                        **args.variant_cfg_options), device))
    windows = [window(m) for m in models]
    if len(set(windows)) != 1:
        raise ValueError(
            f'compare_fps: the models see different numbers of frames '
            f'({" and ".join(map(str, windows))}); make them equal with '
            '--cfg-options / --compare-cfg-options (e.g. '
            f'model.num_ref_frames={windows[0] - 1} or '
            f'model.num_frames={windows[1]})')
    name = torch.cuda.get_device_name() if device.startswith('cuda') \
        else f'CPU, {torch.get_num_threads()} thread(s)'
    res = dict(device=device, device_name=name, shape=list(args.shape),
               window=windows[0])
    for _ in range(max(args.rounds, 1)):
        for key, path, model in zip(keys, paths, models):
            timing = time_per_frame(model, device, args.shape, args.frames,
                                    args.warmup)
            if key not in res or timing['seconds_per_frame'] < \
                    res[key]['seconds_per_frame']:
                res[key] = dict(config=path, **timing)
    for key, path in zip(keys, paths):
        label = path if key != 'variant' else \
            f'{path} with {args.variant_cfg_options}'
        print(f'{label}: {res[key]["fps"]:.3f} FPS per frame '
              f'({res[key]["frames_per_call"]} frame(s) per call, '
              f'{res[key]["timed_frames"]} timed)')
    res['speed_ratio'] = res['compare']['seconds_per_frame'] / \
        res['model']['seconds_per_frame']
    print(f'device: {device} ({name}); frames of {args.shape[0]}x'
          f'{args.shape[1]}, {windows[0]} frames per detection')
    print(f'per-frame speed ratio (first / second config): '
          f'{res["speed_ratio"]:.2f}x')
    if 'variant' in res:
        res['variant']['cfg_options'] = args.variant_cfg_options
        res['variant_speed_ratio'] = res['variant']['seconds_per_frame'] / \
            res['model']['seconds_per_frame']
        print(f'per-frame speed ratio (first config / the variant): '
              f'{res["variant_speed_ratio"]:.2f}x')
    print(json.dumps(res))
    return res


if __name__ == '__main__':
    main()
