# Copyright (c) OpenMMLab. All rights reserved.
"""The tiny PolyphonicFormer video config, trained with dist_train.sh on 2
CPU processes as a user does."""
import os
import os.path as osp
import sys

import pytest

from mmvidseg.testing.cli import free_port, run_checked

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
VIDEO = osp.join(ROOT, 'configs', 'polyphonicformer',
                 'polyphonicformer_r18-w16_1xb2-500_toy-cityscapes-dvps.py')


def _env():
    env = dict(os.environ, OMP_NUM_THREADS='1')
    env['PYTHONPATH'] = ROOT + os.pathsep + env.get('PYTHONPATH', '')
    return env


def _data_opts(root):
    opts = [f'{split}_dataloader.dataset.data_root={root}'
            for split in ('train', 'val', 'test')]
    return opts + ['load_from=None']


@pytest.mark.slow
def test_dist_train_tiny_video_stage_two_cpu_processes(tmp_path):
    """dist_train.sh runs the tiny video stage (from scratch, a handful of
    iterations) with 2 gloo processes: depth and tracking losses, then the
    DVPQ and depth metrics of its validation."""
    root = str(tmp_path / 'cityscapes_dvps')
    run_checked(cwd=ROOT, cmd=[
        sys.executable, 'tools/misc/generate_toy_data.py', 'cityscapes_dvps',
        root, '--num-train', '2', '--num-val', '2', '--frames', '3'
    ], env=_env())
    env = dict(_env(), PYTHON=sys.executable, PORT=free_port())
    opts = _data_opts(root) + [
        'train_cfg.max_iters=4', 'train_cfg.val_interval=4',
        'default_hooks.checkpoint.interval=4',
        'default_hooks.logger.interval=2'
    ]
    train = run_checked(cwd=ROOT, cmd=[
        'bash', 'tools/dist_train.sh', VIDEO, '2', '--work-dir',
        str(tmp_path / 'dist'), '--cfg-options', *opts
    ], env=env)
    log = train.stdout + train.stderr
    assert 'Distributed training: True' in log and 'GPU number: 2' in log
    assert "'backend': 'gloo'" in log
    assert 's2_loss_depth' in log and 'loss_track' in log
    assert 'DVPQ@1@0.25' in log and 'abs_rel' in log
    assert (tmp_path / 'dist' / 'iter_4.pth').exists()
