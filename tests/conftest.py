# Copyright (c) OpenMMLab. All rights reserved.
"""Shared fixtures: small toy datasets written once per test session."""
import ctypes
import os
import os.path as osp
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
BASELINE_CONFIG = osp.join(
    ROOT, 'configs', 'frame_baseline',
    'frame-baseline_fcn-r18-w16_1xb4-1k_toy-vspw.py')

# Deterministic CPU numerics and no oversubscription of the 2-core CI box.
os.environ.setdefault('OMP_NUM_THREADS', '1')

try:  # glibc: give freed heap pages back to the system after each test
    _LIBC = ctypes.CDLL('libc.so.6')
except OSError:  # not glibc (macOS, musl): nothing to trim
    _LIBC = None


@pytest.fixture(autouse=True)
def _return_freed_memory():
    """A test process keeps the heap that large tensors freed; with two
    pytest-xdist workers on the 24 GB CI machine, that retained memory of
    one worker can starve the other."""
    yield
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


@pytest.fixture(scope='session')
def toy_vspw_root(tmp_path_factory):
    """A small VSPW-format toy dataset: 3 train videos x 6 frames, 2 val
    videos x 10 frames, 32x48 pixels."""
    from mmvidseg.testing import generate_toy_video
    from mmvidseg.testing.toy_formats import write_vspw
    root = str(tmp_path_factory.mktemp('toy_vspw'))
    train = [
        generate_toy_video(s, num_frames=6, height=32, width=48)
        for s in range(3)
    ]
    val = [
        generate_toy_video(1000 + s, num_frames=10, height=32, width=48)
        for s in range(2)
    ]
    return write_vspw(root, {'train': train, 'val': val})


@pytest.fixture(scope='session')
def repo_root():
    """The repository root."""
    return ROOT


@pytest.fixture(scope='session')
def baseline_config():
    """Path of the frame-baseline toy config (the main job)."""
    return BASELINE_CONFIG


@pytest.fixture
def python():
    """The interpreter running the tests (the project's venv)."""
    return sys.executable
