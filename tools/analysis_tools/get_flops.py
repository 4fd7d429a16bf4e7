# Copyright (c) OpenMMLab. All rights reserved.
"""Parameters and FLOPs of a model built from a config.

Example::

    python tools/analysis_tools/get_flops.py \\
        configs/video_knet/video-knet_r50_8xb1-24e_kitti-step.py \\
        --shape 384 1248

FLOPs are counted by ``mmengine.analysis`` (one multiply-add = one FLOP, the
fvcore convention) on ``model(inputs, mode='tensor')`` for one clip of
``--num-frames`` frames: the per-frame network, without post-processing or
tracking. The device (GPU when available, else CPU) is printed; FLOPs and
parameters do not depend on it.

The ``params:`` line (``mmvidseg.utils.model_size``) is the number the
"params (get_flops.py)" table of each method README lists, and
``mmvidseg.testing.config_check`` (tests/test_configs) checks it.
"""
import argparse
import json

import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.config import Config, DictAction

from mmvidseg.registry import MODELS
from mmvidseg.utils import register_all_modules
from mmvidseg.utils.model_size import count_parameters, format_parameters


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Count the parameters and FLOPs of a model')
    parser.add_argument('config', help='config file')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=2,
        default=[384, 1248],
        metavar=('H', 'W'),
        help='input height and width (default: 384 1248, the KITTI-STEP '
        'training crop)')
    parser.add_argument(
        '--num-frames', type=int, default=1, help='frames per clip (1)')
    parser.add_argument(
        '--device',
        default=None,
        help="'cpu' or 'cuda' (default: cuda when available)")
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, key=value pairs')
    return parser.parse_args(argv)


def count(cfg: Config, shape, num_frames: int, device: str) -> dict:
    """Build ``cfg.model`` and count its parameters and FLOPs.

    Returns:
        dict: ``params`` (int), ``flops`` (int, per clip), ``input_shape``
        and ``device``.
    """
    register_all_modules(init_default_scope=True)
    model = MODELS.build(cfg.model).to(device).eval()
    params = count_parameters(model)
    inputs = torch.randn(1, num_frames, 3, *shape, device=device)
    with torch.no_grad():
        info = get_model_complexity_info(
            model, inputs=(inputs, ), show_table=False, show_arch=False)
    return dict(
        params=params,
        flops=int(info['flops']),
        input_shape=[1, num_frames, 3, *shape],
        device=device)


def main(argv=None) -> dict:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    if device == 'cpu':
        torch.set_num_threads(max(torch.get_num_threads(), 1))
    res = count(cfg, args.shape, args.num_frames, device)
    name = torch.cuda.get_device_name() if device.startswith('cuda') \
        else 'CPU'
    print(f'config: {args.config}')
    print(f'device: {device} ({name})')
    print(f'input shape: {tuple(res["input_shape"])} (N, T, C, H, W)')
    print(f'params: {format_parameters(res["params"])} ({res["params"]})')
    print(f'flops: {res["flops"] / 1e9:.2f} GFLOPs per clip of '
          f'{args.num_frames} frame(s)')
    print(json.dumps(res))
    return res


if __name__ == '__main__':
    main()
