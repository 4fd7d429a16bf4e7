# Copyright (c) OpenMMLab. All rights reserved.
"""Test (evaluate) a checkpoint.

Example::

    python tools/test.py CONFIG CHECKPOINT
    python tools/test.py CONFIG CHECKPOINT --out results.pkl
    bash tools/dist_test.sh CONFIG CHECKPOINT 2
    # predictions in the benchmark's submission format (evaluated too)
    python tools/test.py CONFIG CHECKPOINT --out-dir submission/
    # only write them (e.g. a test split without ground truth)
    python tools/test.py CONFIG CHECKPOINT --out-dir submission/ \
        --format-only
    # draw every frame (ground truth | prediction) to DIR/<video>/<frame>.jpg
    python tools/test.py CONFIG CHECKPOINT --show-dir DIR
    # test-time augmentation (flip + scales, the same views every frame)
    python tools/test.py CONFIG CHECKPOINT --tta

Formats (``--format``, default from the dataset type): ``kitti_step``
(PNGs), ``vipseg`` (PNGs + pred.json), ``youtube_vis`` (results.json),
``vspw`` (PNGs), ``youtube_vos`` (palette PNGs); see
:mod:`mmvidseg.evaluation.metrics.submission`.
``--out-dir`` sets the ``outfile_prefix`` (and ``format_only``) options of
the test evaluator's metric that writes the format (``VPSMetric``,
``YouTubeVISVideoMetric``, ``VSSMetric`` or ``YouTubeVOSSubmission``; a
format-only one is added
when the evaluator has none).

``--show`` / ``--show-dir`` switch on the ``VideoVisualizationHook``
(added to ``default_hooks.visualization`` when the config has none) and
draw with the ``VideoLocalVisualizer`` (replacing mmengine's plain
``Visualizer`` of the runtime config).

``--tta`` wraps the model in the config's ``tta_model`` (default
``VideoSegTTAModel``: horizontal flip) and tests with its ``tta_pipeline``
(default: the test pipeline at scales x0.75, x1, x1.25, see
:func:`mmvidseg.models.tta.default_tta_pipeline`), for the semantic
segmentation models (VSS).
"""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from mmvidseg.evaluation.metrics.dump_video_results import DumpVideoResults
from mmvidseg.evaluation.metrics.submission import (WRITERS,
                                                    submission_evaluator)
from mmvidseg.evaluation.strict_json import dumps_strict
from mmvidseg.utils import (register_all_modules, setup_distributed_on_cpu,
                            teardown_distributed)

# configs under projects/ import their package with custom_imports
# ('projects.<name>.<package>'): make the repository root importable
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args():
    parser = argparse.ArgumentParser(description='Test (and eval) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and metrics')
    parser.add_argument(
        '--out', help='dump the raw predictions to this pickle file')
    parser.add_argument(
        '--out-dir',
        help='write the predictions in the submission format of the '
        'benchmark to this directory')
    parser.add_argument(
        '--format',
        choices=sorted(WRITERS),
        help='submission format of --out-dir (default: from the dataset '
        'type)')
    parser.add_argument(
        '--format-only',
        action='store_true',
        help='only write the --out-dir predictions, do not evaluate')
    parser.add_argument(
        '--json-out',
        help='write the final metrics to this JSON file (rank 0; NaN and '
        'infinite values as null with a "<name>_reason" beside them)')
    parser.add_argument(
        '--show', action='store_true', help='show each drawn frame')
    parser.add_argument(
        '--show-dir',
        help='write every drawn frame (ground truth | prediction) to '
        'SHOW_DIR/<video>/<frame>.jpg')
    parser.add_argument(
        '--wait-time',
        type=float,
        default=2,
        help='seconds each frame is shown with --show (default 2)')
    parser.add_argument(
        '--tta',
        action='store_true',
        help='test-time augmentation: the config\'s tta_model / '
        'tta_pipeline, else flip + scales x0.75, x1, x1.25 (VSS models)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, key=value pairs')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if args.format_only and not args.out_dir:
        parser.error('--format-only needs --out-dir')
    problem = checkpoint_problem(args.checkpoint)
    if problem:
        parser.error(problem)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def checkpoint_problem(path: str):
    """Why ``path`` cannot be the checkpoint (None when it can), checked
    before the config is read, so a wrong path fails at once.

    Remote paths (``scheme://...``, e.g. ``https://`` or ``s3://``) are
    left to mmengine's loader.
    """
    if '://' in path:
        return None
    if not osp.exists(path):
        return f'checkpoint {path!r} does not exist'
    if osp.isdir(path):
        return f'checkpoint {path!r} is a directory, not a file'
    try:
        with open(path, 'rb') as f:
            empty = not f.read(1)
    except OSError as e:
        return f'checkpoint {path!r} cannot be read: {e.strerror}'
    if empty:
        return f'checkpoint {path!r} is empty (0 bytes)'
    return None


def use_tta(cfg) -> None:
    """Wrap ``cfg.model`` in the TTA model and switch the test pipeline
    to the TTA one (the config's, else the defaults)."""
    from mmvidseg.models.tta import default_tta_pipeline
    tta_model = dict(cfg.get('tta_model') or dict(type='VideoSegTTAModel'))
    dataset = cfg.test_dataloader.dataset
    while 'dataset' in dataset:  # dataset wrappers
        dataset = dataset['dataset']
    pipeline = cfg.get('tta_pipeline') or default_tta_pipeline(
        dataset['pipeline'])
    dataset['pipeline'] = pipeline
    cfg.model = dict(**tta_model, module=cfg.model)


def trigger_visualization_hook(cfg, args) -> None:
    """Switch on frame drawing for ``--show`` / ``--show-dir``."""
    hooks = cfg.setdefault('default_hooks', {})
    hook = hooks.get('visualization') or dict(type='VideoVisualizationHook')
    hook['draw'] = True
    hook['interval'] = 1
    if args.show:
        hook['show'] = True
        hook['wait_time'] = args.wait_time
    if args.show_dir:
        hook['test_out_dir'] = osp.abspath(args.show_dir)
    hooks['visualization'] = hook
    visualizer = cfg.get('visualizer') or dict(name='visualizer')
    if str(visualizer.get('type', 'Visualizer')).split('.')[-1] == \
            'Visualizer':
        visualizer['type'] = 'VideoLocalVisualizer'
    cfg.visualizer = visualizer


def main():
    args = parse_args()
    register_all_modules(init_default_scope=False)

    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    # the TTA wrapper's weights are under ``module.``: load into the model
    # itself after building (below)
    cfg.load_from = None if args.tta else args.checkpoint
    if args.tta:
        use_tta(cfg)
    if args.out_dir is not None:
        cfg.test_evaluator = submission_evaluator(
            cfg.test_evaluator, cfg.test_dataloader.dataset.get('type'),
            args.out_dir, args.format, args.format_only)
    if args.show or args.show_dir:
        trigger_visualization_hook(cfg, args)
    setup_distributed_on_cpu(cfg, args.launcher)

    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)

    if args.tta:
        from mmengine.runner import load_checkpoint
        load_checkpoint(runner.model.module, args.checkpoint,
                        map_location='cpu', strict=True)

    if args.out is not None:
        assert args.out.endswith(('.pkl', '.pickle')), \
            'the file name after --out must end with .pkl or .pickle'
        # one entry per video with all its frames, whatever the sampler
        runner.test_evaluator.metrics.append(
            DumpVideoResults(out_file_path=args.out))

    metrics = runner.test()
    if runner.rank == 0:
        # strict JSON: a NaN / infinite metric is written as null with a
        # "<name>_reason" beside it (from the metric when it knows why)
        reasons = {}
        for metric in runner.test_evaluator.metrics:
            reasons.update(getattr(metric, 'null_reasons', None) or {})
        if args.json_out:
            with open(args.json_out, 'w') as f:
                f.write(dumps_strict(metrics, reasons, indent=2) + '\n')
        print(dumps_strict(metrics, reasons))
    teardown_distributed()


if __name__ == '__main__':
    main()
