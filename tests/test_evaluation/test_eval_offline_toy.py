# Copyright (c) OpenMMLab. All rights reserved.
"""``eval_offline.py`` on toy data written by the benchmark format writers.

Ground truth scored against itself must be perfect; a corrupted copy must
score lower. This pins the reading of each official layout.
"""
import json
import os
import os.path as osp
import shutil

import numpy as np
import pytest
from PIL import Image

from mmvidseg.testing import generate_toy_videos
from mmvidseg.testing.toy_formats import (write_cityscapes_dvps, write_davis,
                                          write_imagenet_vid, write_vipseg,
                                          write_vspw, write_youtube_vis)


@pytest.fixture(scope='module')
def videos():
    return generate_toy_videos(2, seed=3, num_frames=6, height=24, width=32)


def test_vipseg_vpq_stq(tmp_path, videos, run_cli):
    root = write_vipseg(str(tmp_path / 'vipseg'), {'val': videos})
    gt_dir = osp.join(root, 'panomasksRGB')
    gt_json = osp.join(root, 'panoptic_gt_VIPSeg_val.json')
    pred = tmp_path / 'pred'
    shutil.copytree(gt_dir, pred / 'pan_pred')
    with open(gt_json) as f:
        gt = json.load(f)
    with open(pred / 'pred.json', 'w') as f:
        json.dump({'annotations': gt['annotations']}, f)
    res = run_cli('vpq', '--gt', gt_dir, '--gt-json', gt_json, '--pred',
                  pred, '--windows', 1, 2, 4, 6)
    assert res['VPQ'] == pytest.approx(100.0)
    assert res['VPQ_th'] == pytest.approx(100.0)
    res = run_cli('stq', '--gt', gt_dir, '--gt-json', gt_json, '--pred',
                  pred)
    assert res['SQ'] == 1.0 and res['AQ'] == pytest.approx(1.0, abs=1e-6)


def test_cityscapes_dvps_dvpq(tmp_path, videos, run_cli):
    root = write_cityscapes_dvps(str(tmp_path / 'cs'), {'val': videos})
    gt_dir = osp.join(root, 'video_sequence', 'val')
    pred_dir = tmp_path / 'pred'
    os.makedirs(pred_dir)
    for name in os.listdir(gt_dir):
        if name.endswith('_gtFine_instanceTrainIds.png'):
            pan = np.array(Image.open(osp.join(gt_dir, name)), np.int64)
            rgb = np.stack([pan // 1000, pan % 1000, 0 * pan], -1)
            Image.fromarray(rgb.astype(np.uint8)).save(
                pred_dir / name.replace('_gtFine_instanceTrainIds',
                                        '_panoptic'))
        elif name.endswith('_depth.png'):
            shutil.copy(osp.join(gt_dir, name), pred_dir / name)
    args = ('dvpq', '--gt', gt_dir, '--pred', pred_dir, '--num-classes', 6,
            '--thing-classes', 3, 4, 5)
    res = run_cli(*args)
    assert len(res) == 3 + 4 * 3
    # toy videos hold every class, so no class is NaN
    assert res['DVPQ'] == pytest.approx(100.0)
    assert res['DVPQ@4@0.1'] == pytest.approx(100.0)
    # a depth 20 % too far: kept at 0.5 and 0.25, dropped at 0.1
    for name in os.listdir(pred_dir):
        if name.endswith('_depth.png'):
            d = np.array(Image.open(pred_dir / name)).astype(np.float64)
            Image.fromarray(np.round(d * 1.2).astype(np.uint16)).save(
                pred_dir / name)
    res = run_cli(*args)
    assert res['DVPQ@1@0.25'] == pytest.approx(100.0)
    # at 0.1 every pixel with depth is dropped: classes other than the sky
    # get no TP, PQ = 0/0 and the official mean is NaN (null)
    assert res['DVPQ@1@0.1'] is None and res['DVPQ'] is None


def test_youtube_vis(tmp_path, videos, run_cli):
    root = write_youtube_vis(str(tmp_path / 'ytvis'), {'val': videos})
    gt_json = osp.join(root, 'valid.json')
    with open(gt_json) as f:
        gt = json.load(f)
    results = [
        dict(video_id=a['video_id'], category_id=a['category_id'],
             score=1.0, segmentations=a['segmentations'])
        for a in gt['annotations']
    ]
    res_file = tmp_path / 'results.json'
    res_file.write_text(json.dumps(results))
    res = run_cli('ytvis', '--gt', gt_json, '--pred', res_file)
    assert set(res) == {'AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'AR1',
                        'AR10'}
    assert res['AP'] == pytest.approx(1.0, abs=1e-12)
    assert res['AR10'] == pytest.approx(1.0, abs=1e-12)


def test_imagenet_vid(tmp_path, videos, run_cli):
    root = write_imagenet_vid(str(tmp_path / 'vid'), {'val': videos})
    gt_json = osp.join(root, 'annotations', 'imagenet_vid_val.json')
    with open(gt_json) as f:
        gt = json.load(f)
    # objects 1 px wide at the border get w = xmax - xmin = 0: COCO gives a
    # zero-area box IoU 0 with itself, so leave them out of this check
    gt['annotations'] = [
        a for a in gt['annotations'] if a['bbox'][2] > 0 and a['bbox'][3] > 0
    ]
    gt_json = str(tmp_path / 'gt.json')
    with open(gt_json, 'w') as f:
        json.dump(gt, f)
    results = [
        dict(image_id=a['image_id'], category_id=a['category_id'],
             bbox=a['bbox'], score=0.9) for a in gt['annotations']
    ]
    res_file = tmp_path / 'results.json'
    res_file.write_text(json.dumps(results))
    res = run_cli('vid', '--gt', gt_json, '--pred', res_file)
    motion = {'mAP50_fast', 'mAP50_medium', 'mAP50_slow'}
    assert {'mAP50', 'cocoAP', 'cocoAP50'} | motion <= set(res)
    assert res['mAP50'] == pytest.approx(1.0, abs=1e-12)
    # perfect in each motion range that has ground truth (else null)
    assert all(res[k] in (None, 1.0) for k in motion)
    assert any(res[k] == 1.0 for k in motion)
    assert res['cocoAP'] == pytest.approx(1.0, abs=1e-12)
    # boxes moved off their objects
    for r in results:
        r['bbox'][0] += r['bbox'][2] + 3
    res_file.write_text(json.dumps(results))
    res = run_cli('vid', '--gt', gt_json, '--pred', res_file)
    assert res['mAP50'] < 0.1 and res['cocoAP'] < 0.1


def test_davis(tmp_path, videos, run_cli):
    root = write_davis(str(tmp_path / 'davis'), {'val': videos},
                       with_flow=False)
    pred = tmp_path / 'pred'
    shutil.copytree(osp.join(root, 'Annotations', '480p'), pred)
    res = run_cli('davis', '--gt', root, '--pred', pred, '--sequences',
                  osp.join(root, 'ImageSets', '2017', 'val.txt'))
    assert res['J&F'] == 1.0 and res['J-Decay'] == 0.0


def test_vspw(tmp_path, run_cli):
    videos = generate_toy_videos(1, seed=5, num_frames=18, height=16,
                                 width=20)
    root = write_vspw(str(tmp_path / 'vspw'), {'val': videos})
    pred = tmp_path / 'pred'
    for v in videos:
        shutil.copytree(osp.join(root, 'data', v.name, 'mask'), pred / v.name)
    res = run_cli('vss', '--gt', root, '--pred', pred, '--split',
                  osp.join(root, 'val.txt'))
    assert res == {'mIoU': 1.0, 'mVC8': 1.0, 'mVC16': 1.0}


# ----------------------------------------------------------- bad input
def _main(eval_offline, *argv):
    eval_offline.main([str(a) for a in argv])


def test_ytvis_vid_bad_input(tmp_path, videos, eval_offline):
    root = write_youtube_vis(str(tmp_path / 'ytvis'), {'val': videos})
    gt_json = osp.join(root, 'valid.json')
    with open(gt_json) as f:
        gt = json.load(f)
    good = [
        dict(video_id=a['video_id'], category_id=a['category_id'],
             score=1.0, segmentations=a['segmentations'])
        for a in gt['annotations']
    ]
    res_file = tmp_path / 'r.json'
    with pytest.raises(FileNotFoundError, match='r.json: file not found'):
        _main(eval_offline, 'ytvis', '--gt', gt_json, '--pred', res_file)
    bad = [dict(good[0], segmentations=good[0]['segmentations'][:-1])]
    res_file.write_text(json.dumps(bad))
    with pytest.raises(ValueError, match='r.json: a result for video 1 has 5'
                       ' frames, the video has 6'):
        _main(eval_offline, 'ytvis', '--gt', gt_json, '--pred', res_file)
    res_file.write_text(json.dumps([dict(good[0], category_id=99)]))
    with pytest.raises(ValueError, match='category 99, beyond'):
        _main(eval_offline, 'ytvis', '--gt', gt_json, '--pred', res_file)

    root = write_imagenet_vid(str(tmp_path / 'vid'), {'val': videos})
    gt_json = osp.join(root, 'annotations', 'imagenet_vid_val.json')
    det = dict(image_id=1, category_id=1, bbox=[0, 0, 5, 5], score=0.5)
    res_file.write_text(json.dumps([dict(det, image_id=10**6)]))
    with pytest.raises(ValueError, match='image 1000000, which is not'):
        _main(eval_offline, 'vid', '--gt', gt_json, '--pred', res_file)
    res_file.write_text(json.dumps([dict(det, category_id=42)]))
    with pytest.raises(ValueError, match='category 42, beyond'):
        _main(eval_offline, 'vid', '--gt', gt_json, '--pred', res_file)
    with open(gt_json) as f:
        gt = json.load(f)
    gt['videos'].append(dict(id=99, name='val/empty'))
    with open(gt_json, 'w') as f:
        json.dump(gt, f)
    res_file.write_text(json.dumps([det]))
    with pytest.raises(ValueError, match='video 99 is empty'):
        _main(eval_offline, 'vid', '--gt', gt_json, '--pred', res_file)


def test_dvpq_vss_bad_input(tmp_path, videos, eval_offline):
    root = write_cityscapes_dvps(str(tmp_path / 'cs'), {'val': videos})
    gt_dir = osp.join(root, 'video_sequence', 'val')
    pred = tmp_path / 'pred'
    os.makedirs(pred)
    for name in sorted(os.listdir(gt_dir)):
        if name.endswith('_gtFine_instanceTrainIds.png'):
            pan = np.array(Image.open(osp.join(gt_dir, name)), np.int64)
            rgb = np.stack([pan // 1000, pan % 1000, 0 * pan], -1)
            Image.fromarray(rgb.astype(np.uint8)).save(pred / name)
        elif name.endswith('_depth.png'):
            shutil.copy(osp.join(gt_dir, name), pred / name)
    args = ('dvpq', '--gt', gt_dir, '--pred', pred, '--num-classes', 6,
            '--thing-classes', 3, 4, 5)
    first = sorted(f for f in os.listdir(pred) if 'depth' not in f)[0]
    rgb = np.array(Image.open(pred / first))
    rgb[0, 0, 0] = 25
    Image.fromarray(rgb).save(pred / first)
    with pytest.raises(ValueError, match=f'{first}: predicted class 25'):
        _main(eval_offline, *args)
    os.remove(pred / first)
    with pytest.raises(ValueError, match='sequence 000000 has 5 predicted '
                       'frames, the ground truth has 6'):
        _main(eval_offline, *args)

    root = write_vspw(str(tmp_path / 'vspw'), {'val': videos})
    vpred = tmp_path / 'vpred'
    for v in videos:
        shutil.copytree(osp.join(root, 'data', v.name, 'mask'),
                        vpred / v.name)
    name = videos[0].name
    Image.fromarray(np.zeros((24, 32), np.uint8)).save(vpred / name /
                                                       'extra.png')
    with pytest.raises(ValueError, match='frame counts differ'):
        _main(eval_offline, 'vss', '--gt', root, '--pred', vpred)
    os.remove(vpred / name / 'extra.png')
    missing = vpred / name / '00000003.png'
    os.remove(missing)
    with pytest.raises(FileNotFoundError, match=str(missing)):
        _main(eval_offline, 'vss', '--gt', root, '--pred', vpred)
    os.makedirs(osp.join(root, 'data', 'empty', 'mask'))
    with pytest.raises(ValueError, match='video empty is empty'):
        _main(eval_offline, 'vss', '--gt', root, '--pred', vpred)


def test_psnr_plumbing(tmp_path, monkeypatch, run_cli):
    import sys
    import types
    calls = []

    def fake_psnr(pred, gt, mask=None):
        calls.append(mask is not None)
        return float(np.abs(pred.astype(int) - gt).mean())

    module = types.ModuleType('mmvidseg.evaluation.functional.psnr_ssim')
    module.psnr = fake_psnr
    module.ssim = lambda pred, gt, mask=None: 0.5
    monkeypatch.setitem(sys.modules, module.__name__, module)
    for folder, value in (('gt', 10), ('pred', 12), ('masks', 255)):
        for t in range(2):
            path = tmp_path / folder / 'v' / f'{t}.png'
            os.makedirs(path.parent, exist_ok=True)
            Image.fromarray(np.full((4, 4, 3), value, np.uint8)).save(path)
    res = run_cli('psnr', '--gt', tmp_path / 'gt', '--pred',
                  tmp_path / 'pred', '--masks', tmp_path / 'masks')
    assert res == {'PSNR': 2.0, 'SSIM': 0.5, 'PSNR_masked': 2.0,
                   'SSIM_masked': 0.5}
    assert calls == [False, True, False, True]
