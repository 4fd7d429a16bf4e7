# Copyright (c) OpenMMLab. All rights reserved.
"""Double a video's frame rate with a frame-interpolation model.

Between every two consecutive frames of the input video, the model (an
interpolation config, e.g. Deep Voxel Flow) synthesises the middle frame;
the output has ``2 * N - 1`` frames at twice the frame rate, so it lasts as
long as the input.

Example::

    python demo/interpolate_video.py input.mp4 \\
        configs/deep_voxel_flow/dvf_unet-ms3_1xb32-400e_ucf101-triplets.py \\
        dvf_ucf101.pth --out output_2x.mp4
"""
import argparse
import os.path as osp
import sys

import cv2
import numpy as np
import torch


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Double the frame rate of a video',
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n\n', 1)[1])
    parser.add_argument('video', help='input video file (anything OpenCV '
                        'reads)')
    parser.add_argument('config', help='interpolation model config')
    parser.add_argument('checkpoint', help='model checkpoint')
    parser.add_argument('--out', required=True, help='output video file')
    parser.add_argument(
        '--fourcc',
        default=None,
        help='output codec (default: mp4v for .mp4, MJPG otherwise)')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    parser.add_argument(
        '--batch-size', type=int, default=4, help='frame pairs per batch')
    parser.add_argument(
        '--no-progress', action='store_true', help='no progress bar')
    return parser.parse_args(argv)


def build_model(config: str, checkpoint: str, device: str):
    """Build an interpolation model from a config and load its weights."""
    from mmengine.config import Config
    from mmengine.runner import load_checkpoint

    from mmvidseg.registry import MODELS
    from mmvidseg.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(config)
    model = MODELS.build(cfg.model)
    if getattr(model, 'synthesis', 'inter') != 'inter':
        raise ValueError(f'{config} is a {model.synthesis!r} model; doubling '
                         'the frame rate needs interpolation (inter)')
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint {checkpoint} does not exist')
    load_checkpoint(model, checkpoint, map_location='cpu')
    return model.to(device).eval()


@torch.no_grad()
def interpolate_pairs(model, pairs):
    """Middle frames of (first, second) pairs of (H, W, 3) uint8 BGR
    frames, as (H, W, 3) uint8 BGR frames."""
    pre = model.data_preprocessor
    clips = [
        torch.from_numpy(np.stack([a, b]).transpose(0, 3, 1, 2).copy())
        for a, b in pairs
    ]
    data = pre(dict(inputs=clips, data_samples=None), False)
    frames, _ = model(data['inputs'], mode='tensor')
    frames = model.denormalize(frames).clamp(0, 255).round()
    frames = frames.to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()
    if getattr(pre, '_channel_conversion', False):
        frames = frames[..., ::-1]  # the model works in RGB; write BGR
    return [np.ascontiguousarray(f) for f in frames]


def main(argv=None):
    args = parse_args(argv)
    if not osp.isfile(args.video):
        raise FileNotFoundError(f'video {args.video} does not exist')
    reader = cv2.VideoCapture(args.video)
    if not reader.isOpened():
        raise ValueError(f'OpenCV cannot open the video {args.video}')
    fps = reader.get(cv2.CAP_PROP_FPS) or 25.0
    width = int(reader.get(cv2.CAP_PROP_FRAME_WIDTH))
    height = int(reader.get(cv2.CAP_PROP_FRAME_HEIGHT))
    total = int(reader.get(cv2.CAP_PROP_FRAME_COUNT))
    model = build_model(args.config, args.checkpoint, args.device)

    fourcc = args.fourcc or ('mp4v' if args.out.lower().endswith('.mp4')
                             else 'MJPG')
    writer = cv2.VideoWriter(args.out, cv2.VideoWriter_fourcc(*fourcc),
                             2 * fps, (width, height))
    if not writer.isOpened():
        raise ValueError(f'OpenCV cannot write {args.out} with codec '
                         f'{fourcc}; try another --fourcc or extension')
    progress = None
    if not args.no_progress:
        from mmengine.utils import ProgressBar
        progress = ProgressBar(max(total, 1))

    prev, pairs, written, read = None, [], 0, 0

    def flush():
        nonlocal written
        for (first, _), middle in zip(pairs, interpolate_pairs(model,
                                                               pairs)):
            writer.write(first)
            writer.write(middle)
            written += 2
        pairs.clear()

    while True:
        ok, frame = reader.read()
        if not ok:
            break
        read += 1
        if frame.shape[:2] != (height, width):
            raise ValueError(f'{args.video}: frame {read} is '
                             f'{frame.shape[1]}x{frame.shape[0]}, the video '
                             f'header says {width}x{height}')
        if prev is not None:
            pairs.append((prev, frame))
            if len(pairs) == args.batch_size:
                flush()
        prev = frame
        if progress is not None:
            progress.update()
    if pairs:
        flush()
    if prev is not None:
        writer.write(prev)
        written += 1
    reader.release()
    writer.release()
    if read == 0:
        raise ValueError(f'no frame could be read from {args.video}')
    print(f'\n{args.video}: {read} frames at {fps:g} fps -> {args.out}: '
          f'{written} frames at {2 * fps:g} fps')
    return 0


if __name__ == '__main__':
    sys.exit(main())
