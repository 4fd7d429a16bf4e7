# Copyright (c) OpenMMLab. All rights reserved.
"""demo/video_demo.py end to end on toy inputs (random-weight toy
checkpoints): a video file in, an annotated mp4 out; a frame folder in,
one drawing per frame out."""
import os

import mmcv
import numpy as np
import pytest

from mmvidseg.testing import generate_toy_video
from mmvidseg.testing.inference import (load_script, random_checkpoint,
                                        read_video, repo_path,
                                        write_toy_video_file)

VPS = repo_path('configs', 'video_knet',
                'video-knet_r18-w16_1xb2-6k_toy-kitti-step.py')
VSS = repo_path('configs', 'frame_baseline',
                'frame-baseline_fcn-r18-w16_1xb4-1k_toy-vspw.py')


def _frames(num=3):
    video = generate_toy_video(1000, num_frames=num, height=32, width=48)
    return [np.ascontiguousarray(img[..., ::-1]) for img in video.images]


def test_video_in_annotated_video_out(tmp_path, capsys):
    demo = load_script('demo/video_demo.py')
    src = write_toy_video_file(str(tmp_path), _frames(), fps=8.0)
    ckpt = random_checkpoint(VPS, str(tmp_path / 'vps.pth'), seed=2)
    out = str(tmp_path / 'out' / 'drawn.mp4')
    assert demo.main(
        [src, VPS, ckpt, '--out', out, '--device', 'cpu',
         '--no-progress']) == 0
    assert f'3 frames -> {out}' in capsys.readouterr().out
    drawn = mmcv.VideoReader(out)
    assert drawn.fps == pytest.approx(8.0)
    frames = read_video(out)
    assert len(frames) == 3 and frames[0].shape == (32, 48, 3)
    # the drawing is not the input frame: something was painted
    assert np.abs(frames[0].astype(int) - read_video(src)[0]).mean() > 5


def test_frame_folder_in_frames_out_random_weights(tmp_path):
    demo = load_script('demo/video_demo.py')
    for t, frame in enumerate(_frames()):
        mmcv.imwrite(frame, str(tmp_path / 'frames' / f'{t:08d}.jpg'))
    out = tmp_path / 'drawn'
    with pytest.warns(UserWarning, match='randomly initialised'):
        demo.main([
            str(tmp_path / 'frames'), VSS, '--out',
            str(out), '--max-frames', '2', '--no-progress'
        ])
    assert sorted(os.listdir(out)) == ['00000000.jpg', '00000001.jpg']
    assert mmcv.imread(str(out / '00000000.jpg')).shape == (32, 48, 3)
    with pytest.raises(FileNotFoundError, match='none.mp4 does not exist'):
        demo.main([str(tmp_path / 'none.mp4'), VSS, '--out', str(out)])


def test_vod_config_boxes_and_det_file(tmp_path, capsys):
    """A TransVOD config goes to VideoDetInferencer: drawn boxes and the
    ImageNet VID submission lines; segmentation-only options refused."""
    demo = load_script('demo/video_demo.py')
    vod = repo_path('configs', 'transvod',
                    'transvod_r18-w16_1xb1-1k_toy-imagenet-vid.py')
    src = write_toy_video_file(str(tmp_path), _frames(), fps=8.0)
    ckpt = random_checkpoint(vod, str(tmp_path / 'vod.pth'))
    out, det = str(tmp_path / 'boxes.mp4'), str(tmp_path / 'det.txt')
    assert demo.main([
        src, vod, ckpt, '--out', out, '--det-file', det, '--score-thr', '0',
        '--no-progress'
    ]) == 0
    assert len(read_video(out)) == 3
    with open(det) as f:
        lines = [line.split() for line in f]
    assert lines and {line[0] for line in lines} == {'1', '2', '3'}
    assert all(len(line) == 7 for line in lines)
    with pytest.raises(ValueError, match='--det-file is for video object'):
        demo.main([src, VSS, '--out', out, '--det-file', det])
    vos = repo_path('configs', 'vs_reid',
                    'vs-reid_r18-w16_1xb2-1k_toy-davis.py')
    with pytest.raises(ValueError, match='demo/vos_demo.py'):
        demo.main([src, vos, '--out', out])
