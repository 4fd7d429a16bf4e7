# Copyright (c) OpenMMLab. All rights reserved.
"""Plot the training loss and validation metrics of a run.

Example::

    python tools/analysis_tools/plot_curves.py \\
        work_dirs/video-knet_r18-w16_1xb2-6k_toy-kitti-step \\
        --metrics VPQ STQ --out curve.png

Reads ``<work_dir>/<timestamp>/vis_data/scalars.json`` (mmengine's
``LocalVisBackend``; the newest run when several exist), saves a figure
(loss on the left, metrics on the right) and prints the validation metrics
as a Markdown table.
"""
import argparse
import glob
import json
import os.path as osp
from typing import Dict, List, Tuple


def load_scalars(path: str) -> Tuple[List[dict], List[dict]]:
    """Training and validation records of a ``scalars.json`` or work dir.

    Raises:
        FileNotFoundError: No ``scalars.json`` found.
        ValueError: A line is not JSON.
    """
    if osp.isdir(path):
        found = sorted(glob.glob(osp.join(path, '*', 'vis_data',
                                          'scalars.json')))
        if not found:
            raise FileNotFoundError(
                f'{path} holds no */vis_data/scalars.json')
        path = found[-1]
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} does not exist')
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
            if 'loss' in rec:
                last_step = rec.get('step', last_step)
                train.append(rec)
            else:
                # iteration-based loops log validation with step 0: it
                # follows the last training record
                if not rec.get('step'):
                    rec['step'] = last_step
                val.append(rec)
    return train, val


def markdown_table(val: List[dict], metrics: List[str]) -> str:
    """Validation records as a Markdown table (one row per evaluation)."""
    rows = ['| iter | ' + ' | '.join(metrics) + ' |',
            '|' + ' --- |' * (len(metrics) + 1)]
    for rec in val:
        cells = [
            f'{rec[m]:.4g}' if isinstance(rec.get(m), (int, float)) else '-'
            for m in metrics
        ]
        rows.append(f'| {rec.get("step", "?")} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(rows)


def plot(train: List[dict], val: List[dict], metrics: List[str],
         out: str, title: str = '') -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.2))
    ax1.plot([r['step'] for r in train], [r['loss'] for r in train])
    ax1.set_xlabel('iteration')
    ax1.set_ylabel('training loss')
    ax1.set_yscale('log')
    for m in metrics:
        pts = [(r['step'], r[m]) for r in val if m in r]
        if pts:
            ax2.plot(*zip(*pts), marker='o', label=m)
    ax2.set_xlabel('iteration')
    ax2.set_ylabel('validation')
    ax2.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(out, dpi=80)


def main(argv=None) -> Dict:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('run', help='work dir or scalars.json')
    parser.add_argument(
        '--metrics', nargs='+', default=['VPQ', 'STQ'],
        help='validation keys to plot')
    parser.add_argument(
        '--scale', nargs='+', type=float, default=None,
        help='multiply each metric by this (e.g. 100 for fractions)')
    parser.add_argument('--out', help='figure path (PNG)')
    parser.add_argument('--title', default='', help='figure title')
    args = parser.parse_args(argv)
    train, val = load_scalars(args.run)
    if args.scale:
        if len(args.scale) != len(args.metrics):
            parser.error('--scale needs one factor per metric')
        for rec in val:
            for m, s in zip(args.metrics, args.scale):
                if m in rec:
                    rec[m] = rec[m] * s
    print(markdown_table(val, args.metrics))
    if args.out:
        plot(train, val, args.metrics, args.out, args.title)
        print(f'saved {args.out}')
    return dict(train=train, val=val)


if __name__ == '__main__':
    main()
