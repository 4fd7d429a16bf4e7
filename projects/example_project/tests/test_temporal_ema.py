# Copyright (c) OpenMMLab. All rights reserved.
"""Tests of the example project: its model, and its config training."""
import os
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

PROJECT = osp.dirname(osp.dirname(osp.abspath(__file__)))
ROOT = osp.dirname(osp.dirname(PROJECT))
CONFIG = osp.join(PROJECT, 'configs',
                  'temporal-ema_fcn-r18-w16_1xb4-1k_toy-vspw.py')


@pytest.fixture(scope='module')
def toy_vspw(tmp_path_factory):
    """3 train and 2 val toy videos in VSPW's layout, 32x48 pixels."""
    from mmvidseg.testing import generate_toy_video
    from mmvidseg.testing.toy_formats import write_vspw
    videos = {
        'train': [generate_toy_video(s, 6, 32, 48) for s in range(3)],
        'val': [generate_toy_video(100 + s, 8, 32, 48) for s in range(2)],
    }
    return write_vspw(str(tmp_path_factory.mktemp('toy_vspw')), videos)


def _model(momentum):
    # the config's custom_imports registers TemporalEMASegmentor
    sys.path.insert(0, ROOT)
    cfg = Config.fromfile(CONFIG)
    init_default_scope('mmvidseg')
    from mmvidseg.registry import MODELS
    cfg.model.momentum = momentum
    model = MODELS.build(cfg.model)
    model.eval()
    return model


def _clip(seed, num_frames, video_id):
    from mmdet.structures import DetDataSample, TrackDataSample
    torch.manual_seed(seed)
    frames = []
    for i in range(num_frames):
        frame = DetDataSample()
        frame.set_metainfo(
            dict(frame_id=i, video_id=video_id, ori_shape=(16, 24),
                 img_shape=(16, 24), pad_shape=(16, 24)))
        frames.append(frame)
    sample = TrackDataSample()
    sample.video_data_samples = frames
    return torch.randn(1, num_frames, 3, 16, 24), [sample]


def test_predictions_are_running_averages_reset_per_video():
    model = _model(momentum=0.75)
    with torch.no_grad():
        inputs, samples = _clip(0, 3, video_id=0)
        model.predict(inputs, samples)
        frames = samples[0].video_data_samples
        probs = [f.seg_logits.data.softmax(0) for f in frames]
        average = probs[0]
        for t, frame in enumerate(frames):
            if t:
                average = 0.75 * average + 0.25 * probs[t]
            expect = average.argmax(0, keepdim=True)
            assert torch.equal(frame.pred_sem_seg.data, expect)
        # a new video restarts the average: its first frame is its own
        inputs, samples = _clip(1, 2, video_id=1)
        model.predict(inputs, samples)
        first = samples[0].video_data_samples[0]
        assert torch.equal(first.pred_sem_seg.data,
                           first.seg_logits.data.argmax(0, keepdim=True))


def test_momentum_zero_is_the_frame_baseline_and_bad_momentum_fails():
    model = _model(momentum=0.0)
    with torch.no_grad():
        inputs, samples = _clip(2, 3, video_id=0)
        model.predict(inputs, samples)
    for frame in samples[0].video_data_samples:
        assert torch.equal(frame.pred_sem_seg.data,
                           frame.seg_logits.data.argmax(0, keepdim=True))
    with pytest.raises(ValueError, match='momentum'):
        _model(momentum=1.0)


@pytest.mark.slow
def test_config_trains_with_tools_train(tmp_path, toy_vspw):
    work = tmp_path / 'work'
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run([
        sys.executable,
        osp.join(ROOT, 'tools', 'train.py'), CONFIG, '--work-dir',
        str(work), '--cfg-options',
        f'train_dataloader.dataset.data_root={toy_vspw}',
        f'val_dataloader.dataset.data_root={toy_vspw}',
        f'test_dataloader.dataset.data_root={toy_vspw}',
        'train_cfg.max_iters=150', 'train_cfg.val_interval=150'
    ], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    assert (work / 'iter_150.pth').is_file()
    miou = float(re.findall(r'mIoU: ([0-9.]+)', log)[-1])
    assert miou > 40.0, log[-2000:]
