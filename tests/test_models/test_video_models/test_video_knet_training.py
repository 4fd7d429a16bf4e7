# Copyright (c) OpenMMLab. All rights reserved.
"""The tiny Video K-Net configs, trained with the tools as a user does."""
import json
import os
import os.path as osp
import sys

import pytest

from mmvidseg.testing.cli import free_port, last_json_line, run_checked

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
VPS = osp.join(ROOT, 'configs', 'video_knet',
               'video-knet_r18-w16_1xb2-6k_toy-kitti-step.py')
VIS = osp.join(ROOT, 'configs', 'video_knet',
               'video-knet_r18-w16_1xb2-6k_toy-youtube-vis-128x192.py')


def _env(threads='1'):
    env = dict(os.environ, OMP_NUM_THREADS=threads)
    env['PYTHONPATH'] = ROOT + os.pathsep + env.get('PYTHONPATH', '')
    return env


def _toy(tmp_path, fmt, num_train=3, num_val=2, frames=4):
    data = tmp_path / fmt
    run_checked(cwd=ROOT, cmd=[
        sys.executable, 'tools/misc/generate_toy_data.py', fmt,
        str(data), '--num-train',
        str(num_train), '--num-val',
        str(num_val), '--frames',
        str(frames)
    ], env=_env())
    return str(data)


def _data_opts(root):
    return [
        f'train_dataloader.dataset.data_root={root}',
        f'val_dataloader.dataset.data_root={root}',
        f'test_dataloader.dataset.data_root={root}',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
    ]


@pytest.mark.slow
def test_dist_train_tiny_vps_two_cpu_processes(tmp_path):
    """dist_train.sh trains the tiny VPS config with 2 gloo processes; the
    2-process test of its checkpoint gives the single-process numbers."""
    root = _toy(tmp_path, 'kitti_step')
    work = tmp_path / 'dist'
    env = dict(_env(), PYTHON=sys.executable, PORT=free_port())
    opts = _data_opts(root) + [
        'train_cfg.max_iters=20', 'train_cfg.val_interval=20',
        'default_hooks.checkpoint.interval=20',
        'default_hooks.logger.interval=10'
    ]
    train = run_checked(cwd=ROOT, cmd=[
        'bash', 'tools/dist_train.sh', VPS, '2', '--work-dir',
        str(work), '--cfg-options', *opts
    ], env=env)
    log = train.stdout + train.stderr
    assert 'Distributed training: True' in log and 'GPU number: 2' in log
    assert "'backend': 'gloo'" in log
    assert 'loss_track' in log and 'VPQ' in log
    ckpt = str(work / 'iter_20.pth')
    single = run_checked(cwd=ROOT, cmd=[
        sys.executable, 'tools/test.py', VPS, ckpt, '--work-dir',
        str(tmp_path / 'single'), '--cfg-options', *_data_opts(root)
    ], env=_env())
    env['PORT'] = free_port()
    double = run_checked(cwd=ROOT, cmd=[
        'bash', 'tools/dist_test.sh', VPS, ckpt, '2', '--work-dir',
        str(tmp_path / 'double'), '--cfg-options', *_data_opts(root)
    ], env=env)
    m1, m2 = last_json_line(single.stdout), last_json_line(double.stdout)
    assert m1 == m2
    assert set(m1) >= {'VPQ', 'STQ', 'AQ', 'SQ'}


@pytest.mark.slow
def test_tiny_vis_trains_and_writes_results(tmp_path):
    """A short VIS training runs; test.py writes the YouTube-VIS JSON."""
    root = _toy(tmp_path, 'youtube_vis')
    work = tmp_path / 'vis'
    opts = _data_opts(root) + [
        'train_cfg.max_iters=10', 'train_cfg.val_interval=10',
        'default_hooks.checkpoint.interval=10'
    ]
    run_checked(cwd=ROOT, cmd=[
        sys.executable, 'tools/train.py', VIS, '--work-dir',
        str(work), '--cfg-options', *opts
    ], env=_env())
    out = run_checked(cwd=ROOT, cmd=[
        sys.executable, 'tools/test.py', VIS,
        str(work / 'iter_10.pth'), '--work-dir',
        str(work), '--out-dir',
        str(tmp_path / 'sub'), '--cfg-options', *_data_opts(root)
    ], env=_env())
    metrics = last_json_line(out.stdout)
    assert 'AP' in metrics
    results = json.load(open(tmp_path / 'sub' / 'results.json'))
    assert results and all(len(r['segmentations']) == 4 for r in results)
