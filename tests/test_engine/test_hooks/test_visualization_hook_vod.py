# Copyright (c) OpenMMLab. All rights reserved.
"""``tools/test.py --show-dir`` on a toy video object detection model
(TransVOD, random weights): one drawing per frame, ground-truth boxes
(with track ids) | predicted boxes."""
import os
import os.path as osp

import mmcv
import numpy as np
import pytest

from mmvidseg.testing import generate_toy_video
from mmvidseg.testing.inference import (random_checkpoint, repo_path,
                                        run_test_py)
from mmvidseg.testing.toy_formats import write_imagenet_vid

H, W = 32, 48


@pytest.mark.slow
def test_test_py_show_dir_vod_writes_one_image_per_frame(tmp_path):
    config = repo_path('configs', 'transvod',
                       'transvod_r18-w16_1xb1-1k_toy-imagenet-vid.py')
    video = generate_toy_video(1000, num_frames=3, height=H, width=W)
    root = write_imagenet_vid(str(tmp_path / 'data'), {'val': [video]})
    ckpt = random_checkpoint(config, str(tmp_path / 'ckpt.pth'))
    show = tmp_path / 'show'
    run_test_py(config, ckpt, root, str(tmp_path / 'work'), '--show-dir',
                str(show))
    # DIR/<video path relative to Data/VID>/<frame>.jpg
    drawn = sorted(
        osp.relpath(osp.join(d, n), show) for d, _, names in os.walk(show)
        for n in names)
    assert drawn == [f'val/{video.name}/{t:06d}.jpg' for t in range(3)]
    for t, rel in enumerate(drawn):
        image = mmcv.imread(str(show / rel))
        assert image.shape == (H, 2 * W, 3)  # ground truth | prediction
        frame = mmcv.imread(
            osp.join(root, 'Data', 'VID', 'val', video.name, f'{t:06d}.JPEG'))
        # the ground-truth boxes are drawn over the frame
        assert np.abs(image[:, :W].astype(int) - frame).max() > 100
