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
