# Copyright (c) OpenMMLab. All rights reserved.
"""Train a model from a config.

Example::

    python tools/train.py configs/frame_baseline/\
frame-baseline_fcn-r18-w16_1xb4-1k_toy-vspw.py
    python tools/train.py CONFIG --resume            # latest checkpoint
    python tools/train.py CONFIG --resume work_dirs/x/iter_400.pth
    bash tools/dist_train.sh CONFIG 2                # 2 processes (DDP)
"""
import argparse
import logging
import os
import os.path as osp
import sys

from mmengine.config import Config, DictAction
from mmengine.logging import print_log
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from mmvidseg.utils import (register_all_modules, setup_distributed_on_cpu,
                            teardown_distributed)
from mmvidseg.utils.checkpoint import (CheckpointError, CorruptCheckpointError,
                                       check_resume_checkpoint,
                                       previous_checkpoint)

# configs under projects/ import their package with custom_imports
# ('projects.<name>.<package>'): make the repository root importable
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args():
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--amp',
        action='store_true',
        default=False,
        help='enable automatic-mixed-precision training')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from this checkpoint, or from the latest checkpoint in '
        'the work dir when no path is given (a missing or truncated one '
        'stops with an error naming it and the previous complete one)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, key=value pairs such as '
        'train_cfg.max_iters=100 model.backbone.depth=50')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def check_resume(cfg, resume: str) -> None:
    """Stop early, naming the file, when the checkpoint to resume from is
    missing, empty or truncated, and offer the previous complete one."""
    named_by = ''
    if resume == 'auto':
        # mmengine resumes from the path in the work dir's last_checkpoint
        # (and starts afresh when there is none)
        named_by = osp.join(cfg.work_dir, 'last_checkpoint')
        if not osp.isfile(named_by):
            return
        with open(named_by) as f:
            resume = f.read().strip()
    elif '://' in resume:
        return  # a URL / storage backend: its loader reports
    try:
        check_resume_checkpoint(resume, named_by)
    except CheckpointError as e:
        sys.exit(f'error: {e}')


def main():
    args = parse_args()
    register_all_modules(init_default_scope=False)

    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)

    # work_dir: CLI > config > ./work_dirs/<config name>
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])

    if args.amp:
        optim_wrapper = cfg.optim_wrapper.type
        if optim_wrapper == 'AmpOptimWrapper':
            print_log('AMP training is already enabled in your config.',
                      logger='current', level=logging.WARNING)
        else:
            assert optim_wrapper == 'OptimWrapper', (
                '`--amp` is only supported when the optimizer wrapper type '
                f'is `OptimWrapper` but got {optim_wrapper}.')
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'

    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume

    if args.resume is not None:
        check_resume(cfg, args.resume)

    setup_distributed_on_cpu(cfg, args.launcher)

    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)
    try:
        runner.train()
    except CorruptCheckpointError as e:
        # complete on disk but unreadable inside: offer the previous one too
        prev = previous_checkpoint(e.filename) if args.resume else None
        if prev is None:
            raise
        sys.exit(f'error: cannot resume: {e}; the previous checkpoint {prev} '
                 f'looks complete: resume from it with --resume {prev}')
    teardown_distributed()


if __name__ == '__main__':
    main()
