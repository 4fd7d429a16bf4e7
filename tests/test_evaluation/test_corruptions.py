# Copyright (c) OpenMMLab. All rights reserved.
"""Corruption suite: no bad prediction passes ``eval_offline.py`` silently.

For every metric of ``tools/analysis_tools/eval_offline.py``, perfect (or,
for PSNR, slightly noisy) predictions are generated from toy ground truth
(two 4-frame 24x32 videos, written once per module) in the metric's
submission format. Each row of the metric's table corrupts a copy and
asserts one of:

* an exception whose message contains the offending path: the deleted,
  truncated, renamed, resized... prediction file itself (a deleted file is
  named by its own path, or for DVPQ, where a frame's file name has a free
  tail, by ``<dir>/<sequence>_<frame>_*.png``), or the results / JSON file
  that is wrong (its message also names the entry);
* :data:`UNCHANGED`: the edit is one the format allows (an unrelated file
  beside the predictions, a re-indented or reordered JSON, a prediction
  PNG that ``pred.json`` does not list): the scores are exactly the clean
  ones;
* :data:`DROPS`: two prediction files swap names. Files pair with the
  ground truth by name, so the swapped content is scored as what it is and
  the main score falls; nothing in the files can tell the swap apart from
  a worse prediction.

A new metric joins by adding a ``LAYOUTS`` entry and its rows to ``ROWS``;
every metric needs at least 5 rows that must fail
(:func:`test_every_metric_has_a_table`).
"""
import json
import os
import os.path as osp
import shutil
from collections import Counter

import numpy as np
import pytest
from PIL import Image

from mmvidseg.testing import generate_toy_videos
from mmvidseg.testing.toy_formats import (write_cityscapes_dvps, write_davis,
                                          write_imagenet_vid, write_triplets,
                                          write_vipseg, write_vspw,
                                          write_youtube_vis)

#: Result of a row whose edit the format allows: the clean scores.
UNCHANGED = 'UNCHANGED'
#: Result of a row that swaps two files: the main score falls.
DROPS = 'DROPS'
V = 'toy_0003'  # the first toy video
DV = 'gt/video_sequence/val'  # Cityscapes-DVPS ground truth

# ---------------------------------------------------------------- layouts


def _vipseg(root, videos):
    gt = write_vipseg(osp.join(root, 'gt'), {'val': videos})
    shutil.copytree(osp.join(gt, 'panomasksRGB'),
                    osp.join(root, 'pred', 'pan_pred'))
    with open(osp.join(gt, 'panoptic_gt_VIPSeg_val.json')) as f:
        anns = json.load(f)['annotations']
    with open(osp.join(root, 'pred', 'pred.json'), 'w') as f:
        json.dump({'annotations': anns}, f)
    return ['--gt', '{root}/gt/panomasksRGB', '--gt-json',
            '{root}/gt/panoptic_gt_VIPSeg_val.json', '--pred', '{root}/pred']


def _dvps(root, videos):
    write_cityscapes_dvps(osp.join(root, 'gt'), {'val': videos})
    gt_dir = osp.join(root, DV)
    pred = osp.join(root, 'pred')
    os.makedirs(pred)
    for name in os.listdir(gt_dir):
        key = '_'.join(name.split('_')[:2])
        if name.endswith('_gtFine_instanceTrainIds.png'):
            pan = np.array(Image.open(osp.join(gt_dir, name)), np.int64)
            rgb = np.stack([pan // 1000, pan % 1000, 0 * pan], -1)
            Image.fromarray(rgb.astype(np.uint8)).save(
                osp.join(pred, f'{key}_panoptic.png'))
        elif name.endswith('_depth.png'):
            shutil.copy(osp.join(gt_dir, name),
                        osp.join(pred, f'{key}_depth.png'))
    return ['--gt', '{root}/' + DV, '--pred', '{root}/pred',
            '--num-classes', '6', '--thing-classes', '3', '4', '5']


def _ytvis(root, videos):
    write_youtube_vis(osp.join(root, 'gt'), {'val': videos})
    with open(osp.join(root, 'gt', 'valid.json')) as f:
        gt = json.load(f)
    results = [
        dict(video_id=a['video_id'], category_id=a['category_id'],
             score=1.0, segmentations=a['segmentations'])
        for a in gt['annotations']
    ]
    with open(osp.join(root, 'results.json'), 'w') as f:
        json.dump(results, f)
    return ['--gt', '{root}/gt/valid.json', '--pred', '{root}/results.json']


def _vid(root, videos):
    write_imagenet_vid(osp.join(root, 'gt'), {'val': videos})
    with open(osp.join(root, 'gt', 'annotations',
                       'imagenet_vid_val.json')) as f:
        gt = json.load(f)
    results = [
        dict(image_id=a['image_id'], category_id=a['category_id'],
             bbox=a['bbox'], score=0.9) for a in gt['annotations']
    ]
    with open(osp.join(root, 'results.json'), 'w') as f:
        json.dump(results, f)
    return ['--gt', '{root}/gt/annotations/imagenet_vid_val.json', '--pred',
            '{root}/results.json']


def _vss(root, videos):
    write_vspw(osp.join(root, 'gt'), {'val': videos})
    for v in videos:
        shutil.copytree(osp.join(root, 'gt', 'data', v.name, 'mask'),
                        osp.join(root, 'pred', v.name))
    return ['--gt', '{root}/gt', '--pred', '{root}/pred']


def _davis(root, videos):
    write_davis(osp.join(root, 'gt'), {'val': videos}, with_flow=False)
    shutil.copytree(osp.join(root, 'gt', 'Annotations', '480p'),
                    osp.join(root, 'pred'))
    return ['--gt', '{root}/gt', '--pred', '{root}/pred', '--sequences',
            '{root}/gt/ImageSets/2017/val.txt']


def _psnr(root, videos):
    write_triplets(osp.join(root, 'toy'), {'val': videos})
    frames = osp.join(root, 'toy', 'videos')
    shutil.copytree(frames, osp.join(root, 'gt'))
    rng = np.random.default_rng(0)
    for video in os.listdir(frames):
        for name in os.listdir(osp.join(frames, video)):
            img = np.array(Image.open(osp.join(frames, video, name)))
            noisy = np.clip(
                img.astype(int) + rng.integers(-3, 4, img.shape), 0, 255)
            for folder, array in (('pred', noisy), ('masks', np.zeros(
                    img.shape[:2], np.uint8))):
                os.makedirs(osp.join(root, folder, video), exist_ok=True)
                if folder == 'masks':
                    array[:, :img.shape[1] // 2] = 255
                Image.fromarray(array.astype(np.uint8)).save(
                    osp.join(root, folder, video, name))
    return ['--gt', '{root}/gt', '--pred', '{root}/pred', '--masks',
            '{root}/masks']


#: ``metric -> (layout writer(root, videos) -> argv template, main
#: score)``; one writer can serve several metrics.
LAYOUTS = {
    'vpq': (_vipseg, 'VPQ@1'),
    'stq': (_vipseg, 'STQ'),
    'dvpq': (_dvps, 'DVPQ@1@0.5'),
    'ytvis': (_ytvis, 'AP'),
    'vid': (_vid, 'mAP50'),
    'vss': (_vss, 'mIoU'),
    'davis': (_davis, 'J&F'),
    'psnr': (_psnr, 'PSNR'),
}

# ------------------------------------------------------------ corruptions


def _path(root, rel):
    return osp.join(root, *rel.split('/'))


def delete(rel, expect=None):
    """Delete a file; the offending path is ``expect`` (default: it)."""

    def corrupt(root):
        os.remove(_path(root, rel))
        return _path(root, expect or rel)

    return corrupt


def truncate(rel):
    """Cut a file to half its length."""

    def corrupt(root):
        path = _path(root, rel)
        with open(path, 'rb') as f:
            data = f.read()
        with open(path, 'wb') as f:
            f.write(data[:len(data) // 2])
        return path

    return corrupt


def crop(rel):
    """Save an image at half its width (a wrong-size file)."""

    def corrupt(root):
        path = _path(root, rel)
        with Image.open(path) as img:
            img.load()
            small = img.crop((0, 0, img.width // 2, img.height))
        small.save(path)
        return path

    return corrupt


def paint(rel, value):
    """Write ``value`` (a scalar, or a pixel for RGB) into the top-left 4x4
    pixels of a PNG, keeping its mode."""

    def corrupt(root):
        path = _path(root, rel)
        with Image.open(path) as img:
            array = np.array(img)
        array[:4, :4] = value
        Image.fromarray(array).save(path)
        return path

    return corrupt


def save_rgb(rel):
    """Overwrite a single-channel PNG with a black RGB image."""

    def corrupt(root):
        path = _path(root, rel)
        with Image.open(path) as img:
            shape = (img.height, img.width, 3)
        Image.fromarray(np.zeros(shape, np.uint8)).save(path)
        return path

    return corrupt


def save_grey(rel):
    """Overwrite an RGB frame with its first channel (single-channel)."""

    def corrupt(root):
        path = _path(root, rel)
        Image.fromarray(np.array(Image.open(path))[..., 0]).save(path)
        return path

    return corrupt


def rename(src, dst, expect=None):
    """Rename a file; the offending path is ``expect`` (default the new
    name)."""

    def corrupt(root):
        os.rename(_path(root, src), _path(root, dst))
        return _path(root, expect or dst)

    return corrupt


def copy_file(src, dst):
    """Copy a file to a new name (an extra file); it is the offending one.
    """

    def corrupt(root):
        shutil.copy(_path(root, src), _path(root, dst))
        return _path(root, dst)

    return corrupt


def swap(a, b, expect=DROPS):
    """Swap the names of two files."""

    def corrupt(root):
        tmp = _path(root, a) + '.swap'
        os.rename(_path(root, a), tmp)
        os.rename(_path(root, b), _path(root, a))
        os.rename(tmp, _path(root, b))
        return expect if expect == DROPS else _path(root, expect)

    corrupt.drops = expect == DROPS
    return corrupt


def edit_json(rel, edit, result=None):
    """Let ``edit`` change a JSON in place; the offending path is the JSON
    (or ``result``: a path relative to the root, or :data:`UNCHANGED`)."""

    def corrupt(root):
        path = _path(root, rel)
        with open(path) as f:
            obj = json.load(f)
        edit(obj)
        with open(path, 'w') as f:
            json.dump(obj, f)  # NaN / Infinity as Python writes them
        if result == UNCHANGED:
            return UNCHANGED
        return _path(root, result) if result else path

    return corrupt


def allowed(corrupt):
    """Mark an edit the format allows."""
    corrupt.allowed = True
    return corrupt


def add_file(rel):
    """An unrelated file beside the predictions: nothing changes."""

    def corrupt(root):
        with open(_path(root, rel), 'w') as f:
            f.write('notes\n')
        return UNCHANGED

    return allowed(corrupt)


def reindent(rel):
    """Re-indent a JSON file: nothing changes."""

    def corrupt(root):
        path = _path(root, rel)
        with open(path) as f:
            obj = json.load(f)
        with open(path, 'w') as f:
            json.dump(obj, f, indent=2)
        return UNCHANGED

    return allowed(corrupt)


def _entry(key, value, n=0):
    """An edit setting ``obj[n][key] = value`` (a results list entry)."""
    return lambda obj: obj[n].__setitem__(key, value)


def _pred_frames(edit):
    """An edit of the first video's frames in ``pred.json``."""
    return lambda obj: edit(obj['annotations'][0]['annotations'])


def _segment(frame, **fields):
    """Set / delete (value None) fields of the first predicted segment."""

    def edit(frames):
        seg = frames[frame]['segments_info'][0]
        for k, v in fields.items():
            if v is None:
                del seg[k]
            else:
                seg[k] = v

    return _pred_frames(edit)


def _drop_rle_frame(obj):
    obj[0]['segmentations'].pop()


def _resize_rle(obj):
    for rle in obj[0]['segmentations']:
        if rle is not None:
            rle['size'] = [rle['size'][0], rle['size'][1] + 1]


PP = f'pred/pan_pred/{V}'  # VIPSeg prediction PNGs
PJ = 'pred/pred.json'
VIPSEG_ROWS = [
    ('delete prediction PNG', delete(f'{PP}/00000001.png')),
    ('truncate prediction PNG', truncate(f'{PP}/00000002.png')),
    ('rename prediction PNG', rename(f'{PP}/00000001.png',
                                     f'{PP}/00000009.png',
                                     expect=f'{PP}/00000001.png')),
    ('resize prediction PNG', crop(f'{PP}/00000000.png')),
    ('id not in pred.json', paint(f'{PP}/00000001.png', (250, 0, 0))),
    ('frame missing from pred.json', edit_json(
        PJ, _pred_frames(lambda frames: frames.pop()))),
    ('frame renamed in pred.json', edit_json(
        PJ, _pred_frames(lambda frames: frames[1].update(
            file_name='00000009.png')))),
    ('segments_info missing', edit_json(
        PJ, _pred_frames(lambda frames: frames[0].pop('segments_info')))),
    ('segment without id', edit_json(
        PJ, _segment(0, id=None), f'{PP}/00000000.png')),
    ('out-of-range category', edit_json(
        PJ, _segment(0, category_id=999), f'{PP}/00000000.png')),
    ('truncate pred.json', truncate(PJ)),
    ('reordered pred.json frames', allowed(edit_json(
        PJ, _pred_frames(lambda frames: frames.reverse()), UNCHANGED))),
    ('unrelated file', add_file(f'{PP}/notes.txt')),
]

DP = 'pred/000000_{:06d}_{}.png'  # Cityscapes-DVPS predictions
YR, VR = 'results.json', 'results.json'
VM = f'pred/{V}/{{:08d}}.png'  # VSPW predictions
DM = f'pred/{V}/{{:05d}}.png'  # DAVIS predictions
PF = f'pred/{V}/{{:06d}}.png'  # PSNR predictions
MF = f'masks/{V}/{{:06d}}.png'  # PSNR motion masks

#: ``metric -> [(name, corrupt(root) -> offending path | UNCHANGED |
#: DROPS)]``.
ROWS = {
    'vpq': VIPSEG_ROWS,
    'stq': VIPSEG_ROWS,
    'dvpq': [
        ('delete prediction', delete(DP.format(1, 'panoptic'),
                                     'pred/000000_000001_')),
        ('rename prediction', rename(DP.format(1, 'panoptic'),
                                     DP.format(9, 'panoptic'))),
        ('prediction renamed to another sequence', rename(
            DP.format(2, 'panoptic'), 'pred/000007_000002_panoptic.png')),
        ('two frames swapped', swap(DP.format(1, 'panoptic'),
                                    DP.format(3, 'panoptic'))),
        ('panoptic and depth swapped', swap(
            DP.format(1, 'panoptic'), DP.format(1, 'depth'),
            expect=DP.format(1, 'panoptic'))),
        ('second file for a frame', copy_file(
            DP.format(2, 'panoptic'), 'pred/000000_000002_panoptic_x.png')),
        ('name without a frame', copy_file(DP.format(2, 'panoptic'),
                                           'pred/panoptic.png')),
        ('truncate prediction', truncate(DP.format(2, 'panoptic'))),
        ('resize prediction', crop(DP.format(0, 'panoptic'))),
        ('class beyond the list', paint(DP.format(3, 'panoptic'),
                                        (25, 0, 0))),
        ('delete depth', delete(DP.format(2, 'depth'),
                                'pred/000000_000002_')),
        ('resize depth', crop(DP.format(1, 'depth'))),
        ('RGB depth', save_rgb(DP.format(0, 'depth'))),
        ('unrelated file', add_file('pred/notes.txt')),
    ],
    'ytvis': [
        ('NaN score', edit_json(YR, _entry('score', float('nan')))),
        ('infinite score', edit_json(YR, _entry('score', float('inf')))),
        ('negative score', edit_json(YR, _entry('score', -0.5))),
        ('string score', edit_json(YR, _entry('score', '0.9'))),
        ('missing segmentations', edit_json(
            YR, lambda obj: obj[1].pop('segmentations'))),
        ('frame counts differ', edit_json(YR, _drop_rle_frame)),
        ('mask of the wrong size', edit_json(YR, _resize_rle)),
        ('unknown video', edit_json(YR, _entry('video_id', 99))),
        ('out-of-range category', edit_json(YR, _entry('category_id', 99))),
        ('not a list', edit_json(YR, lambda obj: obj.__setitem__(
            slice(None), [{'results': list(obj)}]))),
        ('truncate results', truncate(YR)),
        ('re-indented results', reindent(YR)),
    ],
    'vid': [
        ('NaN score', edit_json(VR, _entry('score', float('nan')))),
        ('infinite score', edit_json(VR, _entry('score', float('-inf')))),
        ('string score', edit_json(VR, _entry('score', 'high'))),
        ('NaN box', edit_json(VR, _entry('bbox', [1, float('nan'), 4, 4]))),
        ('negative box', edit_json(VR, _entry('bbox', [1, 1, -4, 4]))),
        ('3-number box', edit_json(VR, _entry('bbox', [1, 1, 4]))),
        ('missing key', edit_json(VR, lambda obj: obj[2].pop('image_id'))),
        ('unknown image', edit_json(VR, _entry('image_id', 10**6))),
        ('out-of-range category', edit_json(VR, _entry('category_id', 99))),
        ('truncate results', truncate(VR)),
        ('re-indented results', reindent(VR)),
    ],
    'vss': [
        ('delete prediction', delete(VM.format(1))),
        ('truncate prediction', truncate(VM.format(2))),
        ('resize prediction', crop(VM.format(1))),
        ('out-of-range value', paint(VM.format(3), 200)),
        ('RGB prediction', save_rgb(VM.format(0))),
        ('extra frame', copy_file(VM.format(1), VM.format(9))),
        ('rename prediction', rename(VM.format(2), VM.format(7))),
        ('delete a video', lambda root: shutil.rmtree(_path(
            root, f'pred/{V}')) or _path(root, VM.format(0))),
        ('two frames swapped', swap(VM.format(0), VM.format(3))),
        ('unrelated file', add_file(f'pred/{V}/notes.txt')),
    ],
    'davis': [
        ('delete last frame', delete(DM.format(3))),
        ('truncate last frame', truncate(DM.format(3))),
        ('delete first frame', delete(DM.format(0))),
        ('delete middle frame', delete(DM.format(1))),
        ('truncate middle frame', truncate(DM.format(2))),
        ('resize frame', crop(DM.format(1))),
        ('object id beyond the first frame', paint(DM.format(2), 9)),
        ('object id beyond, last frame', paint(DM.format(3), 9)),
        ('object id beyond, first frame', paint(DM.format(0), 9)),
        ('RGB prediction', save_rgb(DM.format(1))),
        ('extra frame', copy_file(DM.format(1), DM.format(7))),
        ('two frames swapped', swap(DM.format(1), DM.format(2))),
        ('unrelated file', add_file(f'pred/{V}/notes.txt')),
    ],
    'psnr': [
        ('delete prediction', delete(PF.format(1))),
        ('extra prediction', copy_file(PF.format(1), PF.format(7))),
        ('rename prediction', rename(PF.format(2), PF.format(8),
                                     expect=PF.format(2))),
        ('truncate prediction', truncate(PF.format(3))),
        ('resize prediction', crop(PF.format(0))),
        ('single-channel prediction', save_grey(PF.format(1))),
        ('resize mask', crop(MF.format(2))),
        ('delete mask', delete(MF.format(1))),
        ('two frames swapped', swap(PF.format(0), PF.format(3))),
        ('unrelated file', add_file(f'pred/{V}/notes.txt')),
    ],
}

# ----------------------------------------------------------------- tests


@pytest.fixture(scope='module')
def layouts(tmp_path_factory):
    """Every metric's ground truth and clean predictions, written once:
    ``metric -> (root, argv template)``."""
    videos = generate_toy_videos(2, seed=3, num_frames=4, height=24,
                                 width=32)
    assert videos[0].name == V
    base = tmp_path_factory.mktemp('metric_corruptions')
    written, out = {}, {}
    for metric, (writer, _) in LAYOUTS.items():
        if writer not in written:
            root = str(base / writer.__name__.strip('_'))
            written[writer] = (root, writer(root, videos))
        out[metric] = written[writer]
    return out


def _run(eval_offline, metric, argv, root):
    return eval_offline.main([metric] + [a.format(root=root) for a in argv])


@pytest.fixture(scope='module')
def clean_scores(layouts, eval_offline):
    return {
        metric: _run(eval_offline, metric, argv, root)
        for metric, (root, argv) in layouts.items()
    }


def _params():
    for metric, rows in ROWS.items():
        for name, corrupt in rows:
            yield pytest.param(metric, corrupt, id=f'{metric}: {name}')


@pytest.mark.parametrize('metric,corrupt', list(_params()))
def test_corruption(layouts, clean_scores, eval_offline, tmp_path, metric,
                    corrupt):
    clean_root, argv = layouts[metric]
    root = str(tmp_path / 'copy')
    shutil.copytree(clean_root, root)
    offending = corrupt(root)
    if offending in (UNCHANGED, DROPS):
        scores = _run(eval_offline, metric, argv, root)
        clean = clean_scores[metric]
        if offending == UNCHANGED:
            np.testing.assert_equal(scores, clean)  # NaN == NaN here
        else:
            key = LAYOUTS[metric][1]
            assert scores[key] < clean[key], (scores, clean)
        return
    with pytest.raises((ValueError, FileNotFoundError)) as error:
        _run(eval_offline, metric, argv, root)
    assert offending in str(error.value), (
        f'{type(error.value).__name__}: {error.value}\n'
        f'does not name {offending}')


def test_clean_predictions_score_perfectly(clean_scores):
    """The tables start from perfect predictions (PSNR: noisy ones)."""
    for metric, key in (('vpq', 'VPQ@1'), ('dvpq', 'DVPQ@1@0.5')):
        assert clean_scores[metric][key] == pytest.approx(100.0)
    assert clean_scores['stq']['SQ'] == pytest.approx(1.0)
    assert clean_scores['ytvis']['AP'] == pytest.approx(1.0)
    assert clean_scores['vss']['mIoU'] == 1.0
    assert clean_scores['davis']['J&F'] == 1.0
    assert 30 < clean_scores['psnr']['PSNR'] < 60


def test_every_metric_has_a_table(eval_offline):
    assert set(LAYOUTS) == set(eval_offline.METRICS) == set(ROWS)
    # rows that must raise (not the allowed edits, not the swaps)
    failing = Counter(metric for metric, rows in ROWS.items()
                      for _, corrupt in rows
                      if not getattr(corrupt, 'allowed', False)
                      and not getattr(corrupt, 'drops', False))
    assert all(failing[m] >= 5 for m in ROWS), failing
