# Copyright (c) OpenMMLab. All rights reserved.
"""The tiny TransVOD config trained with the tools as a user does."""
import os
import os.path as osp
import sys

import pytest

from mmvidseg.testing.cli import free_port, last_json_line, run_checked

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
TRANSVOD = osp.join(ROOT, 'configs', 'transvod',
                    'transvod_r18-w16_1xb1-1k_toy-imagenet-vid.py')


def _env():
    env = dict(os.environ, OMP_NUM_THREADS='1')
    env['PYTHONPATH'] = ROOT + os.pathsep + env.get('PYTHONPATH', '')
    return env


@pytest.mark.slow
def test_dist_train_tiny_transvod_two_cpu_processes(tmp_path):
    """dist_train.sh trains the tiny TransVOD config (from scratch, the
    stage-1 checkpoint is not there) with 2 gloo processes for 4
    iterations and validates; the 2-process test of its checkpoint gives
    the single-process mAP50s."""
    root = str(tmp_path / 'vid')
    run_checked(cwd=ROOT, cmd=[
        sys.executable, 'tools/misc/generate_toy_data.py', 'imagenet_vid',
        root, '--num-train', '2', '--num-val', '2', '--frames', '6',
        '--degrade', '0.5'
    ], env=_env())
    data = [
        f'{loader}.{key}' for loader in
        ('train_dataloader', 'val_dataloader', 'test_dataloader')
        for key in (f'dataset.data_root={root}', 'num_workers=0',
                    'persistent_workers=False')
    ]
    work = tmp_path / 'dist'
    env = dict(_env(), PYTHON=sys.executable, PORT=free_port())
    train = run_checked(cwd=ROOT, cmd=[
        'bash', 'tools/dist_train.sh', TRANSVOD, '2', '--work-dir',
        str(work), '--cfg-options', *data, 'load_from=None',
        'train_cfg.max_iters=4', 'train_cfg.val_interval=4',
        'default_hooks.checkpoint.interval=4',
        'default_hooks.logger.interval=2'
    ], env=env)
    log = train.stdout + train.stderr
    assert 'Distributed training: True' in log and 'GPU number: 2' in log
    assert "'backend': 'gloo'" in log
    assert 'loss_cls' in log and 'mAP50' in log
    ckpt = str(work / 'iter_4.pth')
    single = run_checked(cwd=ROOT, cmd=[
        sys.executable, 'tools/test.py', TRANSVOD, ckpt, '--work-dir',
        str(tmp_path / 'single'), '--cfg-options', *data
    ], env=_env())
    env['PORT'] = free_port()
    double = run_checked(cwd=ROOT, cmd=[
        'bash', 'tools/dist_test.sh', TRANSVOD, ckpt, '2', '--work-dir',
        str(tmp_path / 'double'), '--cfg-options', *data
    ], env=env)
    m1, m2 = last_json_line(single.stdout), last_json_line(double.stdout)
    assert m1 == m2 and 'mAP50' in m1
