# Copyright (c) OpenMMLab. All rights reserved.
"""Print a config as the runner sees it: ``_base_`` files merged, variables
resolved, ``--cfg-options`` applied.

Example::

    python tools/misc/print_config.py \\
        configs/video_knet/video-knet_r50_8xb1-24e_kitti-step.py \\
        --cfg-options train_dataloader.batch_size=2
    # also write it (``.py``, ``.json`` or ``.yaml``)
    python tools/misc/print_config.py CONFIG --save-path full_config.py
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

from mmengine.config import Config, DictAction


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Print the full config (bases merged, options applied)')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--save-path',
        help='also write the config to this file (.py, .json, .yaml or '
        '.yml)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, key=value pairs (as '
        'tools/train.py and tools/test.py take them)')
    return parser.parse_args(argv)


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """The config at ``path`` with ``cfg_options`` merged in.

    Raises:
        FileNotFoundError: ``path`` does not exist.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'config {path!r} does not exist')
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def main(argv: Optional[List[str]] = None) -> Config:
    args = parse_args(argv)
    try:
        cfg = load_config(args.config, args.cfg_options)
    except FileNotFoundError as e:
        sys.exit(str(e))
    print(f'Config:\n{cfg.pretty_text}')
    if args.save_path is not None:
        if not args.save_path.endswith(('.py', '.json', '.yaml', '.yml')):
            sys.exit(f'--save-path {args.save_path!r}: the file name must '
                     f'end with .py, .json, .yaml or .yml')
        cfg.dump(args.save_path)
        print(f'Config saved to {args.save_path}')
    return cfg


if __name__ == '__main__':
    main()
