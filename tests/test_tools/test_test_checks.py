# Copyright (c) OpenMMLab. All rights reserved.
"""tools/test.py refuses a bad checkpoint path before reading the config."""
import importlib.util
import os.path as osp
import subprocess

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs', 'frame_baseline',
                  'frame-baseline_fcn-r18-w16_1xb4-1k_toy-vspw.py')


@pytest.fixture(scope='module')
def test_tool():
    spec = importlib.util.spec_from_file_location(
        'mmvidseg_test_tool', osp.join(ROOT, 'tools', 'test.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_missing_checkpoint_fails_before_the_config(python, tmp_path):
    missing = str(tmp_path / 'nope.pth')
    out = subprocess.run([python, 'tools/test.py', CONFIG, missing],
                         cwd=ROOT,
                         capture_output=True,
                         text=True,
                         timeout=120)
    assert out.returncode == 2
    assert f"checkpoint '{missing}' does not exist" in out.stderr
    # nothing built or printed: no config dump, no runner log
    assert out.stdout == ''
    assert 'model = dict' not in out.stderr and 'mmengine' not in out.stderr
    assert len(out.stderr.splitlines()) < 15


def test_checkpoint_problems(test_tool, tmp_path):
    problem = test_tool.checkpoint_problem
    assert 'does not exist' in problem(str(tmp_path / 'x.pth'))
    assert 'is a directory' in problem(str(tmp_path))
    empty = tmp_path / 'empty.pth'
    empty.write_bytes(b'')
    assert 'is empty' in problem(str(empty))
    good = tmp_path / 'good.pth'
    good.write_bytes(b'PK')
    assert problem(str(good)) is None
    # remote checkpoints are left to mmengine's loader
    assert problem('https://example.com/model.pth') is None


def test_unreadable_checkpoint(test_tool, tmp_path, monkeypatch):
    path = tmp_path / 'locked.pth'
    path.write_bytes(b'PK')
    real_open = open

    def deny(name, *args, **kwargs):
        if str(name) == str(path):
            raise PermissionError(13, 'Permission denied')
        return real_open(name, *args, **kwargs)

    # root reads any file whatever its mode: simulate the refusal
    monkeypatch.setattr('builtins.open', deny)
    assert test_tool.checkpoint_problem(str(path)) == (
        f"checkpoint '{path}' cannot be read: Permission denied")
