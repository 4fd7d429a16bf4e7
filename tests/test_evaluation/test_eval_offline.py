# Copyright (c) OpenMMLab. All rights reserved.
"""``tools/analysis_tools/eval_offline.py`` on tiny official layouts."""
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

CATS = [
    dict(id=0, name='car', isthing=1),
    dict(id=1, name='road', isthing=0)
]


def seg(sid, cat, area, crowd=0):
    return dict(id=sid, category_id=cat, iscrowd=crowd, area=area)


def vipseg_video():
    """Two frames, hand-scored in test_vpq.py (void union, window 2)."""
    return [
        (np.array([[0, 0, 5, 5, 5, 9, 9, 9]]),
         [seg(5, 0, 3), seg(9, 1, 3)],
         np.array([[7, 7, 7, 7, 7, 8, 8, 8]]),
         [dict(id=7, category_id=0), dict(id=8, category_id=1)]),
        (np.array([[5, 5, 5, 5, 9, 9, 9, 9]]),
         [seg(5, 0, 4), seg(9, 1, 4)],
         np.array([[7, 7, 11, 11, 8, 8, 8, 8]]),
         [dict(id=7, category_id=0), dict(id=11, category_id=0),
          dict(id=8, category_id=1)]),
    ]


@pytest.fixture
def vipseg(tmp_path, vipseg_writer):
    return vipseg_writer(str(tmp_path), CATS, {'v0': vipseg_video()})


def test_vpq_cli(vipseg, run_cli):
    gt_dir, gt_json, pred_dir = vipseg
    res = run_cli('vpq', '--gt', gt_dir, '--pred', pred_dir, '--windows', 1,
                  2)
    assert set(res) == {'VPQ', 'VPQ_th', 'VPQ_st', 'VPQ@1', 'VPQ@2'}
    assert res['VPQ@1'] == pytest.approx(70.0, abs=1e-9)
    assert res['VPQ@2'] == pytest.approx(50 * (10 / 21 + 1), abs=1e-9)
    assert res['VPQ_st'] == pytest.approx(100.0, abs=1e-9)
    # default windows: VIPSeg's 1 2 4 6 8; windows beyond 2 frames have no
    # class at all -> NaN (null), and so is their mean; each null has its
    # reason beside it (issue 17)
    res = run_cli('vpq', '--gt', gt_dir, '--gt-json', gt_json, '--pred',
                  pred_dir)
    assert {k for k in res if not k.endswith('_reason')} == {
        'VPQ', 'VPQ_th', 'VPQ_st', 'VPQ@1', 'VPQ@2', 'VPQ@4', 'VPQ@6',
        'VPQ@8'}
    assert res['VPQ@4'] is None and res['VPQ'] is None
    assert {k for k in res if k.endswith('_reason')} == {
        f'{k}_reason' for k, v in res.items() if v is None}
    assert res['VPQ@4_reason'] == ('no window of 4 frames: every video is '
                                   'shorter (the longest has 2 frames)')
    assert res['VPQ_reason'] == (
        'the mean over the window sizes includes null scores: VPQ@4, VPQ@6,'
        ' VPQ@8 (no window of 4 frames: every video is shorter (the longest'
        ' has 2 frames))')
    assert res['VPQ_th_reason'].startswith('the mean over the window sizes '
                                           'includes null scores: VPQ_th@4')


def test_stq_cli_numbers_instances_by_first_appearance(tmp_path,
                                                       vipseg_writer,
                                                       run_cli):
    gt_ids = np.array([[5, 5, 9, 9]])
    pred_ids = np.array([[7, 7, 8, 8]])
    psegs = [dict(id=7, category_id=0), dict(id=8, category_id=1)]
    results = {}
    for name, gsegs in (('road_first', [seg(9, 1, 2), seg(5, 0, 2)]),
                        ('car_first', [seg(5, 0, 2), seg(9, 1, 2)])):
        gt_dir, _, pred_dir = vipseg_writer(
            str(tmp_path / name), CATS, {'v': [(gt_ids, gsegs, pred_ids,
                                                psegs)]})
        results[name] = run_cli('stq', '--gt', gt_dir, '--pred', pred_dir)
        assert set(results[name]) == {'STQ', 'AQ', 'SQ'}
    assert results['road_first'] == {'STQ': 1.0, 'AQ': 1.0, 'SQ': 1.0}
    # the car gets instance number 0, i.e. crowd: no tube is left
    assert results['car_first'] == {'STQ': 0.0, 'AQ': 0.0, 'SQ': 1.0}


def test_stq_cli_matches_functional(vipseg, run_cli):
    from mmvidseg.evaluation.functional.stq import STQAccumulator
    gt_dir, _, pred_dir = vipseg
    res = run_cli('stq', '--gt', gt_dir, '--pred', pred_dir,
                  '--num-classes', 2)
    # instance numbers by first appearance: gt 5 -> 0 (crowd!), 9 -> 1;
    # pred 7 -> 0, 8 -> 1, 11 -> 2

    def pan(sem, inst):
        return (np.array([sem]) << 16) + np.array([inst])

    v = 255 << 16 | 255
    frames = [(np.where(np.array([[1, 1, 0, 0, 0, 0, 0, 0]]) == 1, v,
                        pan([0, 0, 0, 0, 0, 1, 1, 1],
                            [0, 0, 0, 0, 0, 1, 1, 1])),
               pan([0, 0, 0, 0, 0, 1, 1, 1], [0, 0, 0, 0, 0, 1, 1, 1])),
              (pan([0, 0, 0, 0, 1, 1, 1, 1], [0, 0, 0, 0, 1, 1, 1, 1]),
               pan([0, 0, 0, 0, 1, 1, 1, 1], [0, 0, 2, 2, 1, 1, 1, 1]))]
    acc = STQAccumulator(2, [0], 255, 16, 2**24)
    acc.add_video(frames)
    expected = acc.compute()
    for k in ('STQ', 'AQ', 'SQ'):
        assert res[k] == pytest.approx(expected[k], abs=1e-12)
    # ground-truth void rows are dropped: both classes have IoU 1; the car
    # (listed first, instance 0) is crowd, so there is no tube at all
    assert res['SQ'] == 1.0 and res['AQ'] == 0.0


def _rewrite_json(path, edit):
    with open(path) as f:
        data = json.load(f)
    edit(data)
    with open(path, 'w') as f:
        json.dump(data, f)


@pytest.mark.parametrize('metric', ['vpq', 'stq'])
def test_vipseg_bad_input(metric, tmp_path, vipseg_writer, eval_offline):
    def fresh(name):
        return vipseg_writer(str(tmp_path / name), CATS,
                             {'v0': vipseg_video()})

    def run(gt_dir, pred_dir):
        eval_offline.main([metric, '--gt', gt_dir, '--pred', pred_dir])

    # prediction and GT frame counts differ
    gt_dir, _, pred_dir = fresh('count')
    _rewrite_json(osp.join(pred_dir, 'pred.json'),
                  lambda d: d['annotations'][0]['annotations'].pop())
    with pytest.raises(ValueError, match='pred.json: video v0 has 1 '
                       'predicted frames, the ground truth has 2'):
        run(gt_dir, pred_dir)
    # a missing prediction file
    gt_dir, _, pred_dir = fresh('missing')
    missing = osp.join(pred_dir, 'pan_pred', 'v0', '00000001.png')
    os.remove(missing)
    with pytest.raises(FileNotFoundError, match=missing):
        run(gt_dir, pred_dir)
    # an id in a PNG absent from its JSON
    gt_dir, gt_json, pred_dir = fresh('absent')
    _rewrite_json(osp.join(pred_dir, 'pred.json'),
                  lambda d: d['annotations'][0]['annotations'][1][
                      'segments_info'].pop(1))
    with pytest.raises(ValueError, match='00000001.png.*segment id 11 is in '
                       'the PNG but not in its JSON'):
        run(gt_dir, pred_dir)
    # a class id beyond the class list
    gt_dir, gt_json, pred_dir = fresh('class')
    _rewrite_json(osp.join(pred_dir, 'pred.json'),
                  lambda d: d['annotations'][0]['annotations'][0][
                      'segments_info'][0].update(category_id=7))
    with pytest.raises(ValueError, match='00000000.png.*category 7'):
        run(gt_dir, pred_dir)
    # an empty video
    gt_dir, gt_json, pred_dir = fresh('empty')
    _rewrite_json(gt_json, lambda d: d['videos'][0].update(images=[]))
    with pytest.raises(ValueError, match='video v0 is empty'):
        run(gt_dir, pred_dir)


def test_cli_exit_code_and_stderr(tmp_path):
    proc = subprocess.run([
        sys.executable,
        osp.join(REPO, 'tools', 'analysis_tools', 'eval_offline.py'), 'vpq',
        '--gt', str(tmp_path), '--pred', str(tmp_path)
    ], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert proc.stdout == ''
    assert 'expected exactly one ground-truth *.json' in proc.stderr


# -------------------------------------------------------------------- DAVIS
def write_davis(root, sequences, palette=True):
    """``sequences``: name -> (gt (T, H, W), pred (T, H, W)) uint8."""
    from PIL import Image
    ann = osp.join(root, 'DAVIS', 'Annotations', '480p')
    res = osp.join(root, 'results')
    for name, (gt, pred) in sequences.items():
        for t in range(len(gt)):
            for folder, arr in ((osp.join(ann, name), gt[t]),
                                (osp.join(res, name), pred[t])):
                os.makedirs(folder, exist_ok=True)
                img = Image.fromarray(arr.astype(np.uint8))
                if palette:
                    img = img.convert('P')
                    img.putpalette([0, 0, 0, 128, 0, 0, 0, 128, 0] * 85 +
                                   [0, 0, 0])
                img.save(osp.join(folder, f'{t:05d}.png'))
    return osp.join(root, 'DAVIS'), res


def davis_sequence():
    gt = np.zeros((3, 10, 10), np.uint8)
    gt[:, 4, 4] = 1
    pred = gt.copy()
    pred[1] = 0
    pred[1, 4, 6] = 1
    return gt, pred


def test_davis_cli(tmp_path, run_cli):
    gt_root, res = write_davis(str(tmp_path), {'seq': davis_sequence()})
    out = run_cli('davis', '--gt', gt_root, '--pred', res)
    assert out == {
        'J&F': 0.25, 'J-Mean': 0.0, 'J-Recall': 0.0, 'J-Decay': 0.0,
        'F-Mean': 0.5, 'F-Recall': 0.0, 'F-Decay': 0.0
    }
    # the annotation folder itself works too, and a sequence list
    seq_file = tmp_path / 'val.txt'
    seq_file.write_text('seq\n')
    out2 = run_cli('davis', '--gt', osp.join(gt_root, 'Annotations', '480p'),
                   '--pred', res, '--sequences', seq_file)
    assert out2 == out


def test_davis_cli_bad_input(tmp_path, eval_offline):
    def run(gt_root, res):
        eval_offline.main(['davis', '--gt', gt_root, '--pred', res])

    gt, pred = davis_sequence()
    # frame counts differ
    gt_root, res = write_davis(str(tmp_path / 'a'), {'seq': (gt, pred)})
    np.save(osp.join(res, 'seq', 'x.npy'), 0)
    from PIL import Image
    Image.fromarray(pred[0]).save(osp.join(res, 'seq', '00007.png'))
    with pytest.raises(ValueError, match='seq: frame counts differ'):
        run(gt_root, res)
    # a missing prediction file
    gt_root, res = write_davis(str(tmp_path / 'b'), {'seq': (gt, pred)})
    os.remove(osp.join(res, 'seq', '00001.png'))
    with pytest.raises(FileNotFoundError, match='00001.png'):
        run(gt_root, res)
    # an object id beyond the objects of the first frame
    bad = pred.copy()
    bad[1, 0, 0] = 2
    gt_root, res = write_davis(str(tmp_path / 'c'), {'seq': (gt, bad)})
    with pytest.raises(ValueError, match='00001.png: predicted object id 2'):
        run(gt_root, res)
    # an empty sequence
    gt_root, res = write_davis(str(tmp_path / 'd'), {'seq': (gt, pred)})
    os.makedirs(osp.join(gt_root, 'Annotations', '480p', 'empty'))
    os.makedirs(osp.join(res, 'empty'))
    with pytest.raises(ValueError, match='sequence empty is empty'):
        run(gt_root, res)


def write_vspw(root, videos):
    """VSPW GT (``<root>/gt/data/<video>/mask``) and PRED (``<root>/pred/
    <video>``) PNGs from ``{video: [(gt, pred), ...]}``; returns both."""
    from PIL import Image
    gt_root, pred_root = osp.join(root, 'gt'), osp.join(root, 'pred')
    for video, frames in videos.items():
        for t, (gt, pred) in enumerate(frames):
            for folder, array in ((osp.join(gt_root, 'data', video, 'mask'),
                                   gt),
                                  (osp.join(pred_root, video), pred)):
                os.makedirs(folder, exist_ok=True)
                Image.fromarray(np.array(array, np.uint8)).save(
                    osp.join(folder, f'{t:08d}.png'))
    return gt_root, pred_root


def test_vss_cli_scores_raw_mask_values(tmp_path, run_cli, eval_offline):
    # Raw VSPW values, compared as stored: GT 0 ("others") is class 0,
    # GT 124 (the last class, as class + 1), 253 and 255 are ignored, and
    # so is whatever is predicted there (200).
    gt_root, pred_root = write_vspw(str(tmp_path), {'v0': [
        ([[0, 1, 1, 2, 2, 124, 253, 255]],
         [[0, 1, 2, 2, 2, 124, 0, 200]]),
        ([[0, 0, 3, 3, 255, 255, 255, 255]],
         [[0, 4, 3, 3, 1, 1, 1, 1]]),
    ]})
    res = run_cli('vss', '--gt', gt_root, '--pred', pred_root)
    assert set(res) == {'mIoU', 'mVC8', 'mVC16'}
    # Counted (gt, pred) pixels: (0,0) x2, (0,4), (1,1), (1,2), (2,2) x2,
    # (3,3) x2. IoU = TP / (GT + PRED - TP):
    # class 0: 2 / (3 + 2 - 2); class 1: 1 / (2 + 1 - 1);
    # class 2: 2 / (2 + 3 - 2); class 3: 2 / (2 + 2 - 2);
    # class 4 is only predicted: no GT pixel, so (as VSPW's
    # Mean_Intersection_over_Union) it is left out, like the other 119
    # classes without GT.
    assert res['mIoU'] == pytest.approx(
        (2 / 3 + 1 / 2 + 2 / 3 + 1) / 4, abs=1e-12)
    # two frames: no window of 8 or 16 frames
    assert res['mVC8'] is None and res['mVC16'] is None
    # --num-classes 3 ignores GT 3 as well: classes 0, 1, 2, 4 remain, and
    # the prediction 4 on a counted pixel is outside [0, 3)
    with pytest.raises(ValueError, match='v0 frame 1: predicted class 4 is '
                       r'outside the class list \[0, 3\)'):
        eval_offline.main(['vss', '--gt', gt_root, '--pred', pred_root,
                           '--num-classes', '3'])


def test_vss_cli_vc_counts_ignored_pixels(tmp_path, run_cli):
    # 9 frames, 3 pixels: mVC8 has the single window of frames 0..7 (the
    # official loop leaves out the window ending on the last frame).
    # Pixel 0: GT 255 (ignored in mIoU) and the prediction constant ->
    # counted in VC; pixel 1: GT constant, the prediction changes at frame
    # 3 -> not consistent; pixel 2: GT changes at frame 4 -> left out.
    frames = [([[255, 1, 1 if t < 4 else 2]],
               [[7, 1 if t < 3 else 2, 1]]) for t in range(9)]
    gt_root, pred_root = write_vspw(str(tmp_path), {'v0': frames})
    res = run_cli('vss', '--gt', gt_root, '--pred', pred_root)
    assert res['mVC8'] == pytest.approx(1 / 2, abs=1e-12)
    assert res['mVC16'] is None
