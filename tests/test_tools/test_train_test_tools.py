# Copyright (c) OpenMMLab. All rights reserved.
"""The main job and the distributed tools, run as a user runs them."""
import os
import os.path as osp

import pytest

from mmvidseg.testing.cli import free_port, last_json_line, run_checked

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs', 'frame_baseline',
                  'frame-baseline_fcn-r18-w16_1xb4-1k_toy-vspw.py')


def _env(threads='1'):
    env = dict(os.environ, OMP_NUM_THREADS=threads)
    env['PYTHONPATH'] = ROOT + os.pathsep + env.get('PYTHONPATH', '')
    return env


def _data_opts(root):
    return [
        f'train_dataloader.dataset.data_root={root}',
        f'val_dataloader.dataset.data_root={root}',
        f'test_dataloader.dataset.data_root={root}',
    ]


@pytest.mark.slow
def test_main_job_learns(tmp_path, python):
    """`make demo`'s steps: toy data, 1000 iterations, evaluation. The README
    states mIoU ~84 on this data; we require >= 75 to allow for noise."""
    data = tmp_path / 'toy_vspw'
    run_checked(
        cwd=ROOT,
        cmd=[
            python, 'tools/misc/generate_toy_data.py', 'vspw',
            str(data), '--num-train', '16', '--num-val', '4', '--frames',
            '20'
        ],
        env=_env())
    work = tmp_path / 'work'
    run_checked(
        cwd=ROOT,
        cmd=[
            python, 'tools/train.py', CONFIG, '--work-dir',
            str(work), '--cfg-options', *_data_opts(data)
        ],
        env=_env('2'))
    out = run_checked(
        cwd=ROOT,
        cmd=[
            python, 'tools/test.py', CONFIG,
            str(work / 'iter_1000.pth'), '--work-dir',
            str(work), '--cfg-options', *_data_opts(data)
        ],
        env=_env('2'))
    metrics = last_json_line(out.stdout)
    assert metrics['mIoU'] >= 75.0, metrics
    assert metrics['mVC8'] >= 90.0, metrics


@pytest.mark.slow
def test_dist_train_and_test_with_two_cpu_processes(tmp_path, python,
                                                    toy_vspw_root):
    """dist_train.sh trains with 2 gloo processes; evaluating its checkpoint
    with 2 processes gives exactly the single-process numbers."""
    work = tmp_path / 'dist'
    env = dict(_env(), PYTHON=python, PORT=free_port())
    opts = _data_opts(toy_vspw_root) + [
        'train_cfg.max_iters=30', 'train_cfg.val_interval=30',
        'default_hooks.checkpoint.interval=30', 'train_dataloader.batch_size=2'
    ]
    train = run_checked(
        cwd=ROOT,
        cmd=[
            'bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir',
            str(work), '--cfg-options', *opts
        ],
        env=env)
    log = train.stdout + train.stderr
    assert 'Distributed training: True' in log and 'GPU number: 2' in log
    assert "dist_cfg: {'backend': 'gloo'}" in log
    ckpt = str(work / 'iter_30.pth')

    single = run_checked(
        cwd=ROOT,
        cmd=[
            python, 'tools/test.py', CONFIG, ckpt, '--work-dir',
            str(tmp_path / 'single'), '--cfg-options',
            *_data_opts(toy_vspw_root)
        ],
        env=_env())
    env['PORT'] = free_port()
    double = run_checked(
        cwd=ROOT,
        cmd=[
            'bash', 'tools/dist_test.sh', CONFIG, ckpt, '2', '--work-dir',
            str(tmp_path / 'double'), '--cfg-options',
            *_data_opts(toy_vspw_root)
        ],
        env=env)
    m1, m2 = last_json_line(single.stdout), last_json_line(double.stdout)
    assert m1 == m2
    assert set(m1) >= {'mIoU', 'mVC8', 'mVC16'}


def _untrained_checkpoint(path):
    """A checkpoint of the config's freshly initialised model."""
    import torch
    from mmengine.config import Config

    from mmvidseg.registry import MODELS
    from mmvidseg.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    model = MODELS.build(Config.fromfile(CONFIG).model)
    torch.save(dict(state_dict=model.state_dict()), path)
    return str(path)


@pytest.mark.slow
def test_out_dir_writes_submission_files(tmp_path, python, toy_vspw_root):
    """``--out-dir`` writes the VSPW PNGs of every val frame and still
    scores; with ``--format-only`` the same files and no score."""
    ckpt = _untrained_checkpoint(tmp_path / 'init.pth')
    outputs = {}
    for name, extra in (('scored', []), ('only', ['--format-only'])):
        out = run_checked(
            cwd=ROOT,
            cmd=[
                python, 'tools/test.py', CONFIG, ckpt, '--work-dir',
                str(tmp_path / name), '--out-dir',
                str(tmp_path / name / 'sub'), *extra, '--cfg-options',
                *_data_opts(toy_vspw_root)
            ],
            env=_env())
        outputs[name] = last_json_line(out.stdout)
    assert set(outputs['scored']) >= {'mIoU', 'mVC8', 'mVC16'}
    assert outputs['only'] == {}
    files = {}
    for name in outputs:
        sub = tmp_path / name / 'sub'
        files[name] = {
            str(p.relative_to(sub)): p.read_bytes()
            for p in sub.rglob('*.png')
        }
    # the toy val split: 2 videos x 10 frames
    assert len(files['scored']) == 20
    assert files['scored'] == files['only']


def test_test_py_prints_strict_json(tmp_path, python, toy_vspw_root):
    """NaN metrics print as null with their reason, never as ``NaN``: the
    toy val videos have 10 frames, so mVC16 has no window (issue 17)."""
    import json

    def strict(text):
        return json.loads(text, parse_constant=lambda token: pytest.fail(
            f'not JSON: {token}'))

    ckpt = _untrained_checkpoint(tmp_path / 'init.pth')
    out = run_checked(
        cwd=ROOT,
        cmd=[
            python, 'tools/test.py', CONFIG, ckpt, '--work-dir',
            str(tmp_path / 'work'), '--json-out',
            str(tmp_path / 'metrics.json'), '--cfg-options',
            *_data_opts(toy_vspw_root)
        ],
        env=_env())
    line = [x for x in out.stdout.splitlines() if x.startswith('{')][-1]
    metrics = strict(line)
    assert metrics['mVC16'] is None
    assert metrics['mVC16_reason'].startswith('no window of 16 frames')
    assert metrics['mIoU'] >= 0
    assert strict((tmp_path / 'metrics.json').read_text()) == metrics
