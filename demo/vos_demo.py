# Copyright (c) OpenMMLab. All rights reserved.
"""Semi-supervised video object segmentation of a video (VS-ReID).

Give a video (a file OpenCV reads, a folder of frames sorted by name, or a
webcam index with ``--max-frames``) and the mask of its first frame (a
palette or greyscale PNG of object ids, 0 background, as DAVIS
annotations): the objects are propagated through the video and the result
is written as a video with every object drawn in the colour of its id
(``--out x.mp4``) or, with ``--out`` a folder, as DAVIS palette PNGs
``00000.png``, ``00001.png``... A thin command line over
:class:`mmvidseg.apis.VOSInferencer`.

VS-ReID needs the video's optical flow. A config whose ``model.flow``
estimates it needs nothing; with ``--raft-checkpoint PATH`` the config's
flow source is replaced by torchvision's RAFT (``RAFTFlowEstimator``)
with those local weights; otherwise (the toy configs read precomputed
flow) ``--flow`` gives a folder of ``.flo`` files (DAVIS'
``Flow/480p/<seq>``) or ``farneback`` (OpenCV's estimate, the default
there: good enough to try a video, not the flow the model was trained on).

Example::

    python demo/vos_demo.py video.mp4 first_mask.png \\
        configs/vs_reid/vs-reid_r18-w16_1xb2-1k_toy-davis.py vs_reid.pth \\
        --raft-checkpoint raft_large_C_T_SKHT_V2-ff5fadd5.pth --out out.mp4
    # a toy DAVIS sequence with its exact flow, DAVIS PNGs out
    python demo/vos_demo.py data/toy_davis/JPEGImages/480p/toy_0000 \\
        data/toy_davis/Annotations/480p/toy_0000/00000.png \\
        configs/vs_reid/vs-reid_r18-w16_1xb2-1k_toy-davis.py vs_reid.pth \\
        --flow data/toy_davis/Flow/480p/toy_0000 --out pngs/
"""
import argparse
import os.path as osp
import sys


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Segment the objects of a first-frame mask in a video',
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n\n', 1)[1])
    parser.add_argument(
        'video', help='video file, folder of frames or webcam index')
    parser.add_argument('mask', help='first-frame mask PNG (object ids)')
    parser.add_argument('config', help='VS-ReID config')
    parser.add_argument('checkpoint', help='model checkpoint')
    parser.add_argument(
        '--out',
        required=True,
        help='output video file, or a folder for '
        'palette PNGs')
    parser.add_argument(
        '--raft-checkpoint',
        default=None,
        help='estimate flow with '
        "torchvision's RAFT from these local weights")
    parser.add_argument('--raft-arch', default='raft_large')
    parser.add_argument(
        '--flow',
        default=None,
        help='for configs reading precomputed flow: '
        'a folder of .flo files, or "farneback" (OpenCV; the default)')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    parser.add_argument(
        '--fps',
        type=float,
        default=None,
        help='output fps (default: the input video\'s, 25 '
        'for a folder)')
    parser.add_argument(
        '--max-frames', type=int, default=None, help='read at most N frames')
    return parser.parse_args(argv)


def build_inferencer(args):
    """The :class:`VOSInferencer` of the arguments (RAFT when asked)."""
    from mmvidseg.apis import VOSInferencer
    flow_source = None
    if args.raft_checkpoint is not None:
        flow_source = dict(
            type='RAFTFlowEstimator',
            arch=args.raft_arch,
            checkpoint=args.raft_checkpoint)
    return VOSInferencer(
        args.config,
        args.checkpoint,
        device=args.device,
        flow_source=flow_source)


def main(argv=None):
    args = parse_args(argv)
    source = int(args.video) if args.video.isdigit() else args.video
    if isinstance(source, str) and not osp.exists(source):
        raise FileNotFoundError(f'video {source} does not exist')
    from mmvidseg.apis import FrameSource, FrameWriter
    from mmvidseg.apis.vos_inferencer import save_palette_png
    inferencer = build_inferencer(args)
    flows = args.flow
    if flows is None and inferencer.precomputed_flow:
        flows = 'farneback'
    frames = FrameSource(source, args.max_frames)
    fps = args.fps or frames.fps
    as_pngs = not osp.splitext(args.out)[1]
    result = inferencer(frames, args.mask, flows=flows, return_vis=not as_pngs)
    maps = [p['sem_seg'] for p in result['predictions']]
    if as_pngs:
        for t, ids in enumerate(maps):
            save_palette_png(osp.join(args.out, f'{t:05d}.png'), ids)
    else:
        writer = FrameWriter(args.out, fps)
        for image in result['visualization']:
            writer.write(image[..., ::-1])
        writer.close()
    objects = {int(i) for m in maps[:1] for i in set(m.ravel()) if i > 0}
    print(f'\n{args.video}: {len(maps)} frames, {len(objects)} objects '
          f'-> {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
