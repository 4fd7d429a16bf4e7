# Copyright (c) OpenMMLab. All rights reserved.
"""VideoVisualizationHook, alone and through ``tools/test.py --show-dir``
(one drawing per frame, ``DIR/<video>/<frame>.jpg``)."""
import os
import os.path as osp
from types import SimpleNamespace

import mmcv
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData

from mmvidseg.engine import VideoVisualizationHook
from mmvidseg.structures import DetDataSample, TrackDataSample
from mmvidseg.testing import generate_toy_video
from mmvidseg.testing.inference import (random_checkpoint, repo_path,
                                        run_test_py)
from mmvidseg.testing.toy_formats import write_kitti_step, write_youtube_vis
from mmvidseg.visualization import VideoLocalVisualizer

H, W = 32, 48


def _video_sample(folder, name, num):
    frames = []
    for t in range(num):
        path = osp.join(folder, name, f'{t:05d}.jpg')
        mmcv.imwrite(np.full((H, W, 3), 40 * t, np.uint8), path)
        frame = DetDataSample(metainfo=dict(
            img_path=path, frame_id=t, video_id=3, video_name=name,
            ori_shape=(H, W)))
        frame.pred_sem_seg = PixelData(
            data=torch.full((1, H, W), t % 6, dtype=torch.long))
        frames.append(frame)
    return TrackDataSample(video_data_samples=frames)


def test_hook_writes_one_drawing_per_frame(tmp_path):
    VideoLocalVisualizer.get_instance('hook-test-vis')
    out_dir = str(tmp_path / 'show')
    hook = VideoVisualizationHook(draw=True, test_out_dir=out_dir)
    runner = SimpleNamespace(work_dir=str(tmp_path), timestamp='t', iter=0)
    hook.before_test(runner)
    hook.after_test_iter(runner, 0, {}, [_video_sample(tmp_path, 'cat', 3)])
    assert sorted(os.listdir(osp.join(out_dir, 'cat'))) == [
        '00000.jpg', '00001.jpg', '00002.jpg'
    ]
    # a relative dir is under <work_dir>/<timestamp>/; interval 2
    hook = VideoVisualizationHook(draw=True, interval=2, test_out_dir='vis')
    hook.before_test(runner)
    hook.after_test_iter(runner, 0, {}, [_video_sample(tmp_path, 'dog', 3)])
    assert sorted(os.listdir(tmp_path / 't' / 'vis' / 'dog')) == [
        '00000.jpg', '00002.jpg'
    ]
    # draw=False: nothing
    hook = VideoVisualizationHook(test_out_dir=str(tmp_path / 'none'))
    hook.before_test(runner)
    hook.after_test_iter(runner, 0, {}, [_video_sample(tmp_path, 'eel', 1)])
    assert not (tmp_path / 'none').exists()
    with pytest.raises(ValueError, match='interval'):
        VideoVisualizationHook(interval=0)


def _toy():
    return generate_toy_video(1000, num_frames=3, height=H, width=W)


@pytest.mark.parametrize('task', ['vps', 'vis'])
def test_test_py_show_dir_writes_one_image_per_frame(tmp_path, task):
    """The toy VPS (KITTI-STEP) and VIS (YouTube-VIS) configs, random
    weights: every frame drawn as ground truth | prediction."""
    if task == 'vps':
        config = repo_path('configs', 'video_knet',
                           'video-knet_r18-w16_1xb2-6k_toy-kitti-step.py')
        root = write_kitti_step(str(tmp_path / 'data'), {'val': [_toy()]})
        expected = {'000000_00000%d_leftImg8bit.jpg' % t for t in range(3)}
    else:
        config = repo_path(
            'configs', 'video_knet',
            'video-knet_r18-w16_1xb2-6k_toy-youtube-vis-128x192.py')
        root = write_youtube_vis(str(tmp_path / 'data'), {'val': [_toy()]})
        expected = {f'{5 * t:05d}.jpg' for t in range(3)}
    ckpt = random_checkpoint(config, str(tmp_path / 'ckpt.pth'), seed=2)
    show = tmp_path / 'show'
    run_test_py(config, ckpt, root, str(tmp_path / 'work'), '--show-dir',
                str(show))
    videos = os.listdir(show)
    assert len(videos) == 1
    assert set(os.listdir(show / videos[0])) == expected
    for name in expected:
        drawing = mmcv.imread(str(show / videos[0] / name))
        assert drawing.shape == (H, 2 * W, 3)  # ground truth | prediction
