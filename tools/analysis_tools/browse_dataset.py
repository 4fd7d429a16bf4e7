# Copyright (c) OpenMMLab. All rights reserved.
"""Write what a dataset config loads as annotated frames.

Each frame of each sample is written to
``OUT_DIR/<sample>_<video>/<frame>.png``, drawn by
:class:`mmvidseg.visualization.VideoLocalVisualizer` (the visualizer of
``tools/test.py --show-dir`` and the demos): the image with the ground-truth
masks overlaid (panoptic, semantic or instance / object masks), boxes and
``track class`` labels, and a depth and an optical-flow panel on the right
when the sample has them. Colours follow ids, not positions: a track keeps
its colour in every frame and sample (stuff and semantic classes use the
dataset palette), so identity switches are visible at a glance.

Training samples are drawn as the network gets them (after crops and
flips). Validation pipelines load annotations after ``Resize``, so their
frames are drawn back at the original size.

Examples:
    python tools/analysis_tools/browse_dataset.py \\
        configs/_base_/datasets/toy_kitti_step.py --output-dir work_dirs/browse
    python tools/analysis_tools/browse_dataset.py \\
        configs/_base_/datasets/toy_davis.py --split val --num-samples 1
"""
import argparse
import os
import os.path as osp

import numpy as np


def parse_args(argv=None):
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(
        description='Draw the frames and annotations a dataset config '
        'loads.',
        epilog=__doc__.split('\n\n', 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='config file')
    parser.add_argument(
        '--split', choices=['train', 'val', 'test'], default='train',
        help='which dataloader to draw (train)')
    parser.add_argument(
        '--output-dir', default='work_dirs/browse_dataset',
        help='where to write the frames (work_dirs/browse_dataset)')
    parser.add_argument(
        '--num-samples', type=int, default=4, help='samples to draw (4)')
    parser.add_argument(
        '--data-root', help='override the dataset data_root')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config entries, as in tools/train.py')
    return parser.parse_args(argv)


def annotation_shape(frame, fallback: tuple) -> tuple:
    """(H, W) of a frame's dense annotations (validation pipelines load
    them at the original size), else ``fallback``."""
    for field, attr in (('gt_panoptic_seg', 'sem_seg'),
                        ('gt_sem_seg', 'data'), ('gt_depth', 'data')):
        if field in frame:
            return tuple(getattr(frame.get(field), attr).shape[-2:])
    return tuple(fallback)


def draw_sample(visualizer, imgs: np.ndarray, frames,
                at_original_size: bool = False) -> list:
    """The RGB drawings of one sample's frames.

    Args:
        visualizer (VideoLocalVisualizer): With the dataset's meta.
        imgs (np.ndarray): (T, H, W, 3) BGR frames as packed.
        frames (list): The T frame data samples.
        at_original_size (bool): Draw frames without dense annotations at
            their ``ori_shape`` (validation pipelines).
    """
    import mmcv
    drawn = []
    for img, frame in zip(imgs, frames):
        fallback = tuple(frame.ori_shape[:2]) if at_original_size and \
            'ori_shape' in frame.metainfo else img.shape[:2]
        shape = annotation_shape(frame, fallback)
        if img.shape[:2] != shape:
            img = mmcv.imresize(img, (shape[1], shape[0]))
        rgb = np.ascontiguousarray(img[..., ::-1])
        drawn.append(visualizer.draw_frame(rgb, frame, draw_gt=True,
                                           draw_pred=False))
    return drawn


def browse(cfg, split: str, out_dir: str, num_samples: int) -> list:
    """Draw ``num_samples`` samples; return the files written."""
    import mmcv

    from mmvidseg.registry import DATASETS
    from mmvidseg.visualization import VideoLocalVisualizer
    dataset = DATASETS.build(cfg[f'{split}_dataloader'].dataset)
    visualizer = VideoLocalVisualizer(name='browse_dataset')
    visualizer.dataset_meta = dataset.metainfo
    written = []
    for index in range(min(num_samples, len(dataset))):
        packed = dataset.prepare_data(index)
        frames = packed['data_samples'].video_data_samples
        imgs = packed['inputs'].numpy().transpose(0, 2, 3, 1)  # BGR
        drawings = draw_sample(visualizer, imgs, frames, split != 'train')
        for k, (frame, drawn) in enumerate(zip(frames, drawings)):
            name = str(frame.metainfo.get('video_name', frame.video_id))
            path = osp.join(out_dir, f'{index:03d}_{name}',
                            f'{k:02d}_frame{frame.frame_id:06d}.png')
            mmcv.imwrite(drawn[..., ::-1], path)
            written.append(path)
    return written


def main(argv=None):
    args = parse_args(argv)
    from mmengine.config import Config

    from mmvidseg.utils.setup_env import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.data_root:
        cfg[f'{args.split}_dataloader'].dataset.data_root = args.data_root
    os.makedirs(args.output_dir, exist_ok=True)
    written = browse(cfg, args.split, args.output_dir, args.num_samples)
    print(f'wrote {len(written)} frames to {args.output_dir}')


if __name__ == '__main__':
    main()
