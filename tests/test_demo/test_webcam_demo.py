# Copyright (c) OpenMMLab. All rights reserved.
"""demo/webcam_demo.py on a fake camera (``cv2.VideoCapture`` replaced by
an endless toy video) with a random-weight toy checkpoint: frames are
drawn and written until ``--max-frames``, the camera is released, and
bad arguments or a missing camera fail clearly."""
import itertools

import cv2
import numpy as np
import pytest

from mmvidseg.testing import generate_toy_video
from mmvidseg.testing.inference import (load_script, random_checkpoint,
                                        read_video, repo_path)

VPS = repo_path('configs', 'video_knet',
                'video-knet_r18-w16_1xb2-6k_toy-kitti-step.py')
VIS = repo_path('configs', 'video_knet',
                'video-knet_r18-w16_1xb2-6k_toy-youtube-vis-128x192.py')


class FakeCamera:
    """A camera that loops over a toy video for ever (BGR 32x48)."""

    opened_indices = []

    def __init__(self, index):
        video = generate_toy_video(1000, num_frames=3, height=32, width=48)
        self._frames = itertools.cycle(
            [np.ascontiguousarray(f[..., ::-1]) for f in video.images])
        self.index, self.reads, self.released = index, 0, False
        FakeCamera.opened_indices.append(self)

    def isOpened(self):  # noqa: N802 (OpenCV's name)
        return self.index != 9

    def get(self, prop):
        return 12.0 if prop == cv2.CAP_PROP_FPS else 0.0

    def read(self):
        self.reads += 1
        return True, next(self._frames).copy()

    def release(self):
        self.released = True


@pytest.fixture
def camera(monkeypatch):
    FakeCamera.opened_indices = []
    monkeypatch.setattr(cv2, 'VideoCapture', FakeCamera)
    return FakeCamera


def test_webcam_frames_drawn_to_video_until_max_frames(tmp_path, capsys,
                                                       camera, monkeypatch):
    demo = load_script('demo/webcam_demo.py')
    ckpt = random_checkpoint(VPS, str(tmp_path / 'vps.pth'), seed=2)
    out = str(tmp_path / 'webcam.mp4')
    assert demo.main([VPS, ckpt, '--camera-id', '1', '--max-frames', '4',
                      '--out', out]) == 0
    assert f'camera 1: 4 frames -> {out}' in capsys.readouterr().out
    cam, = camera.opened_indices
    assert cam.index == 1 and cam.released and cam.reads == 4
    monkeypatch.undo()  # the real cv2.VideoCapture reads the output
    written = read_video(out)
    assert len(written) == 4 and written[0].shape == (32, 48, 3)
    assert cv2.VideoCapture(out).get(cv2.CAP_PROP_FPS) == pytest.approx(12)


def test_webcam_errors(tmp_path, camera):
    demo = load_script('demo/webcam_demo.py')
    with pytest.raises(SystemExit):  # neither --out nor --show
        demo.parse_args([VPS])
    with pytest.raises(SystemExit):
        demo.parse_args([VPS, '--show', '--max-frames', '0'])
    with pytest.warns(UserWarning, match='randomly initialised'), \
            pytest.raises(ValueError, match='cannot open the camera 9'):
        demo.main([VPS, '--camera-id', '9', '--out', str(tmp_path / 'a.mp4')])
    with pytest.warns(UserWarning, match='randomly initialised'), \
            pytest.raises(ValueError, match='clip-level model'):
        demo.main([VIS, '--show'])
