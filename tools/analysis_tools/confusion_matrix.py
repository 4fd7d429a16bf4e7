# Copyright (c) OpenMMLab. All rights reserved.
"""Pixel confusion matrix of semantic predictions (VSS, or the semantic part
of VPS panoptic predictions), plotted.

Example::

    # from the predictions of tools/test.py --out
    python tools/test.py CONFIG CHECKPOINT --out preds.pkl
    python tools/analysis_tools/confusion_matrix.py CONFIG preds.pkl \\
        work_dirs/confusion --normalize
    # or run the model on the config's test split
    python tools/analysis_tools/confusion_matrix.py CONFIG CHECKPOINT \\
        work_dirs/confusion

Rows are the ground-truth classes, columns the predicted classes plus
``void`` (pixels the model left unlabelled, e.g. a VPS model's void
panoptic id). Ground-truth void pixels (``ignore_index``) are not counted.
The semantic label of a frame is ``pred_panoptic_seg`` // label divisor
when the prediction is panoptic, else ``pred_sem_seg`` (``--source`` picks
one); the ground truth likewise. Writes ``SAVE_DIR/confusion_matrix.png``
(``--normalize``: each row in percent of its ground-truth pixels) and the
raw pixel counts, ``SAVE_DIR/confusion_matrix.npy``.
"""
import argparse
import os
import os.path as osp
import pickle
from typing import Any, Iterable, Optional, Sequence, Tuple

import numpy as np

SOURCES = ('auto', 'panoptic', 'sem_seg')


def _get(obj: Any, name: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None) if name in obj else None


def _pixels(field: Any, key: str) -> Optional[np.ndarray]:
    if field is None:
        return None
    value = _get(field, key)
    if value is None:
        return None
    if hasattr(value, 'cpu'):
        value = value.cpu().numpy()
    return np.asarray(value).reshape(-1).astype(np.int64)


def semantic_labels(frame: Any, prefix: str, source: str,
                    label_divisor: int) -> np.ndarray:
    """Flat class ids of a frame's ``<prefix>_panoptic_seg`` (// the label
    divisor) or ``<prefix>_sem_seg``, in the order ``source`` prefers
    (``prefix``: ``'gt'`` or ``'pred'``). A prediction uses only the field
    ``source`` names (both for ``'auto'``); the ground truth falls back on
    the other field.

    Raises:
        ValueError: The frame has none of the fields allowed.
    """
    order = ['sem_seg', 'panoptic'] if source == 'sem_seg' else \
        ['panoptic', 'sem_seg']
    if prefix == 'pred' and source != 'auto':
        order = order[:1]
    for kind in order:
        if kind == 'panoptic':
            pan = _pixels(_get(frame, f'{prefix}_panoptic_seg'), 'sem_seg')
            if pan is not None:
                return pan // label_divisor
        else:
            sem = _pixels(_get(frame, f'{prefix}_sem_seg'), 'data')
            if sem is not None:
                return sem
    wanted = ' or '.join(f'{prefix}_{"panoptic_seg" if k == "panoptic" else k}'
                         for k in order)
    raise ValueError(f'{frame_name(frame)}: the frame has no {wanted}')


def frame_name(frame: Any) -> str:
    meta = frame if isinstance(frame, dict) else frame.metainfo
    return str(meta.get('img_path') or f'video {meta.get("video_id")} '
               f'frame {meta.get("frame_id")}')


def frames_of(predictions: Iterable) -> Iterable:
    """The frames of ``tools/test.py --out`` entries (one per video with
    ``video_data_samples``, or one per frame)."""
    for entry in predictions:
        frames = _get(entry, 'video_data_samples')
        yield from (frames if frames is not None else [entry])


def add_frame(matrix: np.ndarray, frame: Any, source: str = 'auto',
              label_divisor: int = 1000, ignore_index: int = 255) -> None:
    """Add a frame's pixels to ``matrix`` ((C, C + 1) counts, last column:
    predicted void) in place.

    Raises:
        ValueError: Shapes differ, or a class id is beyond the class list.
    """
    num_classes = matrix.shape[0]
    gt = semantic_labels(frame, 'gt', source, label_divisor)
    pred = semantic_labels(frame, 'pred', source, label_divisor)
    if gt.shape != pred.shape:
        raise ValueError(f'{frame_name(frame)}: ground truth has '
                         f'{gt.size} pixels, the prediction {pred.size}')
    keep = gt != ignore_index
    gt, pred = gt[keep], pred[keep]
    pred = np.where(pred == ignore_index, num_classes, pred)
    for side, ids, limit in (('ground-truth', gt, num_classes - 1),
                             ('predicted', pred, num_classes)):
        bad = (ids < 0) | (ids > limit)
        if bad.any():
            raise ValueError(f'{frame_name(frame)}: {side} class '
                             f'{int(ids[bad][0])} is beyond the '
                             f'{num_classes} classes')
    matrix += np.bincount(
        gt * (num_classes + 1) + pred,
        minlength=num_classes * (num_classes + 1)).reshape(matrix.shape)


def confusion_matrix(frames: Iterable, num_classes: int, **kwargs
                     ) -> np.ndarray:
    """(C, C + 1) pixel counts over ``frames`` (see :func:`add_frame`)."""
    matrix = np.zeros((num_classes, num_classes + 1), dtype=np.int64)
    for frame in frames:
        add_frame(matrix, frame, **kwargs)
    return matrix


def normalize(matrix: np.ndarray) -> np.ndarray:
    """Each row in percent of its ground-truth pixels (NaN: no pixels)."""
    rows = matrix.sum(axis=1, keepdims=True).astype(np.float64)
    with np.errstate(invalid='ignore', divide='ignore'):
        return np.where(rows > 0, 100 * matrix / rows, np.nan)


def plot_confusion_matrix(matrix: np.ndarray,
                          classes: Sequence[str],
                          out: Optional[str] = None,
                          normalized: bool = False,
                          show: bool = False,
                          cmap: str = 'plasma') -> None:
    """Draw ``matrix`` (rows: ground truth, columns: prediction + void);
    values are written in the cells for up to 30 classes."""
    import matplotlib
    if not show:
        matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    num = len(classes)
    size = max(4.0, 0.5 * num + 2)
    fig, ax = plt.subplots(figsize=(size * 1.1, size))
    image = ax.imshow(matrix, cmap=cmap, vmin=0,
                      vmax=100 if normalized else None)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ax.set_xticks(range(num + 1), list(classes) + ['void'], rotation=60,
                  ha='right')
    ax.set_yticks(range(num), list(classes))
    ax.set_xlabel('Prediction')
    ax.set_ylabel('Ground truth')
    ax.set_title('Normalized confusion matrix (% of the row)'
                 if normalized else 'Confusion matrix (pixels)')
    if num <= 30:
        top = np.nanmax(matrix) if np.isfinite(matrix).any() else 0
        for i, j in np.ndindex(matrix.shape):
            value = matrix[i, j]
            if np.isnan(value):
                continue
            text = f'{value:.0f}' if normalized else _short(value)
            ax.text(j, i, text, ha='center', va='center', fontsize=7,
                    color='black' if value > 0.6 * top else 'white')
    fig.tight_layout()
    if out is not None:
        fig.savefig(out, dpi=100)
    if show:
        plt.show()
    plt.close(fig)


def _short(count: float) -> str:
    for limit, unit in ((1e9, 'G'), (1e6, 'M'), (1e3, 'k')):
        if count >= limit:
            return f'{count / limit:.1f}{unit}'
    return f'{count:.0f}'


def parse_args(argv=None) -> argparse.Namespace:
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(
        description='Confusion matrix of semantic predictions (VSS / VPS)')
    parser.add_argument('config', help='test config file')
    parser.add_argument(
        'predictions',
        help='a .pkl / .pickle of tools/test.py --out, or a checkpoint to '
        'run on the test split')
    parser.add_argument('save_dir', help='where to write the matrix')
    parser.add_argument(
        '--normalize', action='store_true',
        help='plot each row in percent of its ground-truth pixels')
    parser.add_argument(
        '--source', choices=SOURCES, default='auto',
        help='semantic labels from the panoptic or the sem_seg field '
        '(auto: panoptic when the frame has it)')
    parser.add_argument(
        '--label-divisor', type=int,
        help='panoptic id = class * divisor + track (default: the test '
        "evaluator's label_divisor, else 1000)")
    parser.add_argument(
        '--ignore-index', type=int, default=255,
        help='void class id (255)')
    parser.add_argument('--color-theme', default='plasma',
                        help='matplotlib colour map (plasma)')
    parser.add_argument('--show', action='store_true',
                        help='also show the figure')
    parser.add_argument('--work-dir',
                        help='runner work dir when running a checkpoint')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of the config, key=value pairs')
    return parser.parse_args(argv)


def _evaluator_option(evaluator: Any, key: str) -> Optional[Any]:
    for metric in evaluator if isinstance(evaluator, list) else [evaluator]:
        if isinstance(metric, dict) and key in metric:
            return metric[key]
    return None


def class_names(cfg) -> Tuple[str, ...]:
    """The test dataset's classes (the config's metainfo, else the built
    dataset's)."""
    from mmvidseg.registry import DATASETS
    dataset = cfg.test_dataloader.dataset
    classes = (dataset.get('metainfo') or {}).get('classes')
    if classes is None:
        classes = DATASETS.build(dataset).metainfo.get('classes')
    if not classes:
        raise ValueError('the test dataset has no class names (metainfo '
                         'classes)')
    return tuple(classes)


def run_model(cfg, checkpoint: str, work_dir: Optional[str],
              num_classes: int, **kwargs) -> Tuple[np.ndarray, dict]:
    """Test ``checkpoint`` with the config's runner (one process) and count
    the frames' pixels as they are predicted; returns the matrix and the
    config's metrics (which run too)."""
    from mmengine.evaluator import BaseMetric
    from mmengine.runner import Runner

    class _Confusion(BaseMetric):
        """Counts in one matrix: mmengine's result collection would cut
        the per-batch results to the number of videos (one process)."""
        default_prefix = ''

        def __init__(self):
            super().__init__()
            self.matrix = np.zeros((num_classes, num_classes + 1), np.int64)

        def process(self, data_batch, data_samples):
            for frame in frames_of(data_samples):
                add_frame(self.matrix, frame, **kwargs)

        def compute_metrics(self, results):
            return {}

        def evaluate(self, size):
            return {}

    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint {checkpoint!r} does not exist')
    cfg.load_from = checkpoint
    cfg.work_dir = work_dir or osp.join(
        'work_dirs', 'confusion_matrix',
        osp.splitext(osp.basename(cfg.filename))[0])
    runner = Runner.from_cfg(cfg)
    metric = _Confusion()
    runner.test_evaluator.metrics.append(metric)
    metrics = runner.test()
    return metric.matrix, metrics


def main(argv=None) -> np.ndarray:
    from mmengine.config import Config

    from mmvidseg.utils import register_all_modules
    args = parse_args(argv)
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    classes = class_names(cfg)
    divisor = args.label_divisor or _evaluator_option(
        cfg.get('test_evaluator'), 'label_divisor') or 1000
    kwargs = dict(source=args.source, label_divisor=divisor,
                  ignore_index=args.ignore_index)
    if args.predictions.endswith(('.pkl', '.pickle')):
        with open(args.predictions, 'rb') as f:
            predictions = pickle.load(f)
        matrix = confusion_matrix(frames_of(predictions), len(classes),
                                  **kwargs)
    else:
        matrix, _ = run_model(cfg, args.predictions, args.work_dir,
                              len(classes), **kwargs)
    os.makedirs(args.save_dir, exist_ok=True)
    np.save(osp.join(args.save_dir, 'confusion_matrix.npy'), matrix)
    plot_confusion_matrix(
        normalize(matrix) if args.normalize else matrix, classes,
        osp.join(args.save_dir, 'confusion_matrix.png'), args.normalize,
        args.show, args.color_theme)
    print(f'confusion matrix of {int(matrix.sum())} pixels written to '
          f'{args.save_dir}')
    return matrix


if __name__ == '__main__':
    main()
