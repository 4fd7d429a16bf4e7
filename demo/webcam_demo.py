# Copyright (c) OpenMMLab. All rights reserved.
"""Run a video model live on a webcam: each camera frame is segmented (and
tracked) or detected as it arrives, drawn, shown and/or written.

The model is chosen as in ``demo/video_demo.py`` (its
``build_inferencer``): a VOD config (TransVOD) runs through
``VideoDetInferencer``, any VPS / VIS / VSS / DVPS config through
``VideoSegInferencer``. Online models hold one frame at a time, so the
demo runs for as long as the camera gives frames (or ``--max-frames``);
clip-level VIS models need the whole video first and are refused. Stop
with Ctrl-C (the output video is closed properly).

Examples::

    # the first webcam, shown live
    python demo/webcam_demo.py \\
        configs/video_knet/video-knet_r18-w16_1xb2-6k_toy-kitti-step.py \\
        work_dirs/knet_toy/iter_6000.pth --show
    # camera 1, 200 frames written to a video, on a GPU
    python demo/webcam_demo.py CONFIG CHECKPOINT --camera-id 1 \\
        --max-frames 200 --out webcam.mp4 --device cuda:0
"""
import argparse
import importlib.util
import os.path as osp
import sys


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Segment (and track) or detect webcam frames live',
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n\n', 1)[1])
    parser.add_argument(
        'config', help='VPS / VSS / DVPS / VOD model config (online)')
    parser.add_argument(
        'checkpoint',
        nargs='?',
        default=None,
        help='model checkpoint (none: random weights, with a warning)')
    parser.add_argument(
        '--camera-id', type=int, default=0, help='OpenCV camera index')
    parser.add_argument(
        '--out', default=None, help='write the drawings to this video')
    parser.add_argument(
        '--show', action='store_true', help='show each drawn frame')
    parser.add_argument(
        '--max-frames', type=int, default=None, help='stop after N frames')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    parser.add_argument(
        '--score-thr',
        type=float,
        default=0.3,
        help='score threshold of drawn instances (default 0.3)')
    parser.add_argument(
        '--fps',
        type=float,
        default=None,
        help="frame rate of --out (default: the camera's, else 25)")
    parser.add_argument(
        '--wait-time',
        type=float,
        default=0.001,
        help='seconds each frame is shown with --show')
    args = parser.parse_args(argv)
    if args.out is None and not args.show:
        parser.error('nothing to do: give --out and/or --show')
    if args.max_frames is not None and args.max_frames < 1:
        parser.error('--max-frames must be >= 1')
    # what demo/video_demo.py's build_inferencer reads
    args.det_file, args.no_progress = None, True
    return args


def video_demo():
    """``demo/video_demo.py`` as a module (it chooses the inferencer)."""
    path = osp.join(osp.dirname(osp.abspath(__file__)), 'video_demo.py')
    spec = importlib.util.spec_from_file_location('mmvidseg_video_demo',
                                                  path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv=None):
    args = parse_args(argv)
    inferencer, _ = video_demo().build_inferencer(args)
    if getattr(inferencer, 'clip_level', False):
        raise ValueError(f'{args.config} is a clip-level model (the whole '
                         'video at once): it cannot run live; use '
                         'demo/video_demo.py on a recorded video')
    from mmvidseg.apis import FrameSource, FrameWriter
    frames = FrameSource(args.camera_id, args.max_frames)
    writer = FrameWriter(args.out, args.fps or frames.fps) \
        if args.out else None
    count = 0
    try:
        for result in inferencer.stream(
                frames,
                return_vis=writer is not None,
                show=args.show,
                wait_time=args.wait_time,
                pred_score_thr=args.score_thr):
            if writer is not None:
                writer.write(result['visualization'][..., ::-1],
                             result['frame_name'])
            count += 1
    except KeyboardInterrupt:
        print('\nstopped')
    finally:
        frames.close()
        if writer is not None:
            writer.close()
    print(f'camera {args.camera_id}: {count} frames' +
          (f' -> {args.out}' if args.out else ''))
    return 0


if __name__ == '__main__':
    sys.exit(main())
