# Copyright (c) OpenMMLab. All rights reserved.
"""The tiny Tube-Link VPS config trained with dist_train.sh (2 gloo CPU
processes), as a user does."""
import os
import os.path as osp
import sys

import pytest

from mmvidseg.testing.cli import free_port, last_json_line, run_checked

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
VPS = osp.join(ROOT, 'configs', 'tube_link',
               'tube-link_r18-w16_1xb2-1k_toy-kitti-step.py')


def _env():
    env = dict(os.environ, OMP_NUM_THREADS='1')
    env['PYTHONPATH'] = ROOT + os.pathsep + env.get('PYTHONPATH', '')
    return env


def _data_opts(root):
    opts = []
    for loader in ('train', 'val', 'test'):
        opts += [
            f'{loader}_dataloader.dataset.data_root={root}',
            f'{loader}_dataloader.num_workers=0',
            f'{loader}_dataloader.persistent_workers=False',
        ]
    return opts


@pytest.mark.slow  # 2 processes x 6 iterations + a validation: ~1 min
def test_dist_train_tiny_vps_two_cpu_processes(tmp_path):
    """dist_train.sh trains the tiny VPS config (link + contrastive loss)
    with 2 gloo processes, validates and saves a checkpoint that
    tools/test.py evaluates (2 validation videos: the distributed sampler
    pads one video to two ranks, which the metric rejects as evaluated
    twice)."""
    root = str(tmp_path / 'kitti_step')
    run_checked(cwd=ROOT, cmd=[
        sys.executable, 'tools/misc/generate_toy_data.py', 'kitti_step',
        root, '--num-train', '2', '--num-val', '2', '--frames', '4'
    ], env=_env())
    work = tmp_path / 'dist'
    opts = _data_opts(root) + [
        'train_cfg.max_iters=6', 'train_cfg.val_interval=6',
        'default_hooks.checkpoint.interval=6',
        'default_hooks.logger.interval=3',
        'train_dataloader.batch_size=1'
    ]
    env = dict(_env(), PYTHON=sys.executable, PORT=free_port())
    train = run_checked(cwd=ROOT, cmd=[
        'bash', 'tools/dist_train.sh', VPS, '2', '--work-dir',
        str(work), '--cfg-options', *opts
    ], env=env)
    log = train.stdout + train.stderr
    assert 'Distributed training: True' in log and 'GPU number: 2' in log
    assert "'backend': 'gloo'" in log
    for key in ('loss_track', 'ref_loss_dice', 'VPQ', 'STQ'):
        assert key in log, key
    test = run_checked(cwd=ROOT, cmd=[
        sys.executable, 'tools/test.py', VPS,
        str(work / 'iter_6.pth'), '--work-dir',
        str(tmp_path / 'test'), '--cfg-options', *_data_opts(root)
    ], env=_env())
    assert set(last_json_line(test.stdout)) >= {'VPQ', 'STQ', 'AQ', 'SQ'}
