# Copyright (c) OpenMMLab. All rights reserved.
"""Submission writers: ground truth written as predictions must score
perfectly with the offline evaluators (eval_offline.py), and the files
must be in each benchmark's layout."""
import importlib.util
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.structures import PixelData
from PIL import Image

from mmvidseg.registry import DATASETS
from mmvidseg.testing import generate_toy_video
from mmvidseg.utils import register_all_modules

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _load_tool(name):
    path = osp.join(ROOT, 'tools', 'analysis_tools', f'{name}.py')
    spec = importlib.util.spec_from_file_location(f'_knet_{name}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


submission = _load_tool('submission')
eval_offline = _load_tool('eval_offline')


@pytest.fixture(scope='module')
def videos():
    return {
        'train': [generate_toy_video(0, num_frames=3, height=32, width=48)],
        'val': [
            generate_toy_video(1000 + i, num_frames=4, height=32, width=48)
            for i in range(2)
        ]
    }


def _samples(base_config, data_root, **dataset_kw):
    """Whole-video val samples of a toy dataset, as the test loop has."""
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(osp.join(ROOT, 'configs', '_base_', 'datasets',
                                   base_config))
    ds_cfg = cfg.val_dataloader.dataset
    ds_cfg.data_root = data_root
    ds_cfg.update(dataset_kw)
    dataset = DATASETS.build(ds_cfg)
    return [dataset[i]['data_samples'] for i in range(len(dataset))]


def _write(writer, samples):
    for sample in samples:
        writer.process(None, [sample])
    return writer.compute_metrics(writer.results)


def test_kitti_step_pngs_equal_ground_truth(tmp_path, videos):
    from mmvidseg.testing.toy_formats.kitti_step import write_kitti_step
    root = write_kitti_step(str(tmp_path / 'data'), videos)
    samples = _samples('toy_kitti_step.py', root)
    for sample in samples:
        for frame in sample.video_data_samples:
            frame.pred_panoptic_seg = frame.gt_panoptic_seg
    out = str(tmp_path / 'sub')
    _write(submission.build_writer(None, 'KITTISTEPDataset', out), samples)
    for seq in range(2):
        for t in range(4):
            pred = np.array(
                Image.open(osp.join(out, f'{seq:04d}', f'{t:06d}.png')))
            gt = np.array(
                Image.open(
                    osp.join(root, 'video_sequence', 'val',
                             f'{seq:06d}_{t:06d}_panoptic.png')))
            assert np.array_equal(pred, gt)


def test_vipseg_perfect_vpq_and_stq(tmp_path, videos):
    from mmvidseg.testing.toy_formats.vipseg import write_vipseg
    root = write_vipseg(str(tmp_path / 'data'), videos)
    samples = _samples('toy_vipseg.py', root)
    for sample in samples:
        for frame in sample.video_data_samples:
            frame.pred_panoptic_seg = frame.gt_panoptic_seg
    out = str(tmp_path / 'sub')
    _write(submission.build_writer('vipseg', None, out), samples)
    pred = json.load(open(osp.join(out, 'pred.json')))
    assert len(pred['annotations']) == 2
    first = pred['annotations'][0]['annotations'][0]
    assert first['file_name'] == '00000000.png'
    gt_json = osp.join(root, 'panoptic_gt_VIPSeg_val.json')
    args = ['--gt', osp.join(root, 'panomasksRGB'), '--pred', out,
            '--gt-json', gt_json]
    vpq = eval_offline.main(['vpq', *args, '--windows', '1', '2'])
    assert vpq['VPQ'] == pytest.approx(100.0)
    stq = eval_offline.main(['stq', *args, '--num-classes', '6'])
    assert stq['STQ'] == pytest.approx(1.0)


def test_youtube_vis_perfect_ap(tmp_path, videos):
    from mmvidseg.testing.toy_formats.youtube_vis import write_youtube_vis
    root = write_youtube_vis(str(tmp_path / 'data'), videos)
    samples = _samples(
        'youtube_vis_2019.py',
        root,
        dataset_version=None,
        ann_file='valid.json',
        data_prefix=dict(img_path='valid/JPEGImages'))
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
    out = str(tmp_path / 'sub')
    _write(submission.build_writer(None, 'YouTubeVISDataset', out), samples)
    results = json.load(open(osp.join(out, 'results.json')))
    assert {r['video_id'] for r in results} == {1, 2}
    assert all(len(r['segmentations']) == 4 for r in results)
    ap = eval_offline.main([
        'ytvis', '--gt', osp.join(root, 'valid.json'), '--pred',
        osp.join(out, 'results.json')
    ])
    assert ap['AP'] == pytest.approx(1.0)  # a fraction


def test_vspw_pngs_hold_mask_values(tmp_path, videos):
    """VSPW's evaluator compares the stored values: the ground truth holds
    class + 1 (0 and 255 void), and so must the prediction."""
    from mmvidseg.testing.toy_formats.vspw import write_vspw
    root = write_vspw(str(tmp_path / 'data'), videos)
    samples = _samples('toy_vspw.py', root)
    for sample in samples:
        for frame in sample.video_data_samples:
            frame.pred_sem_seg = PixelData(data=frame.gt_sem_seg.data)
    out = str(tmp_path / 'sub')
    _write(submission.build_writer(None, 'VSPWDataset', out), samples)
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
    scores = eval_offline.main(['vss', '--gt', root, '--pred', out,
                                '--split', osp.join(root, 'val.txt')])
    assert scores['mIoU'] == pytest.approx(1.0)  # a fraction


def test_build_writer_errors(tmp_path):
    with pytest.raises(ValueError, match='--format'):
        submission.build_writer(None, 'DAVISDataset', str(tmp_path))
    with pytest.raises(ValueError, match='unknown submission format'):
        submission.build_writer('coco', None, str(tmp_path))
