# Copyright (c) OpenMMLab. All rights reserved.
"""Helpers for tests that run the command-line tools in subprocesses."""
import json
import socket
import subprocess
from typing import List, Optional


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


def short_run_options(data_root: str, iters: int,
                      extra: Optional[List[str]] = None) -> List[str]:
    """``--cfg-options`` for a short ``tools/train.py`` run of a toy config.

    Points the train, val and test loaders at ``data_root``, trains
    ``iters`` iterations with one validation at the end, and loads data in
    the main process (worker processes cost more than such a run).

    Args:
        data_root (str): The toy dataset's root.
        iters (int): Training iterations (also the validation interval).
        extra (list[str], optional): More ``key=value`` options.

    Returns:
        list[str]: ``['--cfg-options', 'key=value', ...]``.
    """
    options = [f'{split}_dataloader.dataset.data_root={data_root}'
               for split in ('train', 'val', 'test')]
    options += [
        f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}'
    ]
    for split in ('train', 'val'):
        options += [f'{split}_dataloader.num_workers=0',
                    f'{split}_dataloader.persistent_workers=False']
    return ['--cfg-options'] + options + list(extra or [])


def last_json_line(text: str) -> dict:
    """The last line of ``text`` that is a JSON object (the metrics a tool
    prints last)."""
    for line in reversed(text.strip().splitlines()):
        if line.startswith('{'):
            return json.loads(line)
    raise AssertionError(f'no JSON metrics in:\n{text[-2000:]}')
