# Copyright (c) OpenMMLab. All rights reserved.
"""Loading throughput of every dataset format on toy data.

For each format, toy videos are written in the benchmark's layout, then
every frame is loaded twice:

* ``loader``: the dataset's test-mode pipeline (``LoadImageFromFile`` and
  the format's annotation loaders, one frame per call, as
  ``TrackImgSampler`` feeds it) plus ``PackVideoInputs``;
* ``imfrombytes``: plain ``mmcv.imfrombytes(..., flag='unchanged')`` of the
  same image and annotation PNG/JPEG files (``.flo`` files read as bytes).

It prints frames/s of both and their ratio (loader / imfrombytes), measured
in the same run; above 1 is impossible, near 1 means decoding dominates.

Examples:
    python tools/analysis_tools/benchmark_loading.py
    python tools/analysis_tools/benchmark_loading.py --formats vipseg davis \\
        --videos 4 --frames 16 --height 256 --width 384
"""
import argparse
import os.path as osp
import tempfile
import time

#: format -> (dataset config, loaders after LoadImageFromFile, writer kwargs)
FORMATS = {
    'vspw': (dict(type='VSPWDataset', ann_file='val.txt'), [
        dict(type='LoadSemSegMap', num_classes=6, reduce_zero_label=True,
             ignore_values=(0, 253, 255))
    ]),
    'kitti_step': (dict(type='KITTISTEPDataset',
                        data_prefix=dict(img_path='video_sequence/val')), [
        dict(type='LoadPanopticMap', format='kitti_step', num_classes=6,
             with_instances=True)
    ]),
    'vipseg': (dict(type='VIPSegDataset', ann_file='val.txt'), [
        dict(type='LoadPanopticMap', format='vipseg', num_classes=6,
             with_instances=True)
    ]),
    'cityscapes_dvps': (dict(type='CityscapesDVPSDataset',
                             data_prefix=dict(
                                 img_path='video_sequence/val')), [
        dict(type='LoadPanopticMap', format='cityscapes_dvps', num_classes=6,
             with_instances=True),
        dict(type='LoadDepthMap')
    ]),
    'semkitti_dvps': (dict(type='SemKITTIDVPSDataset',
                           data_prefix=dict(img_path='video_sequence/val')), [
        dict(type='LoadPanopticMap', format='semkitti_dvps', num_classes=6,
             with_instances=True),
        dict(type='LoadDepthMap')
    ]),
    'youtube_vis': (dict(type='YouTubeVISDataset', ann_file='valid.json',
                         data_prefix=dict(img_path='valid/JPEGImages')),
                    [dict(type='LoadVideoInstances', with_mask=True)]),
    'imagenet_vid': (dict(type='ImageNetVIDDataset',
                          ann_file='annotations/imagenet_vid_val.json'),
                     [dict(type='LoadVideoInstances')]),
    'davis': (dict(type='DAVISDataset', data_prefix=dict(
        img_path='JPEGImages/480p', seg_map_path='Annotations/480p',
        flow_path='Flow/480p')),
              [dict(type='LoadVOSAnnotation'), dict(type='LoadOpticalFlow')]),
}
#: Per-frame keys holding files the baseline reads.
FILE_KEYS = ('img_path', 'seg_map_path', 'pan_map_path', 'inst_map_path',
             'depth_map_path', 'flow_path')
#: Classes of the toy data (for datasets whose default list differs).
TOY_META = dict(
    classes=('road', 'sky', 'building', 'car', 'person', 'ball'),
    thing_classes=('car', 'person', 'ball'))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Frames/s of each dataset loader vs mmcv.imfrombytes.',
        epilog=__doc__.split('\n\n', 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        '--formats', nargs='+', choices=list(FORMATS), default=list(FORMATS),
        help='formats to measure (all)')
    parser.add_argument('--videos', type=int, default=2, help='videos (2)')
    parser.add_argument(
        '--frames', type=int, default=8, help='frames per video (8)')
    parser.add_argument('--height', type=int, default=128, help='(128)')
    parser.add_argument('--width', type=int, default=192, help='(192)')
    parser.add_argument(
        '--repeat', type=int, default=3,
        help='passes over the data; the fastest counts (3)')
    parser.add_argument('--work-dir', help='where to write the toy data '
                        '(a temporary folder by default)')
    return parser.parse_args(argv)


def _dataset(fmt: str, root: str):
    from mmvidseg.registry import DATASETS
    cfg, loaders = FORMATS[fmt]
    cfg = dict(cfg, data_root=root, test_mode=True, pipeline=[
        dict(type='TransformBroadcaster',
             transforms=[dict(type='LoadImageFromFile')] + loaders),
        dict(type='PackVideoInputs'),
    ])
    if cfg['type'] in ('KITTISTEPDataset', 'CityscapesDVPSDataset',
                       'SemKITTIDVPSDataset'):
        cfg['metainfo'] = TOY_META
    return DATASETS.build(cfg)


def _frames(dataset) -> list:
    return [(v, t) for v in range(len(dataset))
            for t in range(dataset.get_len_per_video(v))]


def time_loader(dataset, repeat: int) -> float:
    """Best frames/s of the dataset's pipeline over ``repeat`` passes."""
    frames = _frames(dataset)
    best = float('inf')
    for _ in range(repeat):
        start = time.perf_counter()
        for index in frames:
            dataset.prepare_data(index)
        best = min(best, time.perf_counter() - start)
    return len(frames) / best


def time_imfrombytes(dataset, repeat: int) -> float:
    """Best frames/s of plain decoding of the same files."""
    import mmcv
    from mmengine.fileio import get
    files = []
    for v in range(len(dataset)):
        for frame in dataset.get_data_info(v)['images']:
            files.append([frame[k] for k in FILE_KEYS if frame.get(k)])
    best = float('inf')
    for _ in range(repeat):
        start = time.perf_counter()
        for paths in files:
            for path in paths:
                data = get(path)
                if not path.endswith('.flo'):
                    mmcv.imfrombytes(data, flag='unchanged')
        best = min(best, time.perf_counter() - start)
    return len(files) / best


def run(formats, root: str, videos: int, frames: int, height: int,
        width: int, repeat: int) -> list:
    """Write toy data and measure; return ``[(fmt, loader, baseline)]``."""
    import importlib

    from mmvidseg.testing import generate_toy_video
    toy = {
        'val': [
            generate_toy_video(1000 + s, num_frames=frames, height=height,
                               width=width) for s in range(videos)
        ]
    }
    rows = []
    for fmt in formats:
        writer = getattr(
            importlib.import_module(
                f'mmvidseg.testing.toy_formats.{fmt}'), f'write_{fmt}')
        data_root = writer(osp.join(root, fmt), toy)
        dataset = _dataset(fmt, data_root)
        rows.append((fmt, time_loader(dataset, repeat),
                     time_imfrombytes(dataset, repeat)))
    return rows


def main(argv=None):
    args = parse_args(argv)
    from mmvidseg.utils.setup_env import register_all_modules
    register_all_modules()
    with tempfile.TemporaryDirectory() as tmp:
        rows = run(args.formats, args.work_dir or tmp, args.videos,
                   args.frames, args.height, args.width, args.repeat)
    print(f'{args.videos} videos x {args.frames} frames of '
          f'{args.width}x{args.height}, best of {args.repeat}')
    print(f'{"format":<16}{"loader f/s":>12}{"imfrombytes f/s":>17}'
          f'{"ratio":>8}')
    for fmt, loader, baseline in rows:
        print(f'{fmt:<16}{loader:>12.1f}{baseline:>17.1f}'
              f'{loader / baseline:>8.2f}')
    return rows


if __name__ == '__main__':
    main()
