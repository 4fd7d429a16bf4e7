# Copyright (c) OpenMMLab. All rights reserved.
"""Compile every CUDA source of mmvidseg's ops to an object file.

CI has no GPU, but it has ``nvcc`` and the CPU torch wheel ships the ATen
CUDA headers, so the kernels are compile-checked on every run (they cannot
be linked or run without the CUDA libraries).
"""
import glob
import os.path as osp
import shutil
import subprocess

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CU_FILES = sorted(
    glob.glob(osp.join(ROOT, 'mmvidseg', 'ops', '*', 'csrc', '**', '*.cu'),
              recursive=True))


def _nvcc():
    return shutil.which('nvcc')


@pytest.mark.skipif(_nvcc() is None, reason='nvcc is not installed')
@pytest.mark.parametrize(
    'cu_file', CU_FILES, ids=[osp.relpath(f, ROOT) for f in CU_FILES])
def test_cu_compiles(cu_file, tmp_path):
    from torch.utils.cpp_extension import include_paths
    cmd = [
        _nvcc(), '-c', '-std=c++17', '-O1', '-DWITH_CUDA',
        '-D__CUDA_NO_HALF_OPERATORS__', '--expt-relaxed-constexpr',
        '-Xcompiler', '-fPIC', '-arch=sm_90', '-o',
        str(tmp_path / 'kernel.o'), cu_file
    ] + [f'-I{p}' for p in include_paths()] + [f'-I{osp.dirname(cu_file)}']
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, (
        f'nvcc failed on {cu_file}:\n{proc.stderr[-4000:]}')
    assert (tmp_path / 'kernel.o').stat().st_size > 0


def test_every_op_with_cuda_has_a_binding():
    """Each op directory with .cu files also has the .cpp binding."""
    for cu in CU_FILES:
        csrc = osp.dirname(cu)
        while osp.basename(csrc) != 'csrc':
            csrc = osp.dirname(csrc)
        assert glob.glob(osp.join(csrc, '**', '*.cpp'), recursive=True), (
            f'{csrc} has CUDA sources but no .cpp binding')
