# Copyright (c) OpenMMLab. All rights reserved.
"""Where a C++ compiler exists, every op's extension was really built.

setup.py turns a failed op build into a warning so that a machine without
a compiler still gets a working pure-Python install. On a machine with one
(every CI machine), a silently missing kernel would make the parity tests
skip, so its absence is a failure here.
"""
import shutil

import pytest

from mmvidseg.ops import compiled_ops, ext_available, load_ext

OPS = compiled_ops()


@pytest.mark.skipif(
    shutil.which('c++') is None and shutil.which('g++') is None,
    reason='no C++ compiler: ops fall back to their PyTorch references')
@pytest.mark.parametrize('op', OPS)
def test_extension_is_built(op):
    assert load_ext(op) is not None, (
        f'mmvidseg.ops.{op}._ext is missing: rebuild with '
        '`pip install --no-build-isolation -e .` and read its warnings')
    assert ext_available(op)


def test_unknown_op_has_no_extension():
    assert load_ext('no_such_op') is None
    assert not ext_available('no_such_op', cuda=True)
