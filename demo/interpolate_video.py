# Copyright (c) OpenMMLab. All rights reserved.
"""Double a video's frame rate with a frame-interpolation model.

Between every two consecutive frames of the input video, the model (an
interpolation config, e.g. Deep Voxel Flow) synthesises the middle frame;
the output has ``2 * N - 1`` frames at twice the frame rate, so it lasts as
long as the input (``--fps-multiplier 4``: three frames between each pair).
A thin command line over
:class:`mmvidseg.apis.FrameInterpolationInferencer`.

Example::

    python demo/interpolate_video.py input.mp4 \\
        configs/deep_voxel_flow/dvf_unet-ms3_1xb32-400e_ucf101-triplets.py \\
        dvf_ucf101.pth --out output_2x.mp4
"""
import argparse
import os.path as osp
import sys


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Double the frame rate of a video',
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n\n', 1)[1])
    parser.add_argument('video', help='input video file (anything OpenCV '
                        'reads) or a folder of frames')
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
        '--fps-multiplier',
        type=int,
        default=2,
        help='2, 4, 8, ...: frames per input frame interval (default 2)')
    parser.add_argument(
        '--no-progress', action='store_true', help='no progress bar')
    return parser.parse_args(argv)


def build_model(config: str, checkpoint: str, device: str,
                show_progress: bool = True):
    """The interpolation inferencer of a config and its checkpoint."""
    from mmvidseg.apis import FrameInterpolationInferencer
    return FrameInterpolationInferencer(
        config, checkpoint, device=device, show_progress=show_progress)


def main(argv=None):
    args = parse_args(argv)
    if not osp.exists(args.video):
        raise FileNotFoundError(f'video {args.video} does not exist')
    inferencer = build_model(args.config, args.checkpoint, args.device,
                             not args.no_progress)
    out = inferencer(
        args.video,
        batch_size=args.batch_size,
        fps_multiplier=args.fps_multiplier,
        out_file=args.out,
        fourcc=args.fourcc,
        return_frames=False)
    read, written = out['num_input_frames'], len(out['synthesized'])
    fps = out['fps'] / args.fps_multiplier
    print(f'\n{args.video}: {read} frames at {fps:g} fps -> {args.out}: '
          f'{written} frames at {out["fps"]:g} fps')
    return 0


if __name__ == '__main__':
    sys.exit(main())
