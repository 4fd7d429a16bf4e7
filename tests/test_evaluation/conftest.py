# Copyright (c) OpenMMLab. All rights reserved.
"""Helpers that write tiny benchmark layouts for the evaluation tests."""
import importlib.util
import json
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _load_tool(name):
    path = osp.join(REPO, 'tools', 'analysis_tools', f'{name}.py')
    spec = importlib.util.spec_from_file_location(f'_tool_{name}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='session')
def eval_offline():
    """The ``tools/analysis_tools/eval_offline.py`` module."""
    return _load_tool('eval_offline')


@pytest.fixture(scope='session')
def benchmark_metrics():
    """The ``tools/analysis_tools/benchmark_metrics.py`` module."""
    return _load_tool('benchmark_metrics')


def id2rgb(ids):
    ids = np.asarray(ids, np.uint32)
    return np.stack([ids & 255, (ids >> 8) & 255, (ids >> 16) & 255],
                    -1).astype(np.uint8)


def save_png(path, array):
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.fromarray(array).save(path)


def write_vipseg(root, categories, videos):
    """Write a VIPSeg-style GT and prediction layout.

    ``videos`` maps a video id to a list of frames ``(gt_ids, gt_segments,
    pred_ids, pred_segments)``. Returns ``(gt_dir, gt_json, pred_dir)``.
    """
    gt_dir = osp.join(root, 'gt')
    pred_dir = osp.join(root, 'pred')
    gt = dict(categories=categories, videos=[], annotations=[])
    pred = dict(annotations=[])
    for vid, frames in videos.items():
        images, ganns, panns = [], [], []
        for t, (gids, gsegs, pids, psegs) in enumerate(frames):
            name = f'{t:08d}.png'
            images.append(dict(id=f'{t:08d}', file_name=name,
                               height=np.shape(gids)[0],
                               width=np.shape(gids)[1]))
            save_png(osp.join(gt_dir, vid, name), id2rgb(gids))
            save_png(osp.join(pred_dir, 'pan_pred', vid, name),
                     id2rgb(pids))
            ganns.append(dict(image_id=f'{t:08d}', file_name=name,
                              segments_info=gsegs))
            panns.append(dict(image_id=f'{t:08d}', file_name=name,
                              segments_info=psegs))
        gt['videos'].append(dict(video_id=vid, images=images))
        gt['annotations'].append(dict(video_id=vid, annotations=ganns))
        pred['annotations'].append(dict(video_id=vid, annotations=panns))
    gt_json = osp.join(gt_dir, 'panoptic_gt_val.json')
    os.makedirs(gt_dir, exist_ok=True)
    with open(gt_json, 'w') as f:
        json.dump(gt, f)
    os.makedirs(pred_dir, exist_ok=True)
    with open(osp.join(pred_dir, 'pred.json'), 'w') as f:
        json.dump(pred, f)
    return gt_dir, gt_json, pred_dir


@pytest.fixture
def vipseg_writer():
    return write_vipseg


@pytest.fixture
def run_cli(eval_offline, capsys):
    """Run ``eval_offline.main(argv)`` and return the printed JSON."""

    def _run(*argv):
        eval_offline.main([str(a) for a in argv])
        out = capsys.readouterr().out.strip().splitlines()
        assert len(out) == 1, out
        return json.loads(out[0])

    return _run


def make_track_samples(frames_per_video, video_ids=None):
    """Build one ``TrackDataSample`` per video.

    ``frames_per_video``: list (videos) of lists (frames) of dicts mapping
    a field name to a ``PixelData``/``InstanceData`` kwargs dict, e.g.
    ``{'gt_panoptic_seg': {'sem_seg': tensor}}``.
    """
    from mmengine.structures import InstanceData, PixelData

    from mmvidseg.structures import DetDataSample, TrackDataSample
    samples = []
    for v, frames in enumerate(frames_per_video):
        vid = video_ids[v] if video_ids is not None else v
        dets = []
        for t, fields in enumerate(frames):
            det = DetDataSample(metainfo=dict(
                video_id=vid, frame_id=t, video_length=len(frames)))
            for name, kwargs in fields.items():
                cls = InstanceData if 'instances' in name else PixelData
                setattr(det, name, cls(**kwargs))
            dets.append(det)
        track = TrackDataSample()
        track.video_data_samples = dets
        samples.append(track)
    return samples


@pytest.fixture
def track_samples():
    return make_track_samples
