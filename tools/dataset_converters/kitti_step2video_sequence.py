# Copyright (c) OpenMMLab. All rights reserved.
"""Arrange the official KITTI-STEP release in the ``video_sequence`` layout.

The release keeps frames (from KITTI tracking) and panoptic maps apart::

    IMAGES/{training,testing}/image_02/<seq:04d>/<frame:06d>.png
    STEP/panoptic_maps/{train,val}/<seq:04d>/<frame:06d>.png

Video K-Net, Tube-Link and :class:`mmvidseg.datasets.KITTISTEPDataset` read
one folder per split::

    OUT/video_sequence/{train,val,test}/<seq:06d>_<frame:06d>_leftImg8bit.png
    OUT/video_sequence/{train,val}/<seq:06d>_<frame:06d>_panoptic.png

The panoptic maps are copied unchanged (RGB: R = class, G * 256 + B =
instance). ``train`` and ``val`` sequences come from ``training``; ``test``
from ``testing`` (frames only). Files are hard-linked when possible, else
copied.

Examples:
    python tools/dataset_converters/kitti_step2video_sequence.py \\
        data/kitti_tracking data/kitti-step-release data/kitti-step \\
        --nproc 4
"""
import argparse
import os
import os.path as osp
import shutil
from functools import partial
from typing import Optional

from mmvidseg.utils.progress import add_nproc_argument, track_map


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Arrange official KITTI-STEP data in the video_sequence '
        'layout.',
        epilog=__doc__.split('\n\n', 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('images', help='KITTI tracking root (holds '
                        'training/image_02, testing/image_02)')
    parser.add_argument('step', help='KITTI-STEP root (holds panoptic_maps)')
    parser.add_argument('out', help='output root')
    parser.add_argument(
        '--splits', nargs='+', default=['train', 'val'],
        choices=['train', 'val', 'test'], help='splits (train val)')
    parser.add_argument(
        '--copy', action='store_true', help='copy instead of hard-linking')
    add_nproc_argument(parser)
    return parser.parse_args(argv)


def _place(src: str, dst: str, copy: bool) -> None:
    os.makedirs(osp.dirname(dst), exist_ok=True)
    if osp.exists(dst):
        os.remove(dst)
    if not copy:
        try:
            os.link(src, dst)
            return
        except OSError:
            pass
    shutil.copyfile(src, dst)


def _sequences(folder: str) -> list:
    if not osp.isdir(folder):
        raise FileNotFoundError(f'folder {folder} does not exist')
    seqs = sorted(d for d in os.listdir(folder)
                  if osp.isdir(osp.join(folder, d)))
    if not seqs:
        raise ValueError(f'folder {folder} holds no sequence folder')
    return seqs


def convert_split(images: str, step: str, out: str, split: str,
                  copy: bool = False, nproc: int = 1) -> int:
    """Arrange one split (``nproc`` processes, one sequence per task);
    return the number of frames written."""
    img_root = osp.join(images, 'testing' if split == 'test' else 'training',
                        'image_02')
    dst_dir = osp.join(out, 'video_sequence', split)
    if split == 'test':
        seqs = _sequences(img_root)
    else:
        pan_root = osp.join(step, 'panoptic_maps', split)
        seqs = _sequences(pan_root)
    counts = track_map(
        partial(place_sequence, img_root=img_root,
                pan_root=None if split == 'test' else pan_root,
                dst_dir=dst_dir, copy=copy), seqs, nproc)
    return sum(counts)


def place_sequence(seq: str, img_root: str, pan_root: Optional[str],
                   dst_dir: str, copy: bool) -> int:
    """Link (or copy) one sequence's frames (and panoptic maps unless
    ``pan_root`` is None: the test split); return the number of frames."""
    listed = img_root if pan_root is None else pan_root
    frames = sorted(f for f in os.listdir(osp.join(listed, seq))
                    if f.endswith('.png'))
    for name in frames:
        stem = f'{int(seq):06d}_{int(osp.splitext(name)[0]):06d}'
        src = osp.join(img_root, seq, name)
        if not osp.isfile(src):
            raise FileNotFoundError(
                f'frame {src} of panoptic map {seq}/{name} does not exist')
        _place(src, osp.join(dst_dir, stem + '_leftImg8bit.png'), copy)
        if pan_root is not None:
            _place(osp.join(pan_root, seq, name),
                   osp.join(dst_dir, stem + '_panoptic.png'), copy)
    return len(frames)


def main(argv=None):
    args = parse_args(argv)
    for split in args.splits:
        count = convert_split(args.images, args.step, args.out, split,
                              args.copy, args.nproc)
        print(f'{split}: {count} frames -> '
              f'{osp.join(args.out, "video_sequence", split)}')


if __name__ == '__main__':
    main()
