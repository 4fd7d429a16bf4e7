# Copyright (c) OpenMMLab. All rights reserved.
"""Helpers for tests that run the command-line tools in subprocesses."""
import json
import socket
import subprocess
from typing import List


def free_port() -> str:
    """A TCP port on localhost that is free now (for ``MASTER_PORT``)."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return str(s.getsockname()[1])


def run_checked(cmd: List[str], cwd: str, timeout: float = 1800,
                **kwargs) -> subprocess.CompletedProcess:
    """Run ``cmd`` capturing its output; fail with the output's tail when
    it exits non-zero."""
    proc = subprocess.run(
        cmd, capture_output=True, text=True, cwd=cwd, timeout=timeout,
        **kwargs)
    assert proc.returncode == 0, (proc.stdout[-2000:] + proc.stderr[-4000:])
    return proc


def last_json_line(text: str) -> dict:
    """The last line of ``text`` that is a JSON object (the metrics a tool
    prints last)."""
    for line in reversed(text.strip().splitlines()):
        if line.startswith('{'):
            return json.loads(line)
    raise AssertionError(f'no JSON metrics in:\n{text[-2000:]}')
