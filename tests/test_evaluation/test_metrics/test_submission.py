# Copyright (c) OpenMMLab. All rights reserved.
"""Submission files written by the metrics (``format_only`` /
``outfile_prefix``): ground truth written as predictions must score
perfectly with the offline evaluators (eval_offline.py), and the files
must be in each benchmark's layout."""
import json
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.structures import PixelData
from PIL import Image

from mmvidseg.evaluation.metrics import (VPSMetric, VSSMetric,
                                         YouTubeVISVideoMetric,
                                         submission_evaluator)
from mmvidseg.registry import DATASETS, METRICS
from mmvidseg.testing import generate_toy_video
from mmvidseg.utils import register_all_modules

ROOT = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


@pytest.fixture(scope='module')
def videos():
    return {
        'train': [generate_toy_video(0, num_frames=3, height=32, width=48)],
        'val': [
            generate_toy_video(1000 + i, num_frames=4, height=32, width=48)
            for i in range(2)
        ]
    }


def _dataset(base_config, data_root, **dataset_kw):
    """The val dataset of a toy config (whole-video samples)."""
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs', '_base_', 'datasets', base_config))
    ds_cfg = cfg.val_dataloader.dataset
    ds_cfg.data_root = data_root
    ds_cfg.update(dataset_kw)
    return DATASETS.build(ds_cfg), cfg.val_evaluator


def _samples(dataset, pan_from_gt=False):
    """The dataset's samples; with ``pan_from_gt``, predictions equal to
    the ground-truth panoptic maps."""
    samples = [dataset[i]['data_samples'] for i in range(len(dataset))]
    for sample in samples if pan_from_gt else []:
        for frame in sample.video_data_samples:
            frame.pred_panoptic_seg = frame.gt_panoptic_seg
    return samples


def _write(evaluator, dataset_type, out, samples, fmt=None):
    """Write the files through the format-only metric ``tools/test.py
    --out-dir DIR --format-only`` configures."""
    cfgs = submission_evaluator(evaluator, dataset_type, out, fmt,
                                format_only=True)
    assert len(cfgs) == 1 and cfgs[0]['format_only']
    metric = METRICS.build(cfgs[0])
    for sample in samples:
        metric.process({}, [sample])
    assert metric.evaluate(len(samples)) == {}


def _score(metric, dataset, samples):
    """Run a scoring metric over the samples."""
    metric.dataset_meta = dataset.metainfo
    for sample in samples:
        metric.process({}, [sample])
    return metric.evaluate(len(samples))


def _assert_same_files(dir1, dir2, names):
    for name in names:
        with open(osp.join(dir1, name), 'rb') as f1, \
                open(osp.join(dir2, name), 'rb') as f2:
            assert f1.read() == f2.read(), name


def test_kitti_step_pngs_equal_ground_truth(tmp_path, videos):
    from mmvidseg.testing.toy_formats.kitti_step import write_kitti_step
    root = write_kitti_step(str(tmp_path / 'data'), videos)
    dataset, evaluator = _dataset('toy_kitti_step.py', root)
    samples = _samples(dataset, pan_from_gt=True)
    out = str(tmp_path / 'sub')
    _write(evaluator, 'KITTISTEPDataset', out, samples)
    for seq in range(2):
        for t in range(4):
            pred = np.array(
                Image.open(osp.join(out, f'{seq:04d}', f'{t:06d}.png')))
            gt = np.array(
                Image.open(
                    osp.join(root, 'video_sequence', 'val',
                             f'{seq:06d}_{t:06d}_panoptic.png')))
            assert np.array_equal(pred, gt)


def test_vipseg_perfect_vpq_and_stq(tmp_path, videos, eval_offline):
    from mmvidseg.testing.toy_formats.vipseg import write_vipseg
    root = write_vipseg(str(tmp_path / 'data'), videos)
    dataset, evaluator = _dataset('toy_vipseg.py', root)
    samples = _samples(dataset, pan_from_gt=True)
    out = str(tmp_path / 'sub')
    _write(evaluator, None, out, samples, fmt='vipseg')
    pred = json.load(open(osp.join(out, 'pred.json')))
    assert len(pred['annotations']) == 2
    first = pred['annotations'][0]['annotations'][0]
    assert first['file_name'] == '00000000.png'
    gt_json = osp.join(root, 'panoptic_gt_VIPSeg_val.json')
    args = [
        '--gt',
        osp.join(root, 'panomasksRGB'), '--pred', out, '--gt-json', gt_json
    ]
    vpq = eval_offline.main(['vpq', *args, '--windows', '1', '2'])
    assert vpq['VPQ'] == pytest.approx(100.0)
    stq = eval_offline.main(['stq', *args, '--num-classes', '6'])
    assert stq['STQ'] == pytest.approx(1.0)


def _vis_dataset(tmp_path, videos):
    from mmvidseg.testing.toy_formats.youtube_vis import write_youtube_vis
    root = write_youtube_vis(str(tmp_path / 'data'), videos)
    dataset, evaluator = _dataset(
        'youtube_vis_2019.py',
        root,
        dataset_version=None,
        ann_file='valid.json',
        data_prefix=dict(img_path='valid/JPEGImages'))
    samples = _samples(dataset)
    for sample in samples:
        for frame in sample.video_data_samples:
            gt = frame.gt_instances
            masks = gt.masks.to_tensor(torch.bool, 'cpu') if hasattr(
                gt.masks, 'to_tensor') else torch.as_tensor(gt.masks)
            frame.pred_track_instances = gt.new(
                masks=masks,
                labels=gt.labels,
                scores=torch.ones(len(gt)),
                instances_id=gt.instances_ids)
    return root, dataset, evaluator, samples


def test_youtube_vis_perfect_ap(tmp_path, videos, eval_offline):
    root, _, evaluator, samples = _vis_dataset(tmp_path, videos)
    out = str(tmp_path / 'sub')
    _write(evaluator, 'YouTubeVISDataset', out, samples)
    results = json.load(open(osp.join(out, 'results.json')))
    assert {r['video_id'] for r in results} == {1, 2}
    assert all(len(r['segmentations']) == 4 for r in results)
    ap = eval_offline.main([
        'ytvis', '--gt',
        osp.join(root, 'valid.json'), '--pred',
        osp.join(out, 'results.json')
    ])
    assert ap['AP'] == pytest.approx(1.0)  # a fraction


def test_youtube_vis_scores_and_writes(tmp_path, videos):
    """Without ``format_only`` the metric scores and writes the same
    file."""
    _, dataset, _, samples = _vis_dataset(tmp_path, videos)
    only = str(tmp_path / 'only')
    _write(dict(type='YouTubeVISVideoMetric'), 'YouTubeVISDataset', only,
           samples)
    both = str(tmp_path / 'both')
    scores = _score(YouTubeVISVideoMetric(outfile_prefix=both), dataset,
                    samples)
    assert scores['AP'] == pytest.approx(1.0)
    _assert_same_files(only, both, ['results.json'])


def test_vspw_pngs_hold_mask_values(tmp_path, videos, eval_offline):
    """VSPW's evaluator compares the stored values: the ground truth holds
    class + 1 (0 and 255 void), and so must the prediction."""
    from mmvidseg.testing.toy_formats.vspw import write_vspw
    root = write_vspw(str(tmp_path / 'data'), videos)
    dataset, evaluator = _dataset('toy_vspw.py', root)
    samples = _samples(dataset)
    for sample in samples:
        for frame in sample.video_data_samples:
            frame.pred_sem_seg = PixelData(data=frame.gt_sem_seg.data)
    out = str(tmp_path / 'sub')
    _write(evaluator, 'VSPWDataset', out, samples)
    for video in videos['val']:
        for t in range(video.num_frames):
            name = f'{t:08d}.png'
            pred = np.array(Image.open(osp.join(out, video.name, name)))
            gt = np.array(
                Image.open(osp.join(root, 'data', video.name, 'mask', name)))
            valid = (gt != 0) & (gt != 255)
            assert valid.any()
            assert np.array_equal(pred[valid], gt[valid])
            assert (pred[~valid] == 0).all()
    scores = eval_offline.main([
        'vss', '--gt', root, '--pred', out, '--split',
        osp.join(root, 'val.txt')
    ])
    assert scores['mIoU'] == pytest.approx(1.0)  # a fraction
    # scoring and writing at once: the same files and a perfect mIoU
    both = str(tmp_path / 'both')
    scores = _score(VSSMetric(outfile_prefix=both), dataset, samples)
    assert scores['mIoU'] == pytest.approx(100.0)
    _assert_same_files(out, both, [
        osp.join(video.name, f'{t:08d}.png') for video in videos['val']
        for t in range(video.num_frames)
    ])


def test_format_only_reads_no_ground_truth(tmp_path, track_samples):
    pan = torch.tensor([[[1001, 1001], [0, 255000]]])
    samples = track_samples(
        [[{
            'pred_panoptic_seg': {
                'sem_seg': pan
            }
        }] * 2], video_ids=['v0'])
    metric = VPSMetric(format_only=True, outfile_prefix=str(tmp_path),
                       submission_format='vipseg')
    metric.process({}, samples)
    assert metric.evaluate(1) == {}
    pred = json.load(open(tmp_path / 'pred.json'))
    segments = pred['annotations'][0]['annotations'][1]['segments_info']
    assert segments == [
        dict(id=1, category_id=0),
        dict(id=1002, category_id=1)
    ]
    png = np.array(Image.open(tmp_path / 'pan_pred' / 'v0' / '000001.png'))
    ids = png[..., 0] + 256 * png[..., 1].astype(int) + \
        65536 * png[..., 2].astype(int)
    assert ids.tolist() == [[1002, 1002], [1, 0]]


def test_option_errors(tmp_path):
    with pytest.raises(ValueError, match='format_only needs outfile_prefix'):
        VSSMetric(format_only=True)
    with pytest.raises(ValueError, match='needs a submission format'):
        VPSMetric(outfile_prefix=str(tmp_path))
    with pytest.raises(ValueError, match="no 'vspw' submission format"):
        VPSMetric(outfile_prefix=str(tmp_path), submission_format='vspw')


def test_submission_evaluator_errors(tmp_path):
    with pytest.raises(ValueError, match='--format'):
        submission_evaluator(
            dict(type='DAVISMetric'), 'DAVISDataset', str(tmp_path))
    with pytest.raises(ValueError, match='unknown submission format'):
        submission_evaluator(
            dict(type='VPSMetric'), None, str(tmp_path), fmt='coco')


def test_submission_evaluator_options(tmp_path):
    out = str(tmp_path)
    # the metric of the format gets the options, the others stay
    cfgs = submission_evaluator([
        dict(type='mmvidseg.VPSMetric', windows=(1, )),
        dict(type='DAVISMetric')
    ], 'mmvidseg.KITTISTEPDataset', out)
    assert cfgs == [
        dict(
            type='mmvidseg.VPSMetric',
            windows=(1, ),
            outfile_prefix=out,
            submission_format='kitti_step'),
        dict(type='DAVISMetric')
    ]
    # format_only: only the writer is left
    cfgs = submission_evaluator(
        [dict(type='VPSMetric'), dict(type='DAVISMetric')],
        'KITTISTEPDataset',
        out,
        format_only=True)
    assert cfgs == [
        dict(
            type='VPSMetric',
            outfile_prefix=out,
            submission_format='kitti_step',
            format_only=True)
    ]
    # no metric writes the format: a format-only one is added
    evaluator = dict(type='DAVISMetric')
    cfgs = submission_evaluator(evaluator, 'VSPWDataset', out)
    assert cfgs == [
        dict(type='DAVISMetric'),
        dict(type='VSSMetric', format_only=True, outfile_prefix=out)
    ]
    assert evaluator == dict(type='DAVISMetric')  # not modified


def test_youtube_vos_pngs_hold_object_ids(tmp_path, videos):
    """YouTube-VOS: one palette PNG per frame of ``JPEGImages/<video>``,
    named as the frame, holding the predicted object ids (here the
    toy's true ids, so the released reference masks must agree)."""
    from mmvidseg.testing.toy_formats import (davis_object_ids,
                                              write_youtube_vos)
    from mmvidseg.testing.toy_formats._io import voc_palette
    root = write_youtube_vos(str(tmp_path / 'data'), videos)
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs', '_base_', 'datasets', 'youtube_vos.py'))
    ds_cfg = cfg.val_dataloader.dataset
    ds_cfg.data_root = root
    dataset = DATASETS.build(ds_cfg)
    truth = {}
    for video in videos['val']:
        ids = davis_object_ids(video, number_new_objects=True)
        lut = np.zeros(video.instance.max() + 1, np.uint8)
        for track, obj_id in ids.items():
            lut[track] = obj_id
        truth[video.name] = lut[video.instance]
    samples = _samples(dataset)
    for sample in samples:
        for frame in sample.video_data_samples:
            ids = truth[frame.video_name][frame.frame_id]
            frame.pred_sem_seg = PixelData(data=torch.from_numpy(ids)[None])
    out = str(tmp_path / 'sub')
    _write([], 'YouTubeVOSDataset', out, samples)
    palette = voc_palette().flatten().tolist()
    for video in videos['val']:
        frames = sorted(
            os.listdir(osp.join(root, 'valid', 'JPEGImages', video.name)))
        pngs = sorted(os.listdir(osp.join(out, 'Annotations', video.name)))
        assert pngs == [f.replace('.jpg', '.png') for f in frames]
        assert pngs[1] == '00005.png'  # the frame's name, not its index
        for t, name in enumerate(pngs):
            png = Image.open(osp.join(out, 'Annotations', video.name, name))
            assert png.mode == 'P'
            assert png.getpalette()[:len(palette)] == palette
            pred = np.array(png)
            assert np.array_equal(pred, truth[video.name][t])
            ref = osp.join(root, 'valid', 'Annotations', video.name, name)
            if osp.exists(ref):  # the frames where objects first appear
                ref = np.array(Image.open(ref))
                assert ref.any()
                assert np.array_equal(pred[ref > 0], ref[ref > 0])
    # a PNG for every frame of every video
    assert sum(len(v) for v in truth.values()) == sum(
        len(os.listdir(osp.join(out, 'Annotations', v))) for v in truth)


def test_youtube_vos_submission_options(tmp_path):
    out = str(tmp_path)
    # the dataset type selects the format; DAVIS J&F cannot score valid
    cfgs = submission_evaluator(
        dict(type='DAVISMetric'), 'YouTubeVOSDataset', out)
    assert cfgs == [
        dict(type='DAVISMetric'),
        dict(type='YouTubeVOSSubmission', format_only=True,
             outfile_prefix=out)
    ]
    with pytest.raises(ValueError, match='scored by the challenge server'):
        METRICS.build(
            dict(type='YouTubeVOSSubmission', outfile_prefix=out,
                 format_only=False))
    metric = METRICS.build(dict(type='YouTubeVOSSubmission',
                                outfile_prefix=out))
    frame = dict(video_name='v', img_path='v/00010.jpg',
                 pred_sem_seg=dict(data=torch.full((1, 2, 3), 255)))
    with pytest.raises(ValueError, match=r'v/00010.jpg.*\[0, 255\)'):
        metric.process({}, [frame])
    frame['pred_sem_seg']['data'] = torch.tensor([[[0, 1, 2], [3, 0, 7]]])
    metric.process({}, [frame])
    assert metric.evaluate(1) == {}
    png = np.array(Image.open(tmp_path / 'Annotations' / 'v' / '00010.png'))
    assert png.tolist() == [[0, 1, 2], [3, 0, 7]]
