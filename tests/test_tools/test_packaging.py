# Copyright (c) OpenMMLab. All rights reserved.
"""The installed package is usable by mim and by the op benchmarks."""
import os.path as osp
import subprocess
import sys

import mmvidseg

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_mim_extension_exposes_tools_and_configs():
    """``mim train mmvidseg CONFIG`` runs ``<package>/.mim/tools/train.py``
    with configs from ``<package>/.mim/configs``; setup.py links them."""
    mim = osp.join(osp.dirname(mmvidseg.__file__), '.mim')
    assert osp.isfile(osp.join(mim, 'tools', 'train.py'))
    assert osp.isfile(osp.join(mim, 'tools', 'test.py'))
    assert osp.isdir(osp.join(mim, 'configs', '_base_'))


def test_benchmark_ops_dispatcher_lists_ops():
    proc = subprocess.run(
        [sys.executable,
         osp.join(ROOT, 'tools', 'analysis_tools', 'benchmark_ops.py'),
         '--help'], capture_output=True, text=True)
    assert proc.returncode == 0
    assert 'available ops:' in proc.stdout
    proc = subprocess.run(
        [sys.executable,
         osp.join(ROOT, 'tools', 'analysis_tools', 'benchmark_ops.py'),
         'no_such_op'], capture_output=True, text=True)
    assert proc.returncode != 0
    assert 'no benchmark for op "no_such_op"' in proc.stderr
