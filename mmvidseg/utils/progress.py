# Copyright (c) OpenMMLab. All rights reserved.
"""One progress-bar map for the tools that loop over many files."""
import argparse
import sys
from typing import Callable, List, Sequence

from mmengine.utils import track_iter_progress, track_parallel_progress


def track_map(func: Callable,
              tasks: Sequence,
              nproc: int = 1,
              chunksize: int = 1) -> List:
    """``[func(task) for task in tasks]`` with a progress bar, in
    ``nproc`` processes when ``nproc > 1``.

    The results are in the order of ``tasks`` whatever ``nproc``, so a
    tool gives the same output with 1 or N processes. With processes,
    ``func`` and the tasks must be picklable (a module-level function or a
    ``functools.partial`` of one).

    Args:
        func (Callable): Called with one task.
        tasks (Sequence): The tasks.
        nproc (int): Processes; 1 runs in this process. Defaults to 1.
        chunksize (int): Tasks sent to a process at a time (many small
            tasks run faster with larger chunks). Defaults to 1.

    Returns:
        list: ``func(task)`` per task, in order.

    Raises:
        ValueError: ``nproc`` or ``chunksize`` is below 1.
    """
    if nproc < 1:
        raise ValueError(f'nproc must be at least 1, got {nproc}')
    if chunksize < 1:
        raise ValueError(f'chunksize must be at least 1, got {chunksize}')
    tasks = list(tasks)
    if not tasks:
        return []
    if nproc == 1 or len(tasks) == 1:
        return [
            func(task) for task in track_iter_progress(tasks, file=sys.stdout)
        ]
    # the bar goes to the current sys.stdout (mmengine's default is the one
    # of import time, which misses later redirections)
    return track_parallel_progress(
        func, tasks, min(nproc, len(tasks)), chunksize=chunksize,
        keep_order=True, file=sys.stdout)


def add_nproc_argument(parser: argparse.ArgumentParser) -> None:
    """The ``--nproc`` option of the converters."""

    def positive(text: str) -> int:
        value = int(text)
        if value < 1:
            raise argparse.ArgumentTypeError(
                f'--nproc must be at least 1, got {value}')
        return value

    parser.add_argument(
        '--nproc',
        type=positive,
        default=1,
        help='worker processes (1: no multiprocessing); the output is the '
        'same for any number')
