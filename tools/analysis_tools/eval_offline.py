# Copyright (c) OpenMMLab. All rights reserved.
"""Score predictions saved in a benchmark's official submission format.

Usage::

    python tools/analysis_tools/eval_offline.py METRIC --gt GT --pred PRED \
        [options]

prints one strict JSON object to stdout: a NaN or infinite score is
written as ``null`` with a ``<name>_reason`` entry beside it saying why
(``vss`` prints the reason on stderr instead, keeping its three keys).
Inputs, per METRIC (the official evaluators' own formats):

=========  ==================================================================
``vpq``    VIPSeg: ``GT`` = dir of ``<video>/<frame>.png`` RGB panoptic PNGs
``stq``    (id = R + 256 G + 256^2 B) plus the ``panoptic_gt_VIPSeg_val``
           JSON (``--gt-json``, default: the only ``*.json`` in ``GT``);
           ``PRED`` = dir with ``pred.json`` + ``pan_pred/<video>/<frame>
           .png``; ``pred.json`` frames pair with the ground-truth images
           by ``file_name`` (by position when they have none).
           ``--windows`` (vpq; default 1 2 4 6 8),
           ``--num-classes`` (stq; default max category id + 1),
           ``--stq-float64`` (numpy-1 / integer-count STQ).
``dvpq``   Cityscapes-DVPS: ``GT`` = dir with ``*_gtFine_instanceTrainIds
           .png`` + ``*_depth.png``; ``PRED`` = dir with the RGB panoptic
           PNGs (R = class, G = instance), ``--pred-depth`` (default
           ``PRED``; there, names containing ``depth``) with uint16 depth
           PNGs. A file's frame is the first two ``_``-separated fields
           of its name (``<sequence>_<frame>_...``): predictions pair with
           the ground truth by that name, frames run in sorted order
           within a sequence. ``--windows`` (default 1 2 3 4),
           ``--depth-thresholds`` (default 0.5 0.25 0.1), ``--num-classes``
           (default 19), ``--thing-classes`` (default 11..18).
           ``--layout semkitti``: SemKITTI-DVPS, scored with its own
           ``semkitti-dvps/eval_dvpq.py`` rules: ``GT`` = dir with
           ``*_gtFine_class.png`` (uint8 class, 255 void) +
           ``*_gtFine_instance.png`` + ``*_depth_<focal>.png``; ``PRED`` =
           dir with ``*cat.png`` (class) + ``*ins.png`` (instance), e.g.
           ``<sequence>_<frame>_leftImg8bit_cat.png``; ``--pred-depth``
           as above. Ids ``class * 2**20 + instance``, epsilon 1e-10 (a
           class without TP counts as 0), things 0..7, windows 1 5 10 20,
           and the windows run over all frames in name order, across
           sequences, as the official script does.
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
           mIoU is one confusion matrix over all videos, averaged over
           the classes with GT pixels only (as VSPW's ``utils.py``
           ``Mean_Intersection_over_Union``): a class that is only
           predicted is not averaged; mVC8/mVC16 use every pixel,
           ignored ones included. ``--split`` (a video list file; default
           every video).
``davis``  DAVIS 2017 semi-supervised: ``GT`` = root with ``Annotations/
           480p/<seq>/*.png`` (or that folder itself), ``PRED`` =
           ``<seq>/*.png`` (palette or index PNGs), one per ground-truth
           frame: as the official reader, every frame is read and checked,
           the unscored first and last ones too. ``--sequences`` file.
``psnr``   Two folders of frames (``PRED``, ``GT``), same relative paths;
           ``--masks`` folder of motion masks for the masked scores.
=========  ==================================================================

Bad input (frame counts that differ, a missing, extra, renamed or
truncated prediction file, an id in a PNG absent from its JSON, a class
beyond the class list, a NaN / infinite / negative score or box, a wrong
size, an empty video) stops with an error naming the file and the problem.
``tests/test_evaluation/test_corruptions.py`` pins this for every metric.
"""
import argparse
import glob
import json
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


def _require(mapping: dict, key: str, path: str, what: str = ''):
    if not isinstance(mapping, dict) or key not in mapping:
        raise ValueError(f'{path}: {what + " is " if what else ""}missing '
                         f'the "{key}" field')
    return mapping[key]


class Scores(dict):
    """A metric's scores, with ``reasons``: why a NaN / infinite score is
    one (score name -> a sentence), written into the JSON unless
    ``reasons_in_json`` is False."""

    def __init__(self, scores: Dict, reasons: Dict[str, str] = None,
                 reasons_in_json: bool = True):
        super().__init__(scores)
        self.reasons = dict(reasons or {})
        self.reasons_in_json = reasons_in_json


def to_json(result: Dict) -> str:
    """Strict JSON of a flat dict of numbers: NaN / infinity as null,
    followed by ``<name>_reason`` (from ``result.reasons`` when it is a
    :class:`Scores`, else a generic one)."""
    from mmvidseg.evaluation.strict_json import dumps_strict
    return dumps_strict({k: float(v) for k, v in result.items()},
                        getattr(result, 'reasons', None),
                        getattr(result, 'reasons_in_json', True))


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


def _by_video(path: str, entries) -> Dict:
    """``{video_id: annotations}`` of a panoptic video JSON's entries."""
    if not isinstance(entries, list):
        raise ValueError(f'{path}: "annotations" must be a list')
    out = {}
    for n, a in enumerate(entries):
        vid = _require(a, 'video_id', path, f'annotation entry {n}')
        out[vid] = _require(a, 'annotations', path, f'video {vid}')
    return out


def _pair_frames(vid, images, g, p, gt_json: str, pred_json: str):
    """Predicted frames in ground-truth order: by ``file_name`` when every
    predicted frame has one (a reordered, renamed, missing or extra frame
    is an error), else by position (the counts must agree)."""
    names = [_require(img, 'file_name', gt_json, f'an image of video {vid}')
             for img in images]
    if len(g) != len(images):
        raise ValueError(f'{gt_json}: video {vid} lists {len(images)} images '
                         f'but {len(g)} annotated frames')
    if p and all(isinstance(a, dict) and 'file_name' in a for a in p):
        by_name = {}
        for a in p:
            if a['file_name'] in by_name:
                raise ValueError(f'{pred_json}: video {vid} has two '
                                 f'predicted frames named {a["file_name"]}')
            by_name[a['file_name']] = a
        extra = sorted(set(by_name) - set(names))
        missing = [n for n in names if n not in by_name]
        if extra or missing:
            raise ValueError(
                f'{pred_json}: video {vid} has {len(p)} predicted frames, '
                f'the ground truth has {len(names)}; frames without a '
                f'prediction: {missing[:3]}, predicted frames not in the '
                f'ground truth: {extra[:3]}')
        p = [by_name[n] for n in names]
    elif len(p) != len(g):
        raise ValueError(f'{pred_json}: video {vid} has {len(p)} predicted '
                         f'frames, the ground truth has {len(g)}')
    return names, p


def vipseg_videos(gt_dir: str, gt_json: str, pred_dir: str):
    """Iterate the videos of a VIPSeg-style panoptic layout.

    Returns:
        tuple: ``(categories, videos)``; ``videos`` yields ``(video_id,
        frames)`` where ``frames`` yields ``(gt_png_path, pred_png_path,
        gt_segments_info, pred_segments_info)`` per frame.
    """
    gt = load_json(gt_json)
    pred_json = osp.join(pred_dir, 'pred.json')
    pred = load_json(pred_json)
    categories = _require(gt, 'categories', gt_json)
    gt_ann = _by_video(gt_json, _require(gt, 'annotations', gt_json))
    pred_ann = _by_video(pred_json, _require(pred, 'annotations', pred_json))
    videos = _require(gt, 'videos', gt_json)
    if not videos:
        raise ValueError(f'{gt_json}: no videos')

    def _frames(vid, names, g, p):
        for name, ga, pa in zip(names, g, p):
            pred_png = osp.join(pred_dir, 'pan_pred', str(vid), name)
            yield (osp.join(gt_dir, str(vid), name), pred_png,
                   _require(ga, 'segments_info', gt_json,
                            f'frame {name} of video {vid}'),
                   _require(pa, 'segments_info', pred_json,
                            f'frame {name} of video {vid}'))

    def _videos():
        for n, video in enumerate(videos):
            vid = _require(video, 'video_id', gt_json, f'video entry {n}')
            images = video.get('images', [])
            if not images:
                raise ValueError(f'{gt_json}: video {vid} is empty (no '
                                 f'images)')
            if vid not in gt_ann:
                raise ValueError(f'{gt_json}: no annotations for video {vid}')
            if vid not in pred_ann:
                raise ValueError(f'{pred_json}: no annotations for video '
                                 f'{vid}')
            names, p = _pair_frames(vid, images, gt_ann[vid], pred_ann[vid],
                                    gt_json, pred_json)
            yield vid, _frames(vid, names, gt_ann[vid], p)

    return categories, _videos()


def eval_vpq(args) -> Dict[str, float]:
    gt_json = find_gt_json(args.gt, args.gt_json)
    from mmvidseg.evaluation.functional.vpq import (VPQVideo, vpq_null_reasons,
                                                    vpq_summarize)
    categories, videos = vipseg_videos(args.gt, gt_json, args.pred)
    windows = args.windows or [1, 2, 4, 6, 8]
    stats = []
    for vid, frames in videos:
        video = VPQVideo(categories, windows, name=str(vid))
        for gt_path, pred_path, gsegs, psegs in frames:
            video.add_frame(
                read_panoptic_png(gt_path), read_panoptic_png(pred_path),
                gsegs, psegs, where=f'{pred_path} (ground truth {gt_path})')
        stats.append(video.finish())
    res = vpq_summarize(stats, categories, windows)
    keys = ['VPQ', 'VPQ_th', 'VPQ_st'] + [f'VPQ@{k}' for k in windows]
    out = {k: res[k] for k in keys}
    return Scores(out, vpq_null_reasons(stats, categories, windows))


def _segment_field(el, key: str, path: str) -> int:
    """An integer field of a ``segments_info`` entry; errors name the
    frame's file."""
    if not isinstance(el, dict) or key not in el:
        raise ValueError(f'{path}: a segments_info entry has no "{key}" '
                         f'({el!r})')
    value = el[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f'{path}: segments_info "{key}" must be an '
                         f'integer, got {value!r}')
    return value


def _instance_numbers(frames_segments: List[tuple]) -> Dict[int, int]:
    """VIPSeg's STQ driver: ids numbered from 0 by first appearance
    (``frames_segments``: ``(png path, segments_info)`` per frame)."""
    numbers: Dict[int, int] = {}
    for path, segs in frames_segments:
        for el in segs:
            numbers.setdefault(_segment_field(el, 'id', path), len(numbers))
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
        gnum = _instance_numbers([(f[0], f[2]) for f in frames])
        pnum = _instance_numbers([(f[1], f[3]) for f in frames])
        video = acc.new_video(str(vid))
        for gt_path, pred_path, gsegs, psegs in frames:
            maps = []
            for path, segs, numbers in ((gt_path, gsegs, gnum),
                                        (pred_path, psegs, pnum)):
                lut = {}
                for el in segs:
                    cat = _segment_field(el, 'category_id', path)
                    sid = _segment_field(el, 'id', path)
                    if cat < 0 or cat >= num_classes:
                        raise ValueError(
                            f'{path}: segment {sid} has category {cat},'
                            f' beyond the class list (num_classes = '
                            f'{num_classes})')
                    lut[sid] = (cat << shift) + numbers[sid]
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
                                                      davis_null_reasons,
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
                f'frames {[osp.join(pred_dir, e + ".png") for e in extra[:3]]}'
                f' that the ground truth ({len(stems)} frames) does not have')
        video = DAVISVideo(seq)
        for t, stem in enumerate(stems):
            gt_path = osp.join(gt_dir, stem + '.png')
            gt = read_png(gt_path)
            if gt.ndim != 2:
                raise ValueError(f'{gt_path}: expected a palette or index '
                                 f'PNG, got an array of shape {gt.shape}')
            # every frame is read, as the official reader does: the first
            # and last are not scored, but a missing, truncated, wrong-size
            # or out-of-range one stops the evaluation there too
            path = osp.join(pred_dir, stem + '.png')
            pred = read_png(path)
            video.add_frame(gt, pred, where=path)
            if t == 0 and pred.size and pred.max() > video.num_objects:
                raise ValueError(
                    f'{path}: predicted object id {int(pred.max())} is '
                    f'higher than the number of objects '
                    f'({video.num_objects}) in the first ground-truth frame')
        stats.append(video.finish())
    res = davis_summarize(stats)
    return Scores(res, davis_null_reasons(res, stats))


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
    from mmvidseg.evaluation.functional.vid import (VIDAccumulator,
                                                    check_detection,
                                                    coco_bbox_ap)
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
        check_detection(r, n, args.pred)
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
    if all('instance_id' in a for a in anns):
        out.update(_vid_motion_map(images, dets, gts, xyxy))
    out.update(coco_bbox_ap(gt, results, args.pred))
    return out


def _vid_motion_map(images: list, dets: Dict, gts: Dict,
                    xyxy) -> Dict[str, float]:
    """``mAP50_fast`` / ``_medium`` / ``_slow``: the devkit's
    motion-specific mAP50, each ground-truth box's motion IoU computed from
    the annotations (``instance_id`` across the frames of its video)."""
    from mmvidseg.evaluation.functional.vid import (vid_motion_video,
                                                    vid_summarize_motion)
    videos: Dict = {}
    for index, img in enumerate(images):
        videos.setdefault(img.get('video_id', -1 - index), []).append(img)
    stats: Dict = {}
    for frames in videos.values():
        items = []
        for img in sorted(frames, key=lambda im: im.get('frame_id', 0)):
            d, g = dets.get(img['id'], []), gts.get(img['id'], [])
            items.append((xyxy(d), [i['category_id'] for i in d],
                          [i['score'] for i in d], xyxy(g),
                          [i['category_id'] for i in g],
                          [i['instance_id'] for i in g],
                          img.get('frame_id', 0)))
        vid_motion_video(stats, items)
    return {f'mAP50_{k}': vid_summarize_motion(v) for k, v in stats.items()}


# -------------------------------------------------------------------- DVPQ
def _group_by_sequence(names: List[str]) -> Dict[str, List[str]]:
    """ViP-DeepLab's ``load_sequence``: prefix before the first ``_``."""
    out: Dict[str, List[str]] = {}
    for name in names:
        out.setdefault(name.split('_')[0], []).append(name)
    return {k: sorted(v) for k, v in out.items()}


def _frames_by_name(folder: str, names: List[str], what: str,
                    suffix: str = '') -> Dict:
    """``{'<sequence>_<frame>': path}`` of PNG files named
    ``<sequence>_<frame>_...png`` (the first two ``_`` fields, as the
    Cityscapes-DVPS file names and ViP-DeepLab's outputs have them);
    ``suffix`` (e.g. ``'cat.png'``) is cut off the names first."""
    out: Dict[str, str] = {}
    for name in sorted(names):
        path = osp.join(folder, name)
        stem = name[:-len(suffix)] if suffix else osp.splitext(name)[0]
        parts = stem.split('_')
        if len(parts) < 2 or not parts[0] or not parts[1]:
            raise ValueError(f'{path}: cannot tell the sequence and frame of '
                             f'this {what} file (expected a name '
                             f'"<sequence>_<frame>_....png")')
        key = '_'.join(parts[:2])
        if key in out:
            raise ValueError(f'{path}: a second {what} file for frame {key} '
                             f'(the first: {out[key]})')
        out[key] = path
    return out


def _match_frames(gt: Dict[str, str], pred: Dict[str, str], folder: str,
                  what: str) -> None:
    """Every ground-truth frame has a prediction and every prediction a
    ground-truth frame (by name), else an error naming the file."""
    extra = sorted(set(pred) - set(gt))
    missing = sorted(set(gt) - set(pred))
    if not extra and not missing:
        return
    seq = (extra or missing)[0].split('_')[0]
    counts = (f'sequence {seq} has '
              f'{sum(k.split("_")[0] == seq for k in pred)} {what} frames, '
              f'the ground truth has '
              f'{sum(k.split("_")[0] == seq for k in gt)}')
    if extra:
        raise ValueError(
            f'{pred[extra[0]]}: a {what} file for frame {extra[0]}, which '
            f'the ground truth does not have (renamed or extra?); {counts}'
            + (f'; frames without one: {missing[:3]}' if missing else ''))
    raise ValueError(
        f'{osp.join(folder, missing[0] + "_*.png")}: no {what} file for '
        f'the ground-truth frame {gt[missing[0]]}: {counts}')


def _dvps_files(args):
    """Ground-truth and predicted files of every frame, by name."""
    for folder in (args.gt, args.pred, args.pred_depth or args.pred):
        if not osp.isdir(folder):
            raise FileNotFoundError(f'{folder}: folder not found')
    gt_files = os.listdir(args.gt)
    gts = _frames_by_name(args.gt, [
        f for f in gt_files if f.endswith('_gtFine_instanceTrainIds.png')
    ], 'ground-truth panoptic')
    if not gts:
        raise ValueError(f'{args.gt}: no *_gtFine_instanceTrainIds.png files')
    depth_gts = _frames_by_name(
        args.gt, [f for f in gt_files if f.endswith('_depth.png')],
        'ground-truth depth')
    pred_files = [f for f in os.listdir(args.pred) if f.endswith('.png')]
    depth_dir = args.pred_depth or args.pred
    if osp.abspath(depth_dir) == osp.abspath(args.pred):
        depth_files = [f for f in pred_files if 'depth' in f]
        pred_files = [f for f in pred_files if 'depth' not in f]
    else:
        depth_files = [
            f for f in os.listdir(depth_dir) if f.endswith('.png')
        ]
    preds = _frames_by_name(args.pred, pred_files, 'predicted')
    _match_frames(gts, preds, args.pred, 'predicted')
    depth_preds = _frames_by_name(depth_dir, depth_files, 'predicted depth')
    return gts, preds, depth_gts, depth_preds, depth_dir


def _read_depth(path: str, shape) -> np.ndarray:
    depth = read_png(path)
    if depth.shape != tuple(shape):
        raise ValueError(f'{path}: expected a single-channel depth PNG of '
                         f'shape {tuple(shape)} (the panoptic one), got '
                         f'shape {depth.shape}')
    return depth


def eval_dvpq(args) -> Dict[str, float]:
    if getattr(args, 'layout', 'cityscapes') == 'semkitti':
        return eval_dvpq_semkitti(args)
    from mmvidseg.evaluation.functional.dvpq import (CITYSCAPES_DVPS_THINGS,
                                                     DVPQAccumulator,
                                                     dvpq_null_reasons)
    gts, preds, depth_gts, depth_preds, depth_dir = _dvps_files(args)
    thresholds = args.depth_thresholds or [0.5, 0.25, 0.1]
    use_depth = any(t > 0 for t in thresholds)
    if use_depth:
        _match_frames(gts, depth_gts, args.gt, 'ground-truth depth')
        _match_frames(gts, depth_preds, depth_dir, 'predicted depth')
    windows = args.windows or [1, 2, 3, 4]
    num_classes = args.num_classes or 19
    things = CITYSCAPES_DVPS_THINGS if args.thing_classes is None else \
        args.thing_classes
    acc = DVPQAccumulator(num_classes, things, windows, thresholds)
    for seq, keys in _group_by_sequence(list(gts)).items():
        video = acc.new_video(seq)
        for key in keys:
            gt = read_png(gts[key]).astype(np.int64)
            pred_path = preds[key]
            rgb = read_png(pred_path)
            if rgb.ndim != 3 or rgb.shape[2] < 2:
                raise ValueError(f'{pred_path}: expected an RGB panoptic PNG '
                                 f'(R = class, G = instance), got shape '
                                 f'{rgb.shape}')
            pred = rgb[..., 0].astype(np.int64) * 1000 + rgb[..., 1]
            depth = (None, None)
            if use_depth:
                depth = (_read_depth(depth_gts[key], gt.shape),
                         _read_depth(depth_preds[key], gt.shape))
            video.add_frame(gt, pred, *depth, where=pred_path)
        acc.add(video.finish())
    res = acc.compute()
    keys = ['DVPQ', 'DVPQ_th', 'DVPQ_st'] + [
        f'DVPQ@{k}@{float(t)}' for k in windows for t in thresholds
    ]
    out = {k: res[k] for k in keys}
    return Scores(out, dvpq_null_reasons(acc.stats, num_classes, things,
                                         windows, thresholds))


def _semkitti_files(args):
    """SemKITTI-DVPS files of every frame, by ``<sequence>_<frame>``:
    ``(gt class, gt instance, gt depth, pred cat, pred ins, pred depth,
    pred depth dir)``, each a ``{frame: path}`` dict."""
    for folder in (args.gt, args.pred, args.pred_depth or args.pred):
        if not osp.isdir(folder):
            raise FileNotFoundError(f'{folder}: folder not found')
    gt_files = [f for f in os.listdir(args.gt) if f.endswith('.png')]
    classes = [f for f in gt_files if 'gtFine_class' in f]
    if not classes:
        raise ValueError(f'{args.gt}: no *_gtFine_class.png files')
    gt_cls = _frames_by_name(args.gt, classes, 'ground-truth class')
    # the official reader: the class file's name with class -> instance
    gt_ins = {
        k: osp.join(args.gt,
                    osp.basename(p).replace('gtFine_class', 'gtFine_instance'))
        for k, p in gt_cls.items()
    }
    gt_depth = _frames_by_name(args.gt, [f for f in gt_files if 'depth' in f],
                               'ground-truth depth')
    pred_files = [f for f in os.listdir(args.pred) if f.endswith('.png')]
    cat = _frames_by_name(args.pred,
                          [f for f in pred_files if f.endswith('cat.png')],
                          'predicted class (*cat.png)', 'cat.png')
    ins = _frames_by_name(args.pred,
                          [f for f in pred_files if f.endswith('ins.png')],
                          'predicted instance (*ins.png)', 'ins.png')
    _match_frames(gt_cls, cat, args.pred, 'predicted class (*cat.png)')
    _match_frames(gt_cls, ins, args.pred, 'predicted instance (*ins.png)')
    depth_dir = args.pred_depth or args.pred
    if osp.abspath(depth_dir) == osp.abspath(args.pred):
        names = [f for f in pred_files if 'depth' in f and
                 not f.endswith(('cat.png', 'ins.png'))]
    else:
        names = [f for f in os.listdir(depth_dir) if f.endswith('.png')]
    pred_depth = _frames_by_name(depth_dir, names, 'predicted depth')
    return gt_cls, gt_ins, gt_depth, cat, ins, pred_depth, depth_dir


def _semkitti_ids(cls_path: str, ins_path: str, shape=None) -> np.ndarray:
    """``class * 2**20 + instance`` from a class and an instance PNG."""
    cls, ins = read_png(cls_path), read_png(ins_path)
    for path, a in ((cls_path, cls), (ins_path, ins)):
        if a.ndim != 2 or (shape is not None and a.shape != tuple(shape)):
            raise ValueError(f'{path}: expected a single-channel PNG' + (
                f' of shape {tuple(shape)}' if shape is not None else '') +
                f', got shape {a.shape}')
    if cls.shape != ins.shape:
        raise ValueError(f'{ins_path}: shape {ins.shape} differs from the '
                         f'class map {cls_path} ({cls.shape})')
    ins = ins.astype(np.int64)
    if ins.size and (ins.min() < 0 or ins.max() >= 2**20):
        raise ValueError(f'{ins_path}: instance id {int(ins.max())} is '
                         f'outside [0, 2**20) (ids are class * 2**20 + '
                         f'instance)')
    return cls.astype(np.int64) * 2**20 + ins


def eval_dvpq_semkitti(args) -> Dict[str, float]:
    """DVPQ with the rules of ViP-DeepLab's ``semkitti-dvps/eval_dvpq.py``:
    every frame of the folder, in name order, is one stream of windows."""
    from mmvidseg.evaluation.functional.dvpq import (DVPQAccumulator,
                                                     dvpq_null_reasons)
    gt_cls, gt_ins, gt_depth, cat, ins, pred_depth, depth_dir = \
        _semkitti_files(args)
    acc = DVPQAccumulator.from_rules(
        'semkitti', num_classes=args.num_classes,
        thing_classes=args.thing_classes, windows=args.windows,
        depth_thresholds=args.depth_thresholds)
    if any(t > 0 for t in acc.depth_thresholds):
        _match_frames(gt_cls, gt_depth, args.gt, 'ground-truth depth')
        _match_frames(gt_cls, pred_depth, depth_dir, 'predicted depth')
    video = acc.new_video(f'{args.gt} (all frames in name order)')
    for key in sorted(gt_cls):
        gt = _semkitti_ids(gt_cls[key], gt_ins[key])
        pred = _semkitti_ids(cat[key], ins[key], gt.shape)
        depth = (None, None)
        if any(t > 0 for t in acc.depth_thresholds):
            depth = (_read_depth(gt_depth[key], gt.shape),
                     _read_depth(pred_depth[key], gt.shape))
        video.add_frame(gt, pred, *depth,
                        where=f'{cat[key]} (ground truth {gt_cls[key]})')
    acc.add(video.finish())
    res = acc.compute()
    keys = ['DVPQ', 'DVPQ_th', 'DVPQ_st'] + [
        f'DVPQ@{k}@{float(t)}' for k in acc.windows
        for t in acc.depth_thresholds
    ]
    return Scores({k: res[k] for k in keys},
                  dvpq_null_reasons(acc.stats, acc.num_classes,
                                    acc.thing_classes, acc.windows,
                                    acc.depth_thresholds, acc.epsilon))


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
    from mmvidseg.evaluation.functional.vss import (VSSAccumulator,
                                                    vss_null_reasons)
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
                    f'{[osp.join(pred_dir, e) for e in extra[:3]]} that the '
                    f'ground truth ({len(names)} frames) does not have')

        def frames(mask_dir=mask_dir, pred_dir=pred_dir, names=names,
                   video=video):
            for t, name in enumerate(names):
                gt = read_png(osp.join(mask_dir, name))
                path = osp.join(pred_dir, name)
                pred = read_png(path)
                if pred.ndim != 2:
                    raise ValueError(f'{path}: expected an index PNG, got '
                                     f'shape {pred.shape}')
                yield gt, pred, f'{path}: {video} frame {t}'

        acc.add_video(frames(), name=video)
    res = acc.compute()
    out = {k: res[k] for k in ('mIoU', 'mVC8', 'mVC16')}
    # the three keys stay the only ones: reasons go to stderr
    reasons = vss_null_reasons(out, [s.num_frames for s in acc.stats],
                               (8, 16))
    for key, reason in reasons.items():
        print(f'note: {key} is null: {reason}', file=sys.stderr)
    return Scores(out, reasons, reasons_in_json=False)


# -------------------------------------------------------------------- PSNR
def _image_files(folder: str) -> List[str]:
    exts = ('.png', '.jpg', '.jpeg', '.bmp')
    out = []
    for dirpath, _, files in os.walk(folder):
        for f in files:
            if f.lower().endswith(exts):
                out.append(osp.relpath(osp.join(dirpath, f), folder))
    return sorted(out)


def _psnr_mask(args, rel: str, shape) -> np.ndarray:
    """The motion mask of frame ``rel`` as an (H, W) bool map."""
    path = osp.join(args.masks, osp.splitext(rel)[0] + '.png')
    mask = read_png(path) > 0
    if mask.ndim == 3:
        mask = mask.any(-1)
    if mask.shape != tuple(shape[:2]):
        raise ValueError(f'{path}: mask shape {mask.shape} differs from the '
                         f'frame size {tuple(shape[:2])}')
    return mask


def _psnr_reasons(scores: Dict[str, List[float]]) -> Dict[str, str]:
    reasons = {}
    for key, values in scores.items():
        values = np.asarray(values, np.float64)
        inf, nan = int(np.isinf(values).sum()), int(np.isnan(values).sum())
        if key.startswith('PSNR') and inf:
            reasons[key] = (f'infinite: {inf} of {len(values)} frames equal '
                            f'the ground truth' +
                            (' on their mask' if 'masked' in key else '') +
                            ' (PSNR = inf), so the mean is infinite')
        if nan:
            reasons[key] = (f'{nan} of {len(values)} frames have an empty '
                            f'motion mask (NaN), so the mean is NaN')
    return reasons


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
    missing = [f for f in files if f not in pred_files]
    extra = sorted(pred_files - set(files))
    if missing or extra:
        bad = osp.join(args.pred, (missing or extra)[0])
        raise ValueError(
            f'{bad}: frame counts differ: {len(pred_files)} predicted '
            f'frames, {len(files)} ground-truth frames; ' +
            (f'no prediction for {missing[:3]}' if missing else
             f'predicted frames not in the ground truth: {extra[:3]}'))
    scores: Dict[str, List[float]] = {'PSNR': [], 'SSIM': []}
    if args.masks:
        scores.update({'PSNR_masked': [], 'SSIM_masked': []})
    for rel in files:
        gt = read_png(osp.join(args.gt, rel))
        pred_path = osp.join(args.pred, rel)
        pred = read_png(pred_path)
        if pred.shape != gt.shape:
            raise ValueError(f'{pred_path}: shape {pred.shape} differs from '
                             f'the ground truth {gt.shape}')
        mask = _psnr_mask(args, rel, gt.shape) if args.masks else None
        try:
            scores['PSNR'].append(float(psnr(pred, gt)))
            scores['SSIM'].append(float(ssim(pred, gt)))
            if mask is not None:
                scores['PSNR_masked'].append(float(psnr(pred, gt,
                                                        mask=mask)))
                scores['SSIM_masked'].append(float(ssim(pred, gt,
                                                        mask=mask)))
        except ValueError as e:
            raise ValueError(f'{pred_path}: {e}') from None
    return Scores({k: float(np.mean(v)) for k, v in scores.items()},
                  _psnr_reasons(scores))


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
        '--windows',
        type=int,
        nargs='+',
        help='vpq/dvpq window sizes (dvpq: default 1 2 3 4; semkitti 1 5 '
        '10 20)')
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
        '--layout',
        choices=['cityscapes', 'semkitti'],
        default='cityscapes',
        help='dvpq: the dataset\'s file layout and official rules '
        '(default cityscapes)')
    parser.add_argument(
        '--thing-classes',
        type=int,
        nargs='+',
        help='dvpq: thing class ids (default 11..18; semkitti 0..7)')
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
