# Copyright (c) OpenMMLab. All rights reserved.
"""The repository passes its own lint configuration (setup.cfg)."""
import os.path as osp
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
PATHS = ['mmvidseg', 'tools', 'configs', 'projects', 'demo', 'tests',
         'setup.py']


@pytest.mark.parametrize('command', [
    ['flake8'],
    ['isort', '--check-only', '--diff'],
])
def test_lint(command):
    proc = subprocess.run([sys.executable, '-m', *command, *PATHS],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]


def test_no_function_in_the_package_is_longer_than_80_lines():
    import ast
    import glob
    long = []
    for path in glob.glob(osp.join(ROOT, 'mmvidseg', '**', '*.py'),
                          recursive=True):
        with open(path) as f:
            tree = ast.parse(f.read())
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > 80:
                    long.append(f'{osp.relpath(path, ROOT)}:{node.lineno} '
                                f'{node.name} ({lines} lines)')
    assert not long, long
