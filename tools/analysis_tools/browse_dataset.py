# Copyright (c) OpenMMLab. All rights reserved.
"""Write what a dataset config loads as annotated frames.

Each frame of each sample is written to
``OUT_DIR/<sample>_<video>/<frame>.png``: the image with the masks
overlaid (panoptic, semantic or instance/object masks), boxes with their
track ids, and a depth and an optical-flow panel on the right when the
sample has them. Colours follow ids, not positions: a track keeps its
colour in every frame and sample (stuff and semantic classes use the
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
import zlib

import numpy as np

#: Blend weight of mask colours over the image.
ALPHA = 0.55


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


def id_colour(key: int) -> tuple:
    """A stable, saturated BGR colour for an integer id."""
    h = zlib.crc32(str(int(key)).encode())
    hue = (h % 360) / 360.0
    sat, val = 0.65 + (h >> 9) % 35 / 100.0, 0.75 + (h >> 17) % 25 / 100.0
    i = int(hue * 6) % 6
    f = hue * 6 - int(hue * 6)
    p, q, t = val * (1 - sat), val * (1 - f * sat), val * (1 - (1 - f) * sat)
    r, g, b = [(val, t, p), (q, val, p), (p, val, t), (p, q, val),
               (t, p, val), (val, p, q)][i]
    return int(b * 255), int(g * 255), int(r * 255)


def class_colour(label: int, palette) -> tuple:
    """Palette colour (given as RGB) of a class, as BGR."""
    if palette is not None and 0 <= label < len(palette):
        r, g, b = palette[label]
        return int(b), int(g), int(r)
    return id_colour(100000 + label)


def _resize(arr: np.ndarray, shape: tuple) -> np.ndarray:
    import mmcv
    if arr.shape[:2] == tuple(shape):
        return arr
    return mmcv.imresize(arr, (shape[1], shape[0]), interpolation='nearest')


def colour_ids(ids: np.ndarray, colour_of) -> np.ndarray:
    """(H, W) ids -> (H, W, 3) BGR; id -1 stays black."""
    out = np.zeros(ids.shape + (3, ), np.uint8)
    for value in np.unique(ids):
        if value >= 0:
            out[ids == value] = colour_of(int(value))
    return out


def depth_panel(depth: np.ndarray, max_depth: float) -> np.ndarray:
    import cv2
    scaled = np.clip(depth / max(max_depth, 1e-6), 0, 1)
    panel = cv2.applyColorMap((255 - scaled * 255).astype(np.uint8),
                              cv2.COLORMAP_JET)
    panel[depth <= 0] = 0  # no ground truth
    return panel


def flow_panel(flow: np.ndarray) -> np.ndarray:
    """Middlebury-style colour coding: hue = direction, value = speed."""
    import cv2
    dx, dy = flow[..., 0], flow[..., 1]
    mag = np.sqrt(dx**2 + dy**2)
    hsv = np.zeros(flow.shape[:2] + (3, ), np.uint8)
    hsv[..., 0] = ((np.arctan2(-dy, -dx) / np.pi + 1) * 90).astype(np.uint8)
    hsv[..., 1] = 255
    hsv[..., 2] = np.clip(mag / max(mag.max(), 1e-6) * 255, 0,
                          255).astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)


def draw_frame(img: np.ndarray, frame, palette, max_depth: float,
               divisor: int = 1000, ignore_index: int = 255,
               at_original_size: bool = False) -> np.ndarray:
    """Draw one ``DetDataSample`` over its (H, W, 3) BGR image."""
    import cv2
    shape = img.shape[:2]
    for field, attr in (('gt_panoptic_seg', 'sem_seg'), ('gt_sem_seg',
                                                         'data'),
                        ('gt_depth', 'data')):
        if field in frame:
            shape = tuple(getattr(frame.get(field), attr).shape[-2:])
            break
    else:
        if at_original_size and 'ori_shape' in frame.metainfo:
            shape = tuple(frame.ori_shape[:2])
    canvas = _resize(img, shape).astype(np.float32)
    overlay, covered = None, None
    if 'gt_panoptic_seg' in frame:
        pan = frame.gt_panoptic_seg.sem_seg[0].numpy().astype(np.int64)
        cls = pan // divisor

        def colour_of(value):
            label, track = divmod(value, divisor)
            return class_colour(label, palette) if track == 0 else \
                id_colour(value)

        pan = np.where(cls == ignore_index, -1, pan)
        overlay, covered = colour_ids(pan, colour_of), pan >= 0
    elif 'gt_sem_seg' in frame:
        sem = frame.gt_sem_seg.data[0].numpy().astype(np.int64)
        sem = np.where(sem == ignore_index, -1, sem)
        overlay = colour_ids(sem, lambda v: class_colour(v, palette))
        covered = sem >= 0
    inst = frame.get('gt_instances')
    if inst is not None and 'masks' in inst and len(inst) and overlay is None:
        masks = inst.masks.masks if hasattr(inst.masks, 'masks') else \
            np.asarray(inst.masks)
        overlay = np.zeros(shape + (3, ), np.uint8)
        covered = np.zeros(shape, bool)
        ids = inst.instances_ids.tolist() if 'instances_ids' in inst else \
            list(range(len(inst)))
        for mask, key in zip(masks, ids):
            mask = _resize(mask.astype(np.uint8), shape).astype(bool)
            overlay[mask] = id_colour(key)
            covered |= mask
    if overlay is not None:
        canvas[covered] = (1 - ALPHA) * canvas[covered] + \
            ALPHA * overlay[covered]
    canvas = canvas.clip(0, 255).astype(np.uint8)
    if inst is not None and 'bboxes' in inst and len(inst):
        ids = inst.instances_ids.tolist() if 'instances_ids' in inst else \
            list(range(len(inst)))
        labels = inst.labels.tolist() if 'labels' in inst else [0] * len(ids)
        for box, key, label in zip(inst.bboxes.tolist(), ids, labels):
            x1, y1, x2, y2 = (int(round(v)) for v in box)
            colour = id_colour(key)
            cv2.rectangle(canvas, (x1, y1), (max(x2 - 1, x1), max(y2 - 1, y1)),
                          colour, 1)
            cv2.putText(canvas, f'{key}:{label}', (x1, max(y1 - 2, 8)),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.3, colour, 1)
    panels = [canvas]
    if 'gt_depth' in frame:
        panels.append(depth_panel(
            _resize(frame.gt_depth.data[0].numpy(), shape), max_depth))
    if 'gt_flow' in frame:
        panels.append(flow_panel(
            _resize(frame.gt_flow.data.numpy().transpose(1, 2, 0), shape)))
    return np.concatenate(panels, axis=1)


def browse(cfg, split: str, out_dir: str, num_samples: int) -> list:
    """Draw ``num_samples`` samples; return the files written."""
    import mmcv

    from mmvidseg.registry import DATASETS
    dataset = DATASETS.build(cfg[f'{split}_dataloader'].dataset)
    palette = dataset.metainfo.get('palette')
    written = []
    for index in range(min(num_samples, len(dataset))):
        packed = dataset.prepare_data(index)
        sample = packed['data_samples']
        imgs = packed['inputs'].numpy().transpose(0, 2, 3, 1)  # BGR
        frames = sample.video_data_samples
        depths = [f.gt_depth.data.max().item() for f in frames
                  if 'gt_depth' in f]
        max_depth = max(depths) if depths else 1.0
        for k, (img, frame) in enumerate(zip(imgs, frames)):
            name = str(frame.metainfo.get('video_name', frame.video_id))
            path = osp.join(out_dir, f'{index:03d}_{name}',
                            f'{k:02d}_frame{frame.frame_id:06d}.png')
            drawn = draw_frame(
                np.ascontiguousarray(img), frame, palette, max_depth,
                ignore_index=frame.metainfo.get('ignore_index', 255),
                at_original_size=split != 'train')
            mmcv.imwrite(drawn, path)
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
