# Copyright (c) OpenMMLab. All rights reserved.
"""Semi-supervised video object segmentation of a video (VS-ReID).

Give a video (a file OpenCV reads, or a folder of frames sorted by name)
and the mask of its first frame (a palette or greyscale PNG of object ids,
0 background, as DAVIS annotations): the objects are propagated through the
video and the result is written as a video with the masks blended over the
frames (``--out x.mp4``) or, with ``--out`` a folder, as DAVIS palette PNGs
``00000.png``, ``00001.png``...

A video has no pre-computed flow, so the model must estimate it: with
``--raft-checkpoint PATH`` the config's flow source is replaced by
torchvision's RAFT (``RAFTFlowEstimator``) with those local weights; a
config whose ``model.flow`` already estimates flow needs nothing.

Example::

    python demo/vos_demo.py video.mp4 first_mask.png \\
        configs/vs_reid/vs-reid_r18-w16_1xb2-1k_toy-davis.py vs_reid.pth \\
        --raft-checkpoint raft_large_C_T_SKHT_V2-ff5fadd5.pth --out out.mp4
"""
import argparse
import os
import os.path as osp
import sys

import numpy as np


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Segment the objects of a first-frame mask in a video',
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n\n', 1)[1])
    parser.add_argument('video', help='video file or folder of frames')
    parser.add_argument('mask', help='first-frame mask PNG (object ids)')
    parser.add_argument('config', help='VS-ReID config')
    parser.add_argument('checkpoint', help='model checkpoint')
    parser.add_argument(
        '--out', required=True, help='output video file, or a folder for '
        'palette PNGs')
    parser.add_argument(
        '--raft-checkpoint', default=None, help='estimate flow with '
        "torchvision's RAFT from these local weights")
    parser.add_argument('--raft-arch', default='raft_large')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    parser.add_argument('--fps', type=float, default=None,
                        help='output fps (default: the input video\'s, 24 '
                        'for a folder)')
    return parser.parse_args(argv)


def read_video(path: str):
    """BGR uint8 frames (list of (H, W, 3)) and the fps (or None)."""
    import mmcv
    if osp.isdir(path):
        names = sorted(n for n in os.listdir(path)
                       if n.lower().endswith(('.jpg', '.jpeg', '.png')))
        if not names:
            raise FileNotFoundError(f'folder {path} holds no frame image')
        return [mmcv.imread(osp.join(path, n)) for n in names], None
    if not osp.exists(path):
        raise FileNotFoundError(f'video {path} does not exist')
    reader = mmcv.VideoReader(path)
    frames = [f for f in reader]
    if not frames:
        raise ValueError(f'video {path} has no frame')
    return frames, reader.fps


def read_mask(path: str, shape) -> np.ndarray:
    """The first-frame object ids, (H, W) uint8, checked against ``shape``.
    """
    from PIL import Image
    if not osp.exists(path):
        raise FileNotFoundError(f'first-frame mask {path} does not exist')
    img = Image.open(path)
    if img.mode not in ('P', 'L'):
        raise ValueError(f'first-frame mask {path} is a {img.mode} image: '
                         'expected a palette or greyscale PNG of object ids')
    ids = np.array(img)
    if ids.shape != tuple(shape):
        raise ValueError(f'first-frame mask {path} is {ids.shape[1]}x'
                         f'{ids.shape[0]} but the frames are {shape[1]}x'
                         f'{shape[0]}')
    if not ((ids > 0) & (ids < 255)).any():
        raise ValueError(f'first-frame mask {path} has no object')
    return ids


def build_model(config: str, checkpoint: str, device: str,
                raft_checkpoint=None, raft_arch='raft_large'):
    """The VS-ReID model of a config and checkpoint, in eval mode."""
    from mmengine.config import Config
    from mmengine.runner import load_checkpoint

    from mmvidseg.registry import MODELS
    from mmvidseg.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(config)
    if raft_checkpoint is not None:
        cfg.model.flow = dict(
            type='RAFTFlowEstimator', arch=raft_arch,
            checkpoint=raft_checkpoint)
    cfg.model.reid = None  # no detector boxes for an arbitrary video
    model = MODELS.build(cfg.model)
    load_checkpoint(model, checkpoint, map_location='cpu')
    return model.to(device).eval()


def segment(model, frames, first_ids: np.ndarray, name='video'):
    """(T, H, W) uint8 object ids of BGR ``frames`` from the first mask."""
    import torch
    from mmdet.structures import DetDataSample, TrackDataSample
    from mmengine.structures import PixelData
    h, w = first_ids.shape
    objects = [int(i) for i in np.unique(first_ids) if 0 < i < 255]
    samples = []
    for t in range(len(frames)):
        meta = dict(img_shape=(h, w), ori_shape=(h, w), frame_id=t,
                    video_id=0, video_name=name, video_length=len(frames),
                    ref_object_ids=objects if t == 0 else [])
        samples.append(DetDataSample(metainfo=meta))
    samples[0].gt_sem_seg = PixelData(
        data=torch.from_numpy(first_ids.astype(np.int64))[None])
    track = TrackDataSample()
    track.video_data_samples = samples
    clip = torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2)
    with torch.no_grad():
        data = model.data_preprocessor(
            dict(inputs=[clip], data_samples=[track]), False)
        out = model.predict(**data)
    return np.stack([
        f.pred_sem_seg.data[0].cpu().numpy().astype(np.uint8)
        for f in out[0].video_data_samples
    ])


def write_output(out: str, frames, labels: np.ndarray, fps) -> None:
    """Palette PNGs into folder ``out``, or a blended video file."""
    import cv2

    from mmvidseg.testing.toy_formats.davis import DAVIS_PALETTE
    palette = np.asarray(DAVIS_PALETTE, np.uint8)
    if not osp.splitext(out)[1]:
        from mmvidseg.testing.toy_formats._io import save_palette_png
        for t, ids in enumerate(labels):
            save_palette_png(osp.join(out, f'{t:05d}.png'), ids, palette)
        return
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    h, w = labels.shape[1:]
    fourcc = 'mp4v' if out.lower().endswith('.mp4') else 'MJPG'
    writer = cv2.VideoWriter(out, cv2.VideoWriter_fourcc(*fourcc), fps or 24,
                             (w, h))
    for frame, ids in zip(frames, labels):
        colour = palette[ids][..., ::-1].astype(np.float32)  # RGB -> BGR
        blend = np.where((ids > 0)[..., None], 0.5 * frame + 0.5 * colour,
                         frame)
        writer.write(np.clip(blend, 0, 255).astype(np.uint8))
    writer.release()


def main(argv=None):
    args = parse_args(argv)
    frames, fps = read_video(args.video)
    first = read_mask(args.mask, frames[0].shape[:2])
    model = build_model(args.config, args.checkpoint, args.device,
                        args.raft_checkpoint, args.raft_arch)
    name = osp.splitext(osp.basename(args.video.rstrip('/')))[0]
    labels = segment(model, frames, first, name)
    write_output(args.out, frames, labels, args.fps or fps)
    print(f'{args.video}: {len(frames)} frames, '
          f'{len(np.unique(first)) - 1} objects -> {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
