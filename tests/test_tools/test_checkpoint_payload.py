# Copyright (c) OpenMMLab. All rights reserved.
"""Every tool that loads a checkpoint refuses one that carries code.

The checkpoint holds an object whose ``__reduce__`` calls ``exec`` to write
a marker file: plain unpickling runs it (checked first, so the payload is
live). Each tool must stop with an error naming the checkpoint and leave no
marker, even with ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1``, which turns
pickle execution back on for any ``torch.load`` that leaves
``weights_only`` unset (issue 17).
"""
import importlib.util
import os
import os.path as osp
import subprocess

import pytest
import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BASELINE = osp.join(ROOT, 'configs', 'frame_baseline',
                    'frame-baseline_fcn-r18-w16_1xb4-1k_toy-vspw.py')
CASCADE = osp.join(ROOT, 'configs', 'deep_layer_cascade',
                   'layer-cascade_r18-w16_1xb4-1k_toy-vspw-256x384.py')


class _Payload:
    """Unpickles as ``exec(code)``: writes the marker file."""

    def __init__(self, marker):
        self.code = f'open({str(marker)!r}, "w").write("pwned")'

    def __reduce__(self):
        return (exec, (self.code, ))


@pytest.fixture
def payload(tmp_path):
    """``(checkpoint path, marker path)``; the marker does not exist."""
    marker = tmp_path / 'PAYLOAD_RAN'
    ckpt = tmp_path / 'evil.pth'
    torch.save(
        dict(state_dict={}, meta=dict(epoch=0, iter=0), extra=_Payload(
            marker)), ckpt)
    # the payload is live: plain unpickling runs it
    torch.load(ckpt, weights_only=False)
    assert marker.exists()
    marker.unlink()
    return str(ckpt), marker


@pytest.fixture
def force_unsafe(monkeypatch):
    monkeypatch.setenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')


def _tool(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _env():
    env = dict(os.environ, OMP_NUM_THREADS='1',
               TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD='1')
    env['PYTHONPATH'] = ROOT + os.pathsep + env.get('PYTHONPATH', '')
    return env


def _data_opts(root):
    return [
        f'{split}_dataloader.dataset.data_root={root}'
        for split in ('train', 'val', 'test')
    ]


def _assert_refused(proc, ckpt, marker):
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-3000:]
    assert 'UnsafeCheckpointError' in out, out[-3000:]
    assert f'{ckpt}: refused to load' in out, out[-3000:]
    assert not marker.exists()


def test_test_py_refuses(tmp_path, payload, python, toy_vspw_root):
    ckpt, marker = payload
    proc = subprocess.run(
        [python, osp.join(ROOT, 'tools', 'test.py'), BASELINE, ckpt,
         '--work-dir', str(tmp_path / 'work'), '--cfg-options',
         *_data_opts(toy_vspw_root)],
        capture_output=True, text=True, env=_env(), cwd=str(tmp_path),
        timeout=600)
    _assert_refused(proc, ckpt, marker)


def test_train_py_resume_refuses(tmp_path, payload, python, toy_vspw_root):
    ckpt, marker = payload
    proc = subprocess.run(
        [python, osp.join(ROOT, 'tools', 'train.py'), BASELINE,
         '--work-dir', str(tmp_path / 'work'), '--resume', ckpt,
         '--cfg-options', *_data_opts(toy_vspw_root),
         'train_cfg.max_iters=1'],
        capture_output=True, text=True, env=_env(), cwd=str(tmp_path),
        timeout=600)
    _assert_refused(proc, ckpt, marker)


def test_benchmark_fps_refuses(payload, force_unsafe):
    from mmvidseg.utils.checkpoint import UnsafeCheckpointError
    ckpt, marker = payload
    tool = _tool(
        osp.join(ROOT, 'tools', 'analysis_tools', 'benchmark_fps.py'),
        '_payload_benchmark_fps')
    with pytest.raises(UnsafeCheckpointError, match=f'{ckpt}: refused'):
        tool.main([BASELINE, '--checkpoint', ckpt, '--shape', '32', '32',
                   '--frames', '1', '--warmup', '0', '--device', 'cpu'])
    assert not marker.exists()


def test_cascade_report_refuses(payload, force_unsafe):
    from mmvidseg.utils.checkpoint import UnsafeCheckpointError
    ckpt, marker = payload
    tool = _tool(
        osp.join(ROOT, 'tools', 'analysis_tools', 'cascade_report.py'),
        '_payload_cascade_report')
    with pytest.raises(UnsafeCheckpointError, match=f'{ckpt}: refused'):
        tool.main([CASCADE, ckpt, '--max-batches', '1'])
    assert not marker.exists()
