# Copyright (c) OpenMMLab. All rights reserved.
"""Score predictions saved in a benchmark's official submission format.

Usage::

    python tools/analysis_tools/eval_offline.py METRIC --gt GT --pred PRED \
        [options]

prints one JSON object (NaN written as ``null``) to stdout. Inputs, per
METRIC (the official evaluators' own formats):

=========  ==================================================================
``vpq``    VIPSeg: ``GT`` = dir of ``<video>/<frame>.png`` RGB panoptic PNGs
``stq``    (id = R + 256 G + 256^2 B) plus the ``panoptic_gt_VIPSeg_val``
           JSON (``--gt-json``, default: the only ``*.json`` in ``GT``);
           ``PRED`` = dir with ``pred.json`` + ``pan_pred/<video>/<frame>
           .png``. ``--windows`` (vpq; default 1 2 4 6 8),
           ``--num-classes`` (stq; default max category id + 1),
           ``--stq-float64`` (numpy-1 / integer-count STQ).
``dvpq``   Cityscapes-DVPS: ``GT`` = dir with ``*_gtFine_instanceTrainIds
           .png`` + ``*_depth.png``; ``PRED`` = dir with the RGB panoptic
           PNGs (R = class, G = instance), ``--pred-depth`` (default
           ``PRED``; there, names containing ``depth``) with uint16 depth
           PNGs; files grouped by the sequence prefix before the first
           ``_`` and sorted. ``--windows`` (default 1 2 3 4),
           ``--depth-thresholds`` (default 0.5 0.25 0.1), ``--num-classes``
           (default 19), ``--thing-classes`` (default 11..18).
``ytvis``  YouTube-VIS GT JSON, results JSON.
``vid``    CocoVID GT JSON, COCO-style detection results JSON (one entry
           per box, ``image_id`` of the frame, ``bbox`` xywh).
``vss``    VSPW: ``GT`` = root with ``data/<video>/mask/*.png``; ``PRED`` =
           ``<video>/<same name>.png``, single-channel. No value is
           remapped: GT and PRED pixel values are compared as stored, as
           VSPW's ``evaluator_test.py`` (mIoU) and ``VC_perclip.py`` (mVC)
           do. For mIoU a pixel counts iff its GT value is in ``[0,
           --num-classes)`` (default 124): on the released masks (class +
           1 in 1..124, 0 "others", 253/255 void) that counts 0 as class 0
           and 1..123, and ignores 124, 253 and 255. On counted pixels PRED
           must be in the same range (else an error); on ignored pixels it
           is neither checked nor counted. So predictions must use the
           masks' values (class + 1), as ``tools/test.py --out-dir``
           writes them: 0-based training ids are scored one class off.
           mIoU is one confusion matrix over all videos, classes
           without GT or PRED pixels left out; mVC8/mVC16 use every pixel,
           ignored ones included. ``--split`` (a video list file; default
           every video).
``davis``  DAVIS 2017 semi-supervised: ``GT`` = root with ``Annotations/
           480p/<seq>/*.png`` (or that folder itself), ``PRED`` =
           ``<seq>/*.png`` (palette or index PNGs). ``--sequences`` file.
``psnr``   Two folders of frames (``PRED``, ``GT``), same relative paths;
           ``--masks`` folder of motion masks for the masked scores.
=========  ==================================================================

Bad input (frame counts that differ, a missing prediction file, an id in a
PNG absent from its JSON, a class beyond the class list, an empty video)
stops with an error naming the file and the problem.
"""
import argparse
import glob
import json
import math
import os
import os.path as osp
import sys
from typing import Dict, List

import numpy as np
from PIL import Image


# ------------------------------------------------------------------ helpers
def load_json(path: str):
    """Read a JSON file; errors name the file."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: file not found')
    try:
        with open(path) as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise ValueError(f'{path}: not valid JSON ({e})') from None


def read_png(path: str) -> np.ndarray:
    """Read an image file as stored (no mode conversion)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: file not found')
    try:
        with Image.open(path) as img:
            return np.array(img)
    except OSError as e:
        raise ValueError(f'{path}: cannot read the image ({e})') from None


def read_panoptic_png(path: str) -> np.ndarray:
    """Read a COCO-panoptic RGB PNG as uint32 ids."""
    from mmvidseg.evaluation.functional.vpq import rgb2id
    img = read_png(path)
    if img.ndim != 3 or img.shape[2] not in (3, 4):
        raise ValueError(f'{path}: expected an RGB panoptic PNG, got an '
                         f'array of shape {img.shape}')
    return rgb2id(img[..., :3])


def _require(mapping: dict, key: str, path: str):
    if not isinstance(mapping, dict) or key not in mapping:
        raise ValueError(f'{path}: missing the "{key}" field')
    return mapping[key]


def to_json(result: Dict) -> str:
    """Dump a flat dict of numbers, NaN as null."""
    clean = {}
    for k, v in result.items():
        v = float(v)
        clean[k] = None if math.isnan(v) else v
    return json.dumps(clean)


# ----------------------------------------------------------- VIPSeg layout
def find_gt_json(gt_dir: str, gt_json: str = None) -> str:
    if gt_json:
        return gt_json
    found = sorted(glob.glob(osp.join(gt_dir, '*.json')))
    if len(found) != 1:
        raise FileNotFoundError(
            f'{gt_dir}: expected exactly one ground-truth *.json there '
            f'(found {len(found)}); pass --gt-json')
    return found[0]


def vipseg_videos(gt_dir: str, gt_json: str, pred_dir: str):
    """Iterate the videos of a VIPSeg-style panoptic layout.

    Returns:
        tuple: ``(categories, videos)``; ``videos`` yields ``(video_id,
        gt_annotations, pred_annotations, frames)`` where ``frames`` yields
        ``(gt_png_path, pred_png_path, gt_segments_info,
        pred_segments_info)`` per frame.
    """
    gt = load_json(gt_json)
    pred_json = osp.join(pred_dir, 'pred.json')
    pred = load_json(pred_json)
    categories = _require(gt, 'categories', gt_json)
    gt_ann = {
        a['video_id']: a['annotations']
        for a in _require(gt, 'annotations', gt_json)
    }
    pred_ann = {
        a['video_id']: a['annotations']
        for a in _require(pred, 'annotations', pred_json)
    }
    videos = _require(gt, 'videos', gt_json)
    if not videos:
        raise ValueError(f'{gt_json}: no videos')

    def _frames(vid, images, g, p):
        for img, ga, pa in zip(images, g, p):
            name = img['file_name']
            yield (osp.join(gt_dir, str(vid), name),
                   osp.join(pred_dir, 'pan_pred', str(vid), name),
                   _require(ga, 'segments_info', gt_json),
                   _require(pa, 'segments_info', pred_json))

    def _videos():
        for video in videos:
            vid = video['video_id']
            images = video.get('images', [])
            if not images:
                raise ValueError(f'{gt_json}: video {vid} is empty (no '
                                 f'images)')
            if vid not in gt_ann:
                raise ValueError(f'{gt_json}: no annotations for video {vid}')
            if vid not in pred_ann:
                raise ValueError(f'{pred_json}: no annotations for video '
                                 f'{vid}')
            g, p = gt_ann[vid], pred_ann[vid]
            if len(g) != len(images):
                raise ValueError(f'{gt_json}: video {vid} lists '
                                 f'{len(images)} images but {len(g)} '
                                 f'annotated frames')
            if len(p) != len(g):
                raise ValueError(f'{pred_json}: video {vid} has {len(p)} '
                                 f'predicted frames, the ground truth has '
                                 f'{len(g)}')
            yield vid, _frames(vid, images, g, p)

    return categories, _videos()


def eval_vpq(args) -> Dict[str, float]:
    gt_json = find_gt_json(args.gt, args.gt_json)
    from mmvidseg.evaluation.functional.vpq import VPQVideo, vpq_summarize
    categories, videos = vipseg_videos(args.gt, gt_json, args.pred)
    windows = args.windows or [1, 2, 4, 6, 8]
    stats = []
    for vid, frames in videos:
        video = VPQVideo(categories, windows, name=str(vid))
        for gt_path, pred_path, gsegs, psegs in frames:
            video.add_frame(
                read_panoptic_png(gt_path), read_panoptic_png(pred_path),
                gsegs, psegs, where=pred_path)
        stats.append(video.finish())
    res = vpq_summarize(stats, categories, windows)
    keys = ['VPQ', 'VPQ_th', 'VPQ_st'] + [f'VPQ@{k}' for k in windows]
    return {k: res[k] for k in keys}


def _instance_numbers(frames_segments: List[List[dict]]) -> Dict[int, int]:
    """VIPSeg's STQ driver: ids numbered from 0 by first appearance."""
    numbers: Dict[int, int] = {}
    for segs in frames_segments:
        for el in segs:
            numbers.setdefault(int(el['id']), len(numbers))
    return numbers


def eval_stq(args) -> Dict[str, float]:
    from mmvidseg.evaluation.functional.stq import STQAccumulator
    from mmvidseg.evaluation.functional.vpq import pair_table
    gt_json = find_gt_json(args.gt, args.gt_json)
    categories, videos = vipseg_videos(args.gt, gt_json, args.pred)
    cat_ids = [int(c['id']) for c in categories]
    num_classes = args.num_classes or (max(cat_ids) + 1)
    things = [int(c['id']) for c in categories if c.get('isthing')]
    shift, ignore = 16, 255
    void = (ignore << shift) + ignore
    acc = STQAccumulator(num_classes, things, ignore, shift, 2**24,
                         float32_areas=not args.stq_float64)
    for vid, frames in videos:
        frames = list(frames)
        gnum = _instance_numbers([f[2] for f in frames])
        pnum = _instance_numbers([f[3] for f in frames])
        video = acc.new_video(str(vid))
        for gt_path, pred_path, gsegs, psegs in frames:
            maps = []
            for path, segs, numbers in ((gt_path, gsegs, gnum),
                                        (pred_path, psegs, pnum)):
                lut = {}
                for el in segs:
                    cat = int(el['category_id'])
                    if cat < 0 or cat >= num_classes:
                        raise ValueError(
                            f'{path}: segment {el["id"]} has category {cat},'
                            f' beyond the class list (num_classes = '
                            f'{num_classes})')
                    lut[int(el['id'])] = (cat << shift) + \
                        numbers[int(el['id'])]
                maps.append(lut)
            g, p, c = pair_table(
                read_panoptic_png(gt_path), read_panoptic_png(pred_path),
                pred_path)
            keys = []
            for ids, lut, path, side in ((g, maps[0], gt_path, 'ground-truth'),
                                         (p, maps[1], pred_path,
                                          'predicted')):
                uniq = np.unique(ids)
                for i in uniq.tolist():
                    if i != 0 and i not in lut:
                        raise ValueError(f'{path}: {side} segment id {i} is '
                                         f'in the PNG but not in its JSON '
                                         f'segments_info')
                table = np.array([lut.get(i, void) for i in uniq.tolist()],
                                 np.int64)
                keys.append(table[np.searchsorted(uniq, ids)])
            code = (keys[0] << 32) | keys[1]
            codes, inv = np.unique(code, return_inverse=True)
            counts = np.bincount(inv, weights=c).astype(np.int64)
            video.add_table(codes >> 32, codes & 0xFFFFFFFF, counts,
                            where=pred_path)
        acc.add(video.finish())
    res = acc.compute()
    return {k: res[k] for k in ('STQ', 'AQ', 'SQ')}


# -------------------------------------------------------------------- DAVIS
def _png_stems(folder: str) -> List[str]:
    return sorted(
        osp.splitext(f)[0] for f in os.listdir(folder) if f.endswith('.png'))


def eval_davis(args) -> Dict[str, float]:
    from mmvidseg.evaluation.functional.davis import (DAVISVideo,
                                                      davis_summarize)
    ann_dir = args.gt
    if osp.isdir(osp.join(ann_dir, 'Annotations', '480p')):
        ann_dir = osp.join(ann_dir, 'Annotations', '480p')
    if not osp.isdir(ann_dir):
        raise FileNotFoundError(f'{ann_dir}: ground-truth folder not found')
    if args.sequences:
        if not osp.isfile(args.sequences):
            raise FileNotFoundError(f'{args.sequences}: file not found')
        with open(args.sequences) as f:
            seqs = [line.strip() for line in f if line.strip()]
    else:
        seqs = sorted(d for d in os.listdir(ann_dir)
                      if osp.isdir(osp.join(ann_dir, d)))
    if not seqs:
        raise ValueError(f'{ann_dir}: no sequences')
    stats = []
    for seq in seqs:
        gt_dir = osp.join(ann_dir, seq)
        pred_dir = osp.join(args.pred, seq)
        if not osp.isdir(gt_dir):
            raise FileNotFoundError(f'{gt_dir}: sequence folder not found')
        if not osp.isdir(pred_dir):
            raise FileNotFoundError(f'{pred_dir}: prediction folder of '
                                    f'sequence {seq} not found')
        stems = _png_stems(gt_dir)
        if not stems:
            raise ValueError(f'{gt_dir}: sequence {seq} is empty (no PNG)')
        extra = sorted(set(_png_stems(pred_dir)) - set(stems))
        if extra:
            raise ValueError(
                f'{pred_dir}: frame counts differ: the prediction has '
                f'frames {extra[:3]} that the ground truth ({len(stems)} '
                f'frames) does not have')
        video = DAVISVideo(seq)
        for t, stem in enumerate(stems):
            gt_path = osp.join(gt_dir, stem + '.png')
            gt = read_png(gt_path)
            if gt.ndim != 2:
                raise ValueError(f'{gt_path}: expected a palette or index '
                                 f'PNG, got an array of shape {gt.shape}')
            path = osp.join(pred_dir, stem + '.png')
            if t == 0 or t == len(stems) - 1:
                # the first and last frames are not scored (nor read)
                pred = np.zeros(gt.shape[:2], np.uint8)
            else:
                pred = read_png(path)
            video.add_frame(gt, pred, where=path)
        stats.append(video.finish())
    return davis_summarize(stats)


# ------------------------------------------------------------------- YTVIS
def eval_ytvis(args) -> Dict[str, float]:
    from mmvidseg.evaluation.functional.ytvis import ytvis_evaluate
    gt = load_json(args.gt)
    for key in ('videos', 'categories', 'annotations'):
        _require(gt, key, args.gt)
    results = load_json(args.pred)
    res = ytvis_evaluate(gt, results, where=args.pred)
    return {k: res[k] for k in ('AP', 'AP50', 'AP75', 'APs', 'APm', 'APl',
                                'AR1', 'AR10')}


# --------------------------------------------------------------------- VID
def eval_vid(args) -> Dict[str, float]:
    from mmvidseg.evaluation.functional.vid import VIDAccumulator, coco_bbox_ap
    gt = load_json(args.gt)
    images = _require(gt, 'images', args.gt)
    cats = {c['id'] for c in _require(gt, 'categories', args.gt)}
    anns = _require(gt, 'annotations', args.gt)
    results = load_json(args.pred)
    if not isinstance(results, list) or not results:
        raise ValueError(f'{args.pred}: the results must be a non-empty '
                         f'list of detections')
    image_ids = {img['id'] for img in images}
    per_video: Dict = {}
    for img in images:
        per_video.setdefault(img.get('video_id'), []).append(img['id'])
    for video in gt.get('videos', []):
        if video['id'] not in per_video:
            raise ValueError(f'{args.gt}: video {video["id"]} is empty (no '
                             f'images)')
    dets: Dict = {}
    for n, r in enumerate(results):
        for key in ('image_id', 'category_id', 'bbox', 'score'):
            if key not in r:
                raise ValueError(f'{args.pred}: detection {n} has no '
                                 f'"{key}"')
        if r['image_id'] not in image_ids:
            raise ValueError(f'{args.pred}: detection {n} is for image '
                             f'{r["image_id"]}, which is not in the ground '
                             f'truth')
        if r['category_id'] not in cats:
            raise ValueError(f'{args.pred}: detection {n} has category '
                             f'{r["category_id"]}, beyond the class list')
        dets.setdefault(r['image_id'], []).append(r)
    gts: Dict = {}
    for a in anns:
        gts.setdefault(a['image_id'], []).append(a)

    def xyxy(items):
        b = np.array([i['bbox'] for i in items], np.float64).reshape(-1, 4)
        b[:, 2:] += b[:, :2]
        return b

    acc = VIDAccumulator()
    for img in images:  # the devkit pools frames in dataset order
        d, g = dets.get(img['id'], []), gts.get(img['id'], [])
        acc.add_frame(xyxy(d), [i['category_id'] for i in d],
                      [i['score'] for i in d], xyxy(g),
                      [i['category_id'] for i in g],
                      where=f'{args.pred}: image {img["id"]}')
    out = {'mAP50': acc.compute()['mAP50']}
    out.update(coco_bbox_ap(gt, results, args.pred))
    return out


# -------------------------------------------------------------------- DVPQ
def _group_by_sequence(names: List[str]) -> Dict[str, List[str]]:
    """ViP-DeepLab's ``load_sequence``: prefix before the first ``_``."""
    out: Dict[str, List[str]] = {}
    for name in names:
        out.setdefault(name.split('_')[0], []).append(name)
    return {k: sorted(v) for k, v in out.items()}


def eval_dvpq(args) -> Dict[str, float]:
    from mmvidseg.evaluation.functional.dvpq import (CITYSCAPES_DVPS_THINGS,
                                                     DVPQAccumulator)
    for folder in (args.gt, args.pred, args.pred_depth or args.pred):
        if not osp.isdir(folder):
            raise FileNotFoundError(f'{folder}: folder not found')
    gt_files = sorted(os.listdir(args.gt))
    gts = _group_by_sequence(
        [f for f in gt_files if f.endswith('_gtFine_instanceTrainIds.png')])
    depth_gts = _group_by_sequence(
        [f for f in gt_files if f.endswith('_depth.png')])
    pred_files = [f for f in os.listdir(args.pred) if f.endswith('.png')]
    depth_dir = args.pred_depth or args.pred
    if osp.abspath(depth_dir) == osp.abspath(args.pred):
        depth_files = [f for f in pred_files if 'depth' in f]
        pred_files = [f for f in pred_files if 'depth' not in f]
    else:
        depth_files = [
            f for f in os.listdir(depth_dir) if f.endswith('.png')
        ]
    preds = _group_by_sequence(pred_files)
    depth_preds = _group_by_sequence(depth_files)
    if not gts:
        raise ValueError(f'{args.gt}: no *_gtFine_instanceTrainIds.png files')
    thresholds = args.depth_thresholds or [0.5, 0.25, 0.1]
    use_depth = any(t > 0 for t in thresholds)
    windows = args.windows or [1, 2, 3, 4]
    num_classes = args.num_classes or 19
    things = CITYSCAPES_DVPS_THINGS if args.thing_classes is None else \
        args.thing_classes
    acc = DVPQAccumulator(num_classes, things, windows, thresholds)
    for seq, names in gts.items():
        p = preds.get(seq, [])
        if len(p) != len(names):
            raise ValueError(
                f'{args.pred}: sequence {seq} has {len(p)} predicted frames, '
                f'the ground truth has {len(names)}')
        dg = depth_gts.get(seq, [])
        dp = depth_preds.get(seq, [])
        if use_depth and len(dg) != len(names):
            raise ValueError(f'{args.gt}: sequence {seq} has {len(dg)} depth '
                             f'files for {len(names)} frames')
        if use_depth and len(dp) != len(names):
            raise ValueError(
                f'{depth_dir}: sequence {seq} has {len(dp)} predicted depth '
                f'files, the ground truth has {len(names)} frames')
        video = acc.new_video(seq)
        for t, name in enumerate(names):
            gt = read_png(osp.join(args.gt, name)).astype(np.int64)
            pred_path = osp.join(args.pred, p[t])
            rgb = read_png(pred_path)
            if rgb.ndim != 3 or rgb.shape[2] < 2:
                raise ValueError(f'{pred_path}: expected an RGB panoptic PNG '
                                 f'(R = class, G = instance), got shape '
                                 f'{rgb.shape}')
            pred = rgb[..., 0].astype(np.int64) * 1000 + rgb[..., 1]
            depth = (None, None)
            if use_depth:
                depth = (read_png(osp.join(args.gt, dg[t])),
                         read_png(osp.join(depth_dir, dp[t])))
            video.add_frame(gt, pred, *depth, where=pred_path)
        acc.add(video.finish())
    res = acc.compute()
    keys = ['DVPQ', 'DVPQ_th', 'DVPQ_st'] + [
        f'DVPQ@{k}@{float(t)}' for k in windows for t in thresholds
    ]
    return {k: res[k] for k in keys}


# --------------------------------------------------------------------- VSS
def _video_list(root: str, split_file: str = None) -> List[str]:
    if split_file:
        if not osp.isfile(split_file):
            raise FileNotFoundError(f'{split_file}: file not found')
        with open(split_file) as f:
            return [line.strip() for line in f if line.strip()]
    return sorted(
        d for d in os.listdir(osp.join(root, 'data'))
        if osp.isdir(osp.join(root, 'data', d)))


def eval_vss(args) -> Dict[str, float]:
    from mmvidseg.evaluation.functional.vss import VSSAccumulator
    data = osp.join(args.gt, 'data')
    if not osp.isdir(data):
        raise FileNotFoundError(f'{data}: folder not found')
    videos = _video_list(args.gt, args.split)
    if not videos:
        raise ValueError(f'{data}: no videos')
    acc = VSSAccumulator(num_classes=args.num_classes or 124,
                         windows=(8, 16))
    for video in videos:
        mask_dir = osp.join(data, video, 'mask')
        pred_dir = osp.join(args.pred, video)
        if not osp.isdir(mask_dir):
            raise FileNotFoundError(f'{mask_dir}: folder not found')
        names = sorted(f for f in os.listdir(mask_dir) if f.endswith('.png'))
        if not names:
            raise ValueError(f'{mask_dir}: video {video} is empty (no PNG)')
        if osp.isdir(pred_dir):
            extra = sorted(
                set(f for f in os.listdir(pred_dir) if f.endswith('.png')) -
                set(names))
            if extra:
                raise ValueError(
                    f'{pred_dir}: frame counts differ: the prediction has '
                    f'{extra[:3]} that the ground truth ({len(names)} '
                    f'frames) does not have')

        def frames(mask_dir=mask_dir, pred_dir=pred_dir, names=names):
            for name in names:
                gt = read_png(osp.join(mask_dir, name))
                path = osp.join(pred_dir, name)
                pred = read_png(path)
                if pred.ndim != 2:
                    raise ValueError(f'{path}: expected an index PNG, got '
                                     f'shape {pred.shape}')
                yield gt, pred

        acc.add_video(frames(), name=video)
    res = acc.compute()
    return {k: res[k] for k in ('mIoU', 'mVC8', 'mVC16')}


# -------------------------------------------------------------------- PSNR
def _image_files(folder: str) -> List[str]:
    exts = ('.png', '.jpg', '.jpeg', '.bmp')
    out = []
    for dirpath, _, files in os.walk(folder):
        for f in files:
            if f.lower().endswith(exts):
                out.append(osp.relpath(osp.join(dirpath, f), folder))
    return sorted(out)


def eval_psnr(args) -> Dict[str, float]:
    try:
        from mmvidseg.evaluation.functional.psnr_ssim import psnr, ssim
    except ImportError as e:
        raise ValueError(
            'psnr: mmvidseg.evaluation.functional.psnr_ssim (psnr, ssim) is '
            f'not available in this checkout ({e})') from None
    files = _image_files(args.gt)
    if not files:
        raise ValueError(f'{args.gt}: no frames')
    pred_files = set(_image_files(args.pred))
    if len(pred_files) != len(files):
        raise ValueError(f'{args.pred}: frame counts differ: '
                         f'{len(pred_files)} predicted frames, '
                         f'{len(files)} ground-truth frames')
    scores: Dict[str, List[float]] = {'PSNR': [], 'SSIM': []}
    if args.masks:
        scores.update({'PSNR_masked': [], 'SSIM_masked': []})
    for rel in files:
        gt = read_png(osp.join(args.gt, rel))
        pred = read_png(osp.join(args.pred, rel))
        if pred.shape != gt.shape:
            raise ValueError(f'{osp.join(args.pred, rel)}: shape '
                             f'{pred.shape} differs from the ground truth '
                             f'{gt.shape}')
        scores['PSNR'].append(float(psnr(pred, gt)))
        scores['SSIM'].append(float(ssim(pred, gt)))
        if args.masks:
            mask = read_png(
                osp.join(args.masks,
                         osp.splitext(rel)[0] + '.png')) > 0
            if mask.ndim == 3:
                mask = mask.any(-1)
            scores['PSNR_masked'].append(float(psnr(pred, gt, mask=mask)))
            scores['SSIM_masked'].append(float(ssim(pred, gt, mask=mask)))
    return {k: float(np.mean(v)) for k, v in scores.items()}


METRICS = {
    'vpq': eval_vpq,
    'stq': eval_stq,
    'davis': eval_davis,
    'ytvis': eval_ytvis,
    'vid': eval_vid,
    'dvpq': eval_dvpq,
    'vss': eval_vss,
    'psnr': eval_psnr,
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Score saved predictions with the official metrics.',
        epilog=__doc__.split('\n\n', 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('metric', choices=sorted(METRICS))
    parser.add_argument('--gt', required=True, help='ground truth')
    parser.add_argument('--pred', required=True, help='predictions')
    parser.add_argument('--gt-json', help='vpq/stq: ground-truth JSON')
    parser.add_argument(
        '--windows', type=int, nargs='+', help='vpq/dvpq window sizes')
    parser.add_argument(
        '--num-classes',
        type=int,
        help='stq/vss/dvpq number of classes (vss: GT values outside '
        '[0, N) are ignored; default 124)')
    parser.add_argument(
        '--stq-float64',
        action='store_true',
        help='stq: float64 areas (numpy 1.x / integer-count numbers)')
    parser.add_argument(
        '--depth-thresholds',
        type=float,
        nargs='+',
        help='dvpq: depth thresholds (default 0.5 0.25 0.1)')
    parser.add_argument('--pred-depth', help='dvpq: predicted depth dir')
    parser.add_argument(
        '--thing-classes',
        type=int,
        nargs='+',
        help='dvpq: thing class ids (default 11..18)')
    parser.add_argument('--split', help='vss: file listing the videos')
    parser.add_argument('--sequences', help='davis: file listing sequences')
    parser.add_argument('--masks', help='psnr: folder of motion masks')
    return parser.parse_args(argv)


def main(argv=None) -> Dict[str, float]:
    args = parse_args(argv)
    result = METRICS[args.metric](args)
    print(to_json(result))
    return result


if __name__ == '__main__':
    try:
        main()
    except (FileNotFoundError, ValueError) as e:
        print(f'error: {e}', file=sys.stderr)
        sys.exit(1)
