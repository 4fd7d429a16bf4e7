# Copyright (c) OpenMMLab. All rights reserved.
"""The tiny VS-ReID config, trained with the tools as a user does."""
import os
import os.path as osp
import sys

import pytest

from mmvidseg.testing.cli import free_port, last_json_line, run_checked

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
TINY = osp.join(ROOT, 'configs', 'vs_reid',
                'vs-reid_r18-w16_1xb2-1k_toy-davis.py')


def _env(threads='1'):
    env = dict(os.environ, OMP_NUM_THREADS=threads)
    env['PYTHONPATH'] = ROOT + os.pathsep + env.get('PYTHONPATH', '')
    return env


def _data_opts(root):
    opts = [f'{k}_dataloader.dataset.data_root={root}'
            for k in ('train', 'val', 'test')]
    for k in ('train', 'val', 'test'):
        opts += [f'{k}_dataloader.num_workers=0',
                 f'{k}_dataloader.persistent_workers=False']
    return opts


@pytest.mark.slow
def test_dist_train_tiny_vs_reid_two_cpu_processes(tmp_path):
    """dist_train.sh trains the tiny VS-ReID with 2 gloo processes and
    validates (J&F); the 2-process test of its checkpoint gives the
    single-process numbers."""
    root = str(tmp_path / 'davis')
    run_checked(cwd=ROOT, cmd=[
        sys.executable, 'tools/misc/generate_toy_data.py', 'davis', root,
        '--num-train', '2', '--num-val', '2', '--frames', '4'
    ], env=_env())
    work = tmp_path / 'dist'
    env = dict(_env(), PYTHON=sys.executable, PORT=free_port())
    opts = _data_opts(root) + [
        'train_cfg.max_iters=4', 'train_cfg.val_interval=4',
        'default_hooks.checkpoint.interval=4',
        'default_hooks.checkpoint.by_epoch=False',
        'default_hooks.logger.interval=2'
    ]
    train = run_checked(cwd=ROOT, cmd=[
        'bash', 'tools/dist_train.sh', TINY, '2', '--work-dir',
        str(work), '--cfg-options', *opts
    ], env=env)
    log = train.stdout + train.stderr
    assert 'Distributed training: True' in log and 'GPU number: 2' in log
    assert "'backend': 'gloo'" in log
    assert 'loss_mask' in log and 'J&F' in log
    ckpt = str(work / 'iter_4.pth')
    single = run_checked(cwd=ROOT, cmd=[
        sys.executable, 'tools/test.py', TINY, ckpt, '--work-dir',
        str(tmp_path / 'single'), '--cfg-options', *_data_opts(root)
    ], env=_env())
    env['PORT'] = free_port()
    double = run_checked(cwd=ROOT, cmd=[
        'bash', 'tools/dist_test.sh', TINY, ckpt, '2', '--work-dir',
        str(tmp_path / 'double'), '--cfg-options', *_data_opts(root)
    ], env=env)
    m1, m2 = last_json_line(single.stdout), last_json_line(double.stdout)
    assert m1 == m2
    assert set(m1) >= {'J&F', 'J-Mean', 'F-Mean'}
