# Copyright (c) OpenMMLab. All rights reserved.
"""A run killed with SIGKILL and resumed ends with the same weights."""
import os
import os.path as osp
import signal
import subprocess
import time

import pytest
import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs', 'frame_baseline',
                  'frame-baseline_fcn-r18-w16_1xb4-1k_toy-vspw.py')


def _train_cmd(python, work_dir, data_root, *extra):
    opts = [
        f'train_dataloader.dataset.data_root={data_root}',
        f'val_dataloader.dataset.data_root={data_root}',
        f'test_dataloader.dataset.data_root={data_root}',
        'train_cfg.max_iters=60',
        'train_cfg.val_interval=1000',
        'default_hooks.checkpoint.interval=20',
        'default_hooks.checkpoint.max_keep_ckpts=5',
        'default_hooks.logger.interval=10',
        'train_dataloader.num_workers=2',
    ]
    return [
        python, osp.join(ROOT, 'tools', 'train.py'), CONFIG,
        '--work-dir', str(work_dir), *extra, '--cfg-options', *opts
    ]


def _env():
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONHASHSEED='0')
    env['PYTHONPATH'] = ROOT + os.pathsep + env.get('PYTHONPATH', '')
    return env


def _weights(path):
    return torch.load(path, map_location='cpu', weights_only=True)[
        'state_dict']


@pytest.mark.slow
def test_sigkill_then_resume_matches_uninterrupted(tmp_path, python,
                                                   toy_vspw_root):
    ref_dir, run_dir = tmp_path / 'reference', tmp_path / 'killed'
    subprocess.run(
        _train_cmd(python, ref_dir, toy_vspw_root),
        check=True, env=_env(), capture_output=True, timeout=900)

    proc = subprocess.Popen(
        _train_cmd(python, run_dir, toy_vspw_root),
        env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    last = run_dir / 'last_checkpoint'
    deadline = time.time() + 600
    try:
        while time.time() < deadline:
            if last.exists() and last.read_text().strip().endswith(
                    'iter_40.pth'):
                break
            assert proc.poll() is None, 'training ended before the kill'
            time.sleep(0.05)
        else:
            pytest.fail('no checkpoint at iteration 40 within 10 minutes')
    finally:
        # kill the whole session: the trainer and its data-loader workers
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert not (run_dir / 'iter_60.pth').exists()

    resumed = subprocess.run(
        _train_cmd(python, run_dir, toy_vspw_root, '--resume'),
        env=_env(), capture_output=True, text=True, timeout=900)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    log = resumed.stdout + resumed.stderr
    assert 'resumed epoch: 0, iter: 40' in log, log[-3000:]

    ref, out = _weights(ref_dir / 'iter_60.pth'), _weights(
        run_dir / 'iter_60.pth')
    assert ref.keys() == out.keys()
    for key in ref:
        assert torch.equal(ref[key], out[key]), f'{key} differs'


def test_truncated_last_checkpoint_names_it_and_offers_the_previous(
        tmp_path, python):
    """``last_checkpoint`` names a half-written checkpoint (a full disk, a
    copy cut short): --resume stops before building anything, naming the
    file, and offers the newest complete checkpoint (issue 17)."""
    work = tmp_path / 'work'
    work.mkdir()
    for n in (20, 40):
        torch.save({'meta': {'iter': n}, 'state_dict': {}},
                   work / f'iter_{n}.pth')
    last = work / 'iter_40.pth'
    data = last.read_bytes()
    last.write_bytes(data[:len(data) // 2])
    (work / 'last_checkpoint').write_text(str(last))
    for resume in ([], [str(last)]):
        proc = subprocess.run(
            [python, osp.join(ROOT, 'tools', 'train.py'), CONFIG,
             '--work-dir', str(work), '--resume', *resume],
            env=_env(), capture_output=True, text=True, timeout=300)
        assert proc.returncode == 1, proc.stderr[-3000:]
        named_by = '' if resume else \
            f' (named by {work / "last_checkpoint"})'
        assert f'error: {last}: cannot resume from this checkpoint' \
            f'{named_by}: truncated' in proc.stderr, proc.stderr[-3000:]
        assert proc.stderr.rstrip().endswith(
            f'resume from it with --resume {work / "iter_20.pth"}'), \
            proc.stderr[-3000:]
