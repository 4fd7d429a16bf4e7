# Copyright (c) OpenMMLab. All rights reserved.
"""Analyse mmengine json logs: plot curves and compute the training time.

Example::

    # loss and a validation metric of one or more runs
    python tools/analysis_tools/analyze_logs.py plot_curve \\
        work_dirs/run_a work_dirs/run_b --keys loss mIoU \\
        --legend a_loss a_mIoU b_loss b_mIoU --out curves.png
    # average / slowest / fastest time per iteration
    python tools/analysis_tools/analyze_logs.py cal_train_time \\
        work_dirs/run_a/20260101_000000/vis_data/scalars.json

A log is mmengine's json log (``<work_dir>/<timestamp>/vis_data/
scalars.json`` or ``<timestamp>.json`` beside it), a ``<timestamp>`` run
directory or a work directory (its newest run). Training records are the
lines with a ``loss``; every other line is a validation record, placed at
the iteration of the training record before it (iteration-based loops log
validation with step 0).

mmengine's ``time`` of a training record is the mean time per iteration
over the logging interval before it (``default_hooks.logger.interval``),
so slowest / fastest are over those intervals (and over epochs when the
log has epochs). The first interval holds the start-up (data workers,
first allocations) and is left out unless ``--include-outliers``.
"""
import argparse
import glob
import json
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

import numpy as np


def find_log(path: str) -> str:
    """The json log of a file, run directory or work directory path.

    Raises:
        FileNotFoundError: No json log is found there.
    """
    if osp.isfile(path):
        return path
    if not osp.isdir(path):
        raise FileNotFoundError(f'log {path!r} does not exist')
    for pattern in ('vis_data/scalars.json', '*/vis_data/scalars.json'):
        found = sorted(glob.glob(osp.join(path, pattern)))
        if found:
            return found[-1]
    raise FileNotFoundError(
        f'{path} holds no vis_data/scalars.json (nor */vis_data/'
        f'scalars.json): pass the json log itself')


def load_json_log(path: str,
                  name_of: Optional[str] = None) -> Dict[str, List[dict]]:
    """Training and validation records of a json log (see :func:`find_log`).

    Returns:
        dict: ``train`` and ``val``: lists of records (dicts), each with
        ``step`` (the training iteration it belongs to); ``path`` (the
        file read) and ``name`` (of ``name_of``, default the file).

    Raises:
        ValueError: A line is not a JSON object.
    """
    path = find_log(path)
    train, val = [], []
    last_step = 0
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f'{path} line {n} is not JSON: {e}')
            if not isinstance(rec, dict):
                raise ValueError(f'{path} line {n} is not a JSON object')
            if 'loss' in rec:
                last_step = rec.get('step', rec.get('iter', last_step))
                rec['step'] = last_step
                train.append(rec)
            else:
                if not rec.get('step'):
                    rec['step'] = last_step
                val.append(rec)
    return dict(train=train, val=val, path=path,
                name=osp.basename(osp.normpath(name_of or path)))


def cal_train_time(train: Sequence[dict],
                   include_outliers: bool = False) -> Dict[str, float]:
    """Time per training iteration from the training records.

    Args:
        train (Sequence[dict]): Training records with ``time`` (mean seconds
            per iteration over the logging interval) and ``step``.
        include_outliers (bool): Keep the first interval (start-up).

    Returns:
        dict: ``average`` (s/iter, weighted by the interval lengths),
        ``slowest`` / ``fastest`` (s/iter) and ``slowest_step`` /
        ``fastest_step`` (the iteration ending that interval), ``std``
        over the intervals, ``data_time`` (average, when logged),
        ``intervals`` (how many were used), ``iters`` (last iteration) and
        ``total`` (estimated hours: average x iterations); with epochs,
        ``slowest_epoch`` / ``fastest_epoch`` and their times.

    Raises:
        ValueError: No training record has a ``time``.
    """
    timed, prev = [], 0
    for r in train:
        # the interval a record's time averages: since the record before
        if 'time' in r:
            timed.append((r, max(r['step'] - prev, 1)))
        prev = r['step']
    if not include_outliers and len(timed) > 1:
        timed = timed[1:]
    if not timed:
        raise ValueError('the log has no training record with a "time" '
                         '(was the run trained at all?)')
    recs = [r for r, _ in timed]
    lengths = np.array([n for _, n in timed], dtype=np.float64)
    steps = np.array([r['step'] for r in recs], dtype=np.int64)
    times = np.array([r['time'] for r in recs], dtype=np.float64)
    out = dict(
        average=float((times * lengths).sum() / lengths.sum()),
        slowest=float(times.max()),
        slowest_step=int(steps[times.argmax()]),
        fastest=float(times.min()),
        fastest_step=int(steps[times.argmin()]),
        std=float(times.std()),
        intervals=len(recs),
        iters=int(steps[-1]))
    out['total'] = out['average'] * out['iters'] / 3600
    if all('data_time' in r for r in recs):
        out['data_time'] = float(
            (np.array([r['data_time'] for r in recs]) * lengths).sum() /
            lengths.sum())
    out.update(_epoch_times(recs))
    return out


def _epoch_times(recs: Sequence[dict]) -> Dict[str, float]:
    """Slowest / fastest epoch (mean of its intervals), when logged."""
    if not all('epoch' in r for r in recs):
        return {}
    per_epoch = defaultdict(list)
    for r in recs:
        per_epoch[int(r['epoch'])].append(r['time'])
    means = {e: float(np.mean(t)) for e, t in per_epoch.items()}
    slow = max(means, key=means.get)
    fast = min(means, key=means.get)
    return dict(
        slowest_epoch=slow,
        slowest_epoch_time=means[slow],
        fastest_epoch=fast,
        fastest_epoch_time=means[fast])


def format_train_time(path: str, t: Dict[str, float]) -> str:
    """A few lines a person reads."""
    lines = [
        f'-----Analyze train time of {path}-----',
        f'average iter time: {t["average"]:.4f} s/iter over '
        f'{t["intervals"]} logging intervals',
        f'slowest interval: {t["slowest"]:.4f} s/iter (ending at iter '
        f'{t["slowest_step"]})',
        f'fastest interval: {t["fastest"]:.4f} s/iter (ending at iter '
        f'{t["fastest_step"]})',
        f'time std over intervals: {t["std"]:.4f} s/iter',
    ]
    if 'data_time' in t:
        lines.append(f'average data time: {t["data_time"]:.4f} s/iter')
    if 'slowest_epoch' in t:
        lines += [
            f'slowest epoch {t["slowest_epoch"]}: '
            f'{t["slowest_epoch_time"]:.4f} s/iter',
            f'fastest epoch {t["fastest_epoch"]}: '
            f'{t["fastest_epoch_time"]:.4f} s/iter',
        ]
    lines.append(f'{t["iters"]} iters x average: {t["total"]:.2f} h')
    return '\n'.join(lines)


def curve_points(log: Dict[str, List[dict]], key: str):
    """``(steps, values)`` of ``key`` in the training or validation records.

    Raises:
        KeyError: Neither has ``key``; the message lists the keys there are.
    """
    for part in ('train', 'val'):
        recs = [r for r in log[part] if key in r]
        if recs:
            return [r['step'] for r in recs], [r[key] for r in recs]
    keys = sorted({k for part in ('train', 'val') for r in log[part]
                   for k in r} - {'step'})
    raise KeyError(f'{log["path"]} has no {key!r}; its keys: '
                   f'{", ".join(keys)}')


def plot_curve(logs: Sequence[Dict[str, List[dict]]],
               keys: Sequence[str],
               legend: Optional[Sequence[str]] = None,
               title: Optional[str] = None,
               out: Optional[str] = None) -> List[str]:
    """Plot ``keys`` of every log against the iteration; save to ``out``
    (or show). Returns the legend used."""
    import matplotlib
    if out is not None:
        matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    if legend is None:
        legend = [
            f'{log["name"]}_{key}'
            if len(logs) > 1 else key for log in logs for key in keys
        ]
    if len(legend) != len(logs) * len(keys):
        raise ValueError(f'--legend needs {len(logs) * len(keys)} names '
                         f'(logs x keys), got {len(legend)}')
    fig, ax = plt.subplots(figsize=(8, 5))
    names = iter(legend)
    for log in logs:
        for key in keys:
            steps, values = curve_points(log, key)
            ax.plot(steps, values, label=next(names),
                    marker='o' if len(steps) < 20 else None)
    ax.set_xlabel('iter')
    ax.legend()
    if title:
        ax.set_title(title)
    if out is not None:
        fig.savefig(out, dpi=100, bbox_inches='tight')
        print(f'saved {out}')
    else:
        plt.show()
    plt.close(fig)
    return list(legend)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Analyse json logs')
    sub = parser.add_subparsers(dest='task', required=True)
    plot = sub.add_parser('plot_curve', help='plot keys of the logs')
    plot.add_argument('json_logs', nargs='+', help='json logs or run dirs')
    plot.add_argument('--keys', nargs='+', default=['loss'],
                      help='the keys to plot (default: loss)')
    plot.add_argument('--legend', nargs='+', help='one name per log x key')
    plot.add_argument('--title', help='figure title')
    plot.add_argument('--out', help='save the figure here instead of '
                      'showing it')
    timing = sub.add_parser('cal_train_time',
                            help='time per training iteration')
    timing.add_argument('json_logs', nargs='+', help='json logs or run dirs')
    timing.add_argument(
        '--include-outliers', action='store_true',
        help='keep the first logging interval (start-up) in the statistics')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    logs = [load_json_log(path, path) for path in args.json_logs]
    if args.task == 'plot_curve':
        return plot_curve(logs, args.keys, args.legend, args.title, args.out)
    results = []
    for log in logs:
        t = cal_train_time(log['train'], args.include_outliers)
        print(format_train_time(log['path'], t))
        results.append(t)
    return results


if __name__ == '__main__':
    main()
