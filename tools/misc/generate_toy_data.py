# Copyright (c) OpenMMLab. All rights reserved.
"""Write deterministic toy videos in a benchmark's real on-disk format.

Examples:
    python tools/misc/generate_toy_data.py vspw data/toy_vspw
    python tools/misc/generate_toy_data.py all data/toy --num-train 8
    python tools/misc/generate_toy_data.py kitti_step data/toy_hard \
        --difficulty hard

``--difficulty hard`` draws harder videos (accelerating, turning and
bouncing things, camera shake, lighting drift, blob textures, irregular
stuff, same-class crossings, colours independent of the class) in the same
formats; ``easy`` (the default) writes exactly the videos of earlier
releases. ``--camouflage`` (either difficulty) gives every thing the colour
and texture of the stuff behind it (``--camouflage colour``: the colour
only), with the same ground truth. ``--thing-depth ground`` (either
difficulty) puts every thing at the road's depth of the row where it
touches the road, as a camera over a flat road would see it, instead of a
random depth that the frames do not show (``random``, the default).

Training videos use seeds ``[seed, seed + N)`` and validation videos
``[seed + 1000, seed + 1000 + M)``, so the same arguments always write the
same files. ``all`` writes every format into ``OUT_DIR/<format>``.
"""
import argparse
import importlib
import os.path as osp
import sys
import time

#: format -> (module under mmvidseg.testing.toy_formats, writer function)
FORMATS = {
    'vspw': ('vspw', 'write_vspw'),
    'kitti_step': ('kitti_step', 'write_kitti_step'),
    'youtube_vis': ('youtube_vis', 'write_youtube_vis'),
    'imagenet_vid': ('imagenet_vid', 'write_imagenet_vid'),
    'vipseg': ('vipseg', 'write_vipseg'),
    'cityscapes_dvps': ('cityscapes_dvps', 'write_cityscapes_dvps'),
    'cityscapes_vps': ('cityscapes_vps', 'write_cityscapes_vps'),
    'semkitti_dvps': ('semkitti_dvps', 'write_semkitti_dvps'),
    'davis': ('davis', 'write_davis'),
    'youtube_vos': ('youtube_vos', 'write_youtube_vos'),
    'triplets': ('triplets', 'write_triplets'),
}
VAL_SEED_OFFSET = 1000


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Generate toy videos in a benchmark on-disk format.',
        epilog=__doc__.split('\n\n', 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        'format', choices=list(FORMATS) + ['all'], help='format to write')
    parser.add_argument('out_dir', help='output directory')
    parser.add_argument(
        '--num-train', type=int, default=4, help='training videos (4)')
    parser.add_argument(
        '--num-val', type=int, default=2, help='validation videos (2)')
    parser.add_argument(
        '--frames', type=int, default=8, help='frames per video (8)')
    parser.add_argument('--height', type=int, default=64, help='height (64)')
    parser.add_argument('--width', type=int, default=96, help='width (96)')
    parser.add_argument('--seed', type=int, default=0, help='first seed (0)')
    parser.add_argument(
        '--objects', type=int, default=4, help='things per video (4)')
    parser.add_argument(
        '--degrade',
        type=float,
        default=0.0,
        help='imagenet_vid only: share of each video\'s frames written '
        'motion-blurred, defocused or partly occluded (0)')
    parser.add_argument(
        '--degrade-seed', type=int, default=0,
        help='seed of --degrade (0)')
    parser.add_argument(
        '--degrade-strength',
        choices=['mild', 'strong'],
        default='mild',
        help='imagenet_vid only: "mild" (default) or "strong" degradations '
        '(longer blur, larger defocus, every object nearly hidden)')
    parser.add_argument(
        '--difficulty',
        choices=['easy', 'hard'],
        default='easy',
        help='easy (default) or hard toy videos')
    parser.add_argument(
        '--camouflage',
        nargs='?',
        const='full',
        choices=['full', 'colour'],
        help='paint every thing with the colour and texture ("full", the '
        'default of the bare flag) or the colour only ("colour") of the '
        'stuff behind it; same ground truth')
    parser.add_argument(
        '--thing-depth',
        choices=['random', 'ground'],
        default='random',
        help='depth of the things: "random" (default, one per thing in '
        '4-25 m that the frames do not show) or "ground" (the road\'s depth '
        'at the row where the thing touches it, in every frame)')
    parser.add_argument(
        '--occlude-frames',
        type=int,
        default=0,
        help='davis only: hide one first-frame object of each video behind '
        'a sign for this many frames, after which it comes back, and write '
        'candidate boxes (Proposals/) for re-identification (0)')
    parser.add_argument(
        '--occlude-start',
        type=int,
        default=None,
        help='davis only: first hidden frame of --occlude-frames (a third '
        'of the video)')
    parser.add_argument(
        '--occluder',
        choices=['sign', 'transient'],
        default='sign',
        help='davis only: "sign" (default) is a static sign the object '
        'slides behind and out of; "transient" is there only while the '
        'object is hidden, and the object hidden is one that is back whole '
        'afterwards')
    args = parser.parse_args(argv)
    if args.occlude_frames and args.format != 'davis':
        parser.error('--occlude-frames only applies to the davis format')
    if (args.occlude_start is not None or args.occluder != 'sign') and \
            not args.occlude_frames:
        parser.error('--occlude-start and --occluder need --occlude-frames')
    if args.degrade and args.format != 'imagenet_vid':
        parser.error('--degrade only applies to the imagenet_vid format')
    if not 0 <= args.degrade <= 1:
        parser.error('--degrade must be in [0, 1]')
    if args.degrade_strength != 'mild' and not args.degrade:
        parser.error('--degrade-strength needs --degrade')
    if args.num_train < 0 or args.num_val < 0:
        parser.error('--num-train and --num-val must be >= 0')
    if args.num_train >= VAL_SEED_OFFSET:
        parser.error(f'--num-train must be < {VAL_SEED_OFFSET} so that train '
                     'and val seeds do not overlap')
    return args


def load_writer(fmt: str):
    """Import a writer lazily (``triplets`` lives in its own module)."""
    module_name, func_name = FORMATS[fmt]
    name = f'mmvidseg.testing.toy_formats.{module_name}'
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name != name:
            raise
        raise ImportError(f'format {fmt!r} needs the module {name}, which '
                          'does not exist in this checkout') from e
    return getattr(module, func_name)


def main(argv=None):
    args = parse_args(argv)
    from mmvidseg.testing import generate_toy_videos
    kwargs = dict(
        num_frames=args.frames,
        height=args.height,
        width=args.width,
        num_objects=args.objects,
        difficulty=args.difficulty,
        camouflage=args.camouflage,
        thing_depth=args.thing_depth)
    formats = list(FORMATS) if args.format == 'all' else [args.format]
    writers = {fmt: load_writer(fmt) for fmt in formats}  # fail early
    start = time.time()
    splits = {
        'train': generate_toy_videos(args.num_train, args.seed, **kwargs),
        'val': generate_toy_videos(args.num_val,
                                   args.seed + VAL_SEED_OFFSET, **kwargs)
    }
    for fmt, writer in writers.items():
        out = osp.join(args.out_dir, fmt) if args.format == 'all' \
            else args.out_dir
        if args.degrade:
            writer(out, splits, degrade=args.degrade,
                   degrade_seed=args.degrade_seed,
                   degrade_strength=args.degrade_strength)
        elif args.occlude_frames:
            writer(
                out,
                splits,
                occlude_frames=args.occlude_frames,
                occlude_start=args.occlude_start,
                occlude_transient=args.occluder == 'transient')
        else:
            writer(out, splits)
        camo = f' {args.camouflage}-camouflaged' if args.camouflage else ''
        camo += ' ground-depth' if args.thing_depth == 'ground' else ''
        print(f'{fmt}: {args.num_train} train + {args.num_val} '
              f'{args.difficulty}{camo} val videos -> {out}')
    print(f'done in {time.time() - start:.1f}s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
