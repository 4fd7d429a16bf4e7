# Copyright (c) OpenMMLab. All rights reserved.
"""Run a video segmentation (VPS / VIS / VSS / DVPS) or video object
detection (VOD) model on a video and write the annotated video (or frames).

Any VPS / VIS / VSS / DVPS config of mmvidseg works (Video K-Net,
Tube-Link, the frame baseline, Deep Layer Cascade, PolyphonicFormer with its
depth colour map...) through ``VideoSegInferencer``, and
any VOD config (TransVOD, its single-frame detector) through
``VideoDetInferencer``: boxes with class and score, and with ``--det-file``
the boxes as ImageNet VID submission lines. VS-ReID (first-frame masks)
has its own demo, ``demo/vos_demo.py``. The input is a video file, a folder of
frames (sorted image files) or a webcam index; ``--out`` ending with a
video suffix (``.mp4``, ``.avi``...) gets a video at the input's frame
rate, any other ``--out`` a folder of one JPEG per frame. Panoptic things
and instances keep one colour per track id through the video. A thin
command line over :class:`mmvidseg.apis.VideoSegInferencer`.

Examples::

    python demo/video_demo.py input.mp4 \\
        configs/video_knet/video-knet_r50_8xb1-24e_kitti-step.py \\
        knet_kitti_step.pth --out output.mp4 --device cuda:0
    # a folder of frames in, one drawing per frame out
    python demo/video_demo.py data/toy_vspw/data/toy_1000/origin \\
        configs/video_knet/video-knet_r18-w16_1xb2-2k_toy-vspw.py \\
        work_dirs/knet_vspw/iter_2000.pth --out drawn_frames/
    # video object detection: drawn boxes and the ImageNet VID lines
    python demo/video_demo.py input.mp4 \\
        configs/transvod/transvod_r18-w16_1xb1-1k_toy-imagenet-vid.py \\
        work_dirs/transvod_toy/iter_1000.pth --out boxes.mp4 \\
        --det-file boxes.txt
    # the first webcam, shown live (stop with Ctrl-C)
    python demo/video_demo.py 0 CONFIG CHECKPOINT --show --out webcam.mp4
"""
import argparse
import os.path as osp
import sys


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Segment (and track) a video, write the drawing',
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n\n', 1)[1])
    parser.add_argument(
        'input', help='video file, folder of frames, or a webcam index')
    parser.add_argument(
        'config', help='VPS / VIS / VSS / DVPS / VOD model config')
    parser.add_argument(
        'checkpoint',
        nargs='?',
        default=None,
        help='model checkpoint (none: random weights, with a warning)')
    parser.add_argument(
        '--out',
        required=True,
        help='output video (.mp4, .avi, ...) or folder of frames')
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
        help='frame rate of an output video (default: the input\'s, 25 for '
        'frame folders)')
    parser.add_argument(
        '--max-frames', type=int, default=None, help='stop after N frames')
    parser.add_argument(
        '--show', action='store_true', help='show each drawn frame')
    parser.add_argument(
        '--wait-time',
        type=float,
        default=0.001,
        help='seconds each frame is shown with --show')
    parser.add_argument(
        '--det-file',
        default=None,
        help='VOD models: write the boxes to this text file (ImageNet VID '
        'submission lines)')
    parser.add_argument(
        '--no-progress', action='store_true', help='no progress bar')
    return parser.parse_args(argv)


def build_inferencer(args):
    """``(inferencer, is_vod)``: ``VideoDetInferencer`` for a detector
    config (a ``FrameDetector`` such as TransVOD), else
    ``VideoSegInferencer``.

    Raises:
        ValueError: ``--det-file`` with a segmentation config, or a VS-ReID
            config (see ``demo/vos_demo.py``).
    """
    from mmengine.config import Config

    from mmvidseg.apis import VideoDetInferencer, VideoSegInferencer
    from mmvidseg.models.video_models import FrameDetector, VSReID
    from mmvidseg.registry import MODELS
    from mmvidseg.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(args.config)
    kind = cfg.model.get('type')
    model_cls = MODELS.get(kind) if isinstance(kind, str) else kind
    if isinstance(model_cls, type) and issubclass(model_cls, VSReID):
        raise ValueError(f'{args.config} is a video object segmentation '
                         'model: use demo/vos_demo.py with a first-frame '
                         'mask')
    is_vod = isinstance(model_cls, type) and issubclass(
        model_cls, FrameDetector)
    if args.det_file and not is_vod:
        raise ValueError('--det-file is for video object detection '
                         f'configs; {args.config} is not one')
    inferencer_cls = VideoDetInferencer if is_vod else VideoSegInferencer
    return inferencer_cls(
        cfg,
        args.checkpoint,
        device=args.device,
        show_progress=not args.no_progress), is_vod


def main(argv=None):
    args = parse_args(argv)
    source = int(args.input) if args.input.isdigit() else args.input
    if isinstance(source, str) and not osp.exists(source):
        raise FileNotFoundError(f'input {source} does not exist')
    from mmvidseg.apis import FrameSource, FrameWriter
    inferencer, is_vod = build_inferencer(args)
    frames = FrameSource(source, args.max_frames)
    writer = FrameWriter(args.out, args.fps or frames.fps)
    extra = dict(submission_file=args.det_file) if is_vod else {}
    count = 0
    try:
        for result in inferencer.stream(
                frames,
                return_vis=True,
                show=args.show,
                wait_time=args.wait_time,
                pred_score_thr=args.score_thr,
                **extra):
            writer.write(result['visualization'][..., ::-1],
                         result['frame_name'])
            count += 1
    finally:
        writer.close()
    print(f'\n{args.input}: {count} frames -> {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
