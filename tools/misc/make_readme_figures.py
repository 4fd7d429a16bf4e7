# Copyright (c) OpenMMLab. All rights reserved.
"""Write the README pictures: one frame-grid PNG per method on its toy data.

Nothing is trained. For each method the first validation video of its toy
config's test set is read through the dataset (so the toy data must have
been generated, see ``tools/misc/generate_toy_data.py``) and drawn with
:class:`mmvidseg.visualization.VideoLocalVisualizer`:

* the top row is the **ground truth** of a few frames;
* the bottom row is the **model output** of the same frames, run through
  the method's inferencer (``mmvidseg.apis``) on the whole video, when a
  checkpoint of the toy config is found: ``--checkpoint METHOD=PATH``, else
  the newest ``iter_*.pth`` / ``epoch_*.pth`` under
  ``<search dir>/<config name>/`` (``--search-dirs``, default
  ``work_dirs``). Without one the picture shows the ground truth only, and
  its caption says so.

PolyphonicFormer (DVPS) gets two rows per source: the panoptic drawing
(a colour per track id) and the depth colour map of the same frames.

Deep Voxel Flow shows, per row, frame t, the true frame t + 1, the
synthesised frame t + 1 (from frames t and t + 2) and frame t + 2.

Every picture is captioned (method, toy data, what each row is, the
checkpoint's file name) and saved as a palette PNG under ``--out-dir``
(default ``resources/``), ``<method>_toy.png``.

Example::

    python tools/misc/make_readme_figures.py \\
        --checkpoint transvod=work_dirs/transvod_toy/iter_1000.pth
"""
import argparse
import glob
import os
import os.path as osp
import sys
from typing import Dict, List, Optional

import numpy as np

#: method -> title, toy config, inferencer kind, toy data name
METHODS = {
    'video_knet':
    dict(
        title='Video K-Net (VPS)',
        config='configs/video_knet/'
        'video-knet_r18-w16_1xb2-6k_toy-kitti-step.py',
        kind='seg',
        data='toy KITTI-STEP'),
    'tube_link':
    dict(
        title='Tube-Link (VPS)',
        config='configs/tube_link/tube-link_r18-w16_1xb2-1k_toy-kitti-step.py',
        kind='seg',
        data='toy KITTI-STEP'),
    'transvod':
    dict(
        title='TransVOD (VOD)',
        config='configs/transvod/'
        'transvod_r18-w16_1xb1-1k_toy-imagenet-vid.py',
        kind='det',
        data='degraded toy ImageNet VID'),
    'vs_reid':
    dict(
        title='VS-ReID (VOS)',
        config='configs/vs_reid/vs-reid_r18-w16_1xb2-1k_toy-davis.py',
        kind='vos',
        data='toy DAVIS'),
    'deep_voxel_flow':
    dict(
        title='Deep Voxel Flow (interpolation)',
        config='configs/deep_voxel_flow/'
        'dvf_unet-tiny-ms2_1xb8-1k_toy-triplets.py',
        kind='interp',
        data='toy triplets'),
    'deep_layer_cascade':
    dict(
        title='Deep Layer Cascade (VSS)',
        config='configs/deep_layer_cascade/'
        'layer-cascade_r18-w16_1xb4-1k_toy-vspw-256x384.py',
        kind='seg',
        data='toy VSPW 256x384'),
    'polyphonicformer':
    dict(
        title='PolyphonicFormer (DVPS)',
        config='configs/polyphonicformer/'
        'polyphonicformer_r18-w16_1xb2-500_toy-cityscapes-dvps.py',
        kind='seg',
        data='toy Cityscapes-DVPS',
        # each drawing is panoptic | depth: one row per panel
        panel_rows=('panoptic (a colour per track)',
                    'depth colour map (near bright, black: no depth)')),
}
PANEL_HEIGHT = 128
CAPTION_HEIGHT = 16


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='README frame grids of the toy models',
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n\n', 1)[1])
    parser.add_argument(
        '--methods', nargs='+', default=list(METHODS), choices=list(METHODS))
    parser.add_argument(
        '--checkpoint',
        action='append',
        default=[],
        metavar='METHOD=PATH',
        help='checkpoint of a method (repeatable)')
    parser.add_argument(
        '--search-dirs',
        nargs='+',
        default=['work_dirs'],
        help='folders holding <config name>/iter_*.pth')
    parser.add_argument(
        '--data-root',
        action='append',
        default=[],
        metavar='METHOD=DIR',
        help="replaces the toy config's data root (repeatable)")
    parser.add_argument('--out-dir', default='resources')
    parser.add_argument(
        '--num-frames', type=int, default=4, help='frames per row')
    parser.add_argument('--device', default='cpu')
    return parser.parse_args(argv)


def find_checkpoint(method: str, overrides: Dict[str, str],
                    search_dirs: List[str]) -> Optional[str]:
    """The checkpoint of ``method``: the override, else the newest
    ``iter_*`` / ``epoch_*`` file under a search dir's
    ``<config name>/`` (None if none)."""
    if method in overrides:
        path = overrides[method]
        if not osp.isfile(path):
            raise FileNotFoundError(f'checkpoint {path} of {method} does not '
                                    'exist')
        return path
    stem = osp.splitext(osp.basename(METHODS[method]['config']))[0]
    found = []
    for folder in search_dirs:
        for pattern in ('iter_*.pth', 'epoch_*.pth'):
            found += glob.glob(osp.join(folder, stem, pattern))
    return max(found, key=osp.getmtime) if found else None


# ------------------------------------------------------------- drawing
def scaled(sample, scale: float):
    """A copy of a frame sample whose boxes are scaled by ``scale`` (masks
    and maps are fitted to the drawn image by the visualiser)."""
    sample = sample.clone()
    for name in ('gt_instances', 'pred_instances', 'pred_track_instances'):
        if name in sample and 'bboxes' in sample.get(name):
            inst = sample.get(name)
            inst.bboxes = inst.bboxes * scale
    return sample


def resize_to_panel(bgr: np.ndarray) -> np.ndarray:
    import mmcv
    scale = PANEL_HEIGHT / bgr.shape[0]
    return mmcv.imrescale(bgr, scale, interpolation='bilinear')


def caption(width: int, text: str) -> np.ndarray:
    """A white strip with ``text`` in black, RGB (CAPTION_HEIGHT, W, 3)."""
    import cv2
    strip = np.full((CAPTION_HEIGHT, width, 3), 255, np.uint8)
    cv2.putText(strip, text, (3, CAPTION_HEIGHT - 4), cv2.FONT_HERSHEY_SIMPLEX,
                0.38, (0, 0, 0), 1, cv2.LINE_AA)
    return strip


def grid(rows: List[List[np.ndarray]], captions: List[str]) -> np.ndarray:
    """RGB rows of panels (same heights), each under its caption."""
    blocks = [np.concatenate(row, axis=1) for row in rows]
    width = max(b.shape[1] for b in blocks)
    out = []
    for block, text in zip(blocks, captions):
        pad = width - block.shape[1]
        block = np.pad(block, ((0, 0), (0, pad), (0, 0)), constant_values=255)
        out += [caption(width, text), block]
    return np.concatenate(out, axis=0)


def split_panel_rows(rows: List[List[np.ndarray]], captions: List[str],
                     names: tuple) -> tuple:
    """Rows of side-by-side drawings (``len(names)`` panels of equal
    width each) as one row per panel, captioned ``<caption>: <name>``."""
    out_rows, out_captions = [], []
    for row, text in zip(rows, captions):
        parts = [np.split(drawing, len(names), axis=1) for drawing in row]
        for k, name in enumerate(names):
            out_rows.append([p[k] for p in parts])
            out_captions.append(f'{text}: {name}')
    return out_rows, out_captions


def save_png(path: str, rgb: np.ndarray, colours: int = 192) -> int:
    """Save a palette PNG (``colours`` colours); returns its size."""
    from PIL import Image
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    Image.fromarray(rgb).quantize(colours).save(path, optimize=True)
    return osp.getsize(path)


# ---------------------------------------------------------------- data
def first_video(cfg, max_frames: int = 16) -> tuple:
    """The frame samples (packed by the test pipeline, with ground truth)
    of the first video of a config's test set, and the dataset's meta."""
    from mmvidseg.registry import DATASETS
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    return _video_frames(dataset, max_frames), dataset.metainfo


def _video_frames(dataset, max_frames: int) -> List:
    frames, name = [], None
    for index in range(len(dataset)):
        video = dataset.prepare_data(index)['data_samples']
        for frame in video.video_data_samples:
            video_name = frame.metainfo.get('video_name', frame.video_id)
            if name is None:
                name = video_name
            if video_name != name or len(frames) == max_frames:
                return frames
            frames.append(frame)
    return frames


def pick(count: int, num: int) -> List[int]:
    """``num`` frame indices spread over ``count`` frames."""
    return sorted({int(round(i)) for i in np.linspace(0, count - 1, num)})


def gt_row(visualizer, frames: List, picks: List[int],
           kind: str) -> List[np.ndarray]:
    """RGB ground-truth drawings of the picked frames (VOS: the object
    masks, drawn as the model output is; no flow panel)."""
    import mmcv

    from mmvidseg.apis.vos_inferencer import draw_objects
    row = []
    for t in picks:
        bgr = mmcv.imread(frames[t].img_path)
        panel = np.ascontiguousarray(resize_to_panel(bgr)[..., ::-1])
        if kind == 'vos':
            row.append(
                draw_objects(visualizer, panel, frames[t].gt_sem_seg.data[0]))
            continue
        sample = scaled(frames[t], panel.shape[0] / bgr.shape[0])
        if 'gt_flow' in sample:
            del sample.gt_flow
        row.append(
            visualizer.draw_frame(
                panel, sample, draw_gt=True, draw_pred=False))
    return row


def pred_row(kind: str, config: str, ckpt: str, frames: List, picks: List[int],
             device: str) -> List[np.ndarray]:
    """RGB model-output drawings of the picked frames (the model runs on
    every frame of the video, in order)."""
    import mmcv

    from mmvidseg import apis
    paths = [f.img_path for f in frames]
    bgr = [mmcv.imread(p) for p in paths]
    panels = [resize_to_panel(bgr[t]) for t in picks]
    scale = panels[0].shape[0] / bgr[0].shape[0]
    if kind == 'vos':
        inferencer = apis.VOSInferencer(
            config, ckpt, device=device, show_progress=False)
        # the first mask and the flows the dataset loaded (the test set's)
        first = frames[0].gt_sem_seg.data[0].numpy()
        flows = [
            f.gt_flow.data.numpy().transpose(1, 2, 0) for f in frames[:-1]
        ] if all('gt_flow' in f for f in frames[:-1]) else 'farneback'
        preds = inferencer(
            paths, first, flows=flows, return_datasamples=True)['predictions']
        return inferencer.visualize(
            panels, [preds[t] for t in picks], return_vis=True)
    cls = apis.VideoDetInferencer if kind == 'det' else \
        apis.VideoSegInferencer
    inferencer = cls(config, ckpt, device=device, show_progress=False)
    preds = inferencer(paths, return_datasamples=True)['predictions']
    return inferencer.visualize(
        panels, [scaled(preds[t], scale) for t in picks], return_vis=True)


def interpolation_rows(config: str, ckpt: Optional[str], device: str,
                       data_root: str) -> tuple:
    """Deep Voxel Flow rows: frame t | true t + 1 | output t + 1 | t + 2,
    for two triplets of the first validation video."""
    import mmcv

    from mmvidseg.apis import FrameInterpolationInferencer
    with open(osp.join(data_root, 'videos_val.txt')) as f:
        video = f.readline().split()[0]
    folder = osp.join(data_root, 'videos', video)
    names = sorted(os.listdir(folder))
    inferencer = FrameInterpolationInferencer(
        config, ckpt, device=device, show_progress=False) if ckpt else None
    rows, captions = [], []
    for t in (0, len(names) // 2):
        bgr = [mmcv.imread(osp.join(folder, n)) for n in names[t:t + 3]]
        row = [bgr[0], bgr[1]]
        if inferencer is not None:
            out = inferencer([bgr[0], bgr[2]])['predictions']
            row.append(out[1])
        row.append(bgr[2])
        rows.append([resize_to_panel(f)[..., ::-1] for f in row])
        what = 'frame t | true t+1 | model output t+1 | frame t+2' \
            if ckpt else 'frame t | true t+1 | frame t+2 (no checkpoint)'
        captions.append(f'{video} t={t}: {what}')
    return rows, captions


# ---------------------------------------------------------------- main
def make_figure(method: str,
                ckpt: Optional[str],
                num_frames: int,
                device: str,
                data_root: Optional[str] = None) -> tuple:
    """``(RGB grid, [captions])`` of one method (on ``data_root`` instead
    of the config's when given)."""
    from mmengine.config import Config

    from mmvidseg.visualization import VideoLocalVisualizer
    info = METHODS[method]
    cfg = Config.fromfile(info['config'])
    if data_root is not None:
        cfg.data_root = data_root
        cfg.test_dataloader.dataset.data_root = data_root
    head = f"{info['title']} on {info['data']}"
    if info['kind'] == 'interp':
        rows, captions = interpolation_rows(info['config'], ckpt, device,
                                            cfg.data_root)
        captions[0] = f'{head}: ' + captions[0]
        return grid(rows, captions), captions
    frames, meta = first_video(cfg)
    picks = pick(len(frames), num_frames)
    visualizer = VideoLocalVisualizer(name=f'readme_{method}')
    visualizer.dataset_meta = meta
    video = frames[0].metainfo.get('video_name', frames[0].video_id)
    where = f'video {video}, frames {", ".join(map(str, picks))}'
    rows = [gt_row(visualizer, frames, picks, info['kind'])]
    captions = [f'{head} ({where}): ground truth']
    if ckpt is not None:
        rows.append(
            pred_row(info['kind'], info['config'], ckpt, frames, picks,
                     device))
        captions.append(f'model output ({osp.basename(ckpt)} of the toy '
                        'config)')
    else:
        captions[0] += ' (no checkpoint: no model output)'
    if 'panel_rows' in info:
        rows, captions = split_panel_rows(rows, captions, info['panel_rows'])
    return grid(rows, captions), captions


def method_paths(items: List[str], option: str) -> Dict[str, str]:
    """``{method: path}`` of ``METHOD=PATH`` arguments."""
    out = {}
    for item in items:
        method, _, path = item.partition('=')
        if method not in METHODS or not path:
            raise ValueError(f'{option} {item!r}: expected METHOD=PATH, '
                             f'METHOD one of {sorted(METHODS)}')
        out[method] = path
    return out


def main(argv=None):
    args = parse_args(argv)
    from mmvidseg.utils import register_all_modules
    register_all_modules()
    overrides = method_paths(args.checkpoint, '--checkpoint')
    roots = method_paths(args.data_root, '--data-root')
    for method in args.methods:
        ckpt = find_checkpoint(method, overrides, args.search_dirs)
        image, captions = make_figure(method, ckpt, args.num_frames,
                                      args.device, roots.get(method))
        path = osp.join(args.out_dir, f'{method}_toy.png')
        size = save_png(path, image)
        print(f'{path} ({size // 1024} KB, {image.shape[1]}x'
              f'{image.shape[0]}):')
        for text in captions:
            print(f'    {text}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
