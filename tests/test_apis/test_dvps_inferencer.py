# Copyright (c) OpenMMLab. All rights reserved.
"""VideoSegInferencer on DVPS (PolyphonicFormer, video stage, tracking):
an mp4 and a Cityscapes-DVPS frame folder give the panoptic maps, tracks
and depth maps of ``tools/test.py`` on the same frames (random-weight
checkpoint of the tiny video config); the drawing has a depth panel."""
import dataclasses
import os
import os.path as osp

import numpy as np
import pytest

from mmvidseg.apis import VideoSegInferencer, frame_prediction
from mmvidseg.testing import generate_toy_video
from mmvidseg.testing.inference import (random_checkpoint, read_video,
                                        repo_path, run_test_py,
                                        write_toy_video_file)
from mmvidseg.testing.toy_formats import write_cityscapes_dvps

DVPS = repo_path('configs', 'polyphonicformer',
                 'polyphonicformer_r18-w16_1xb2-500_toy-cityscapes-dvps.py')


def _assert_same(predictions, samples):
    """Panoptic maps and track ids equal; depth up to float rounding
    (tools/test.py runs a video's frames as one batch through the backbone,
    the inferencer one frame at a time)."""
    assert len(predictions) == len(samples)
    for t, (pred, sample) in enumerate(zip(predictions, samples)):
        ref = frame_prediction(sample)
        assert {'panoptic_seg', 'depth'} <= set(pred), (t, sorted(pred))
        np.testing.assert_array_equal(pred['panoptic_seg'],
                                      ref['panoptic_seg'], f'frame {t}')
        np.testing.assert_allclose(pred['depth'], ref['depth'], rtol=1e-4,
                                   atol=1e-4, err_msg=f'frame {t} depth')
        for key in ('instance_ids', 'labels'):
            if key in ref:
                np.testing.assert_array_equal(pred[key], ref[key],
                                              f'frame {t} {key}')


def _assert_same_dicts(a, b):
    assert len(a) == len(b)
    for t, (x, y) in enumerate(zip(a, b)):
        assert sorted(x) == sorted(y)
        for key in x:
            np.testing.assert_array_equal(x[key], y[key], f'{t} {key}')


@pytest.mark.slow
def test_dvps_video_file_and_folder_equal_test_py(tmp_path):
    """The mp4's decoded frames are written as Cityscapes-DVPS PNGs
    (lossless), so tools/test.py sees exactly the frames the inferencer
    reads from the mp4; the folder holds the ``leftImg8bit`` frames."""
    video = generate_toy_video(1000, num_frames=3, height=32, width=48)
    bgr = [np.ascontiguousarray(img[..., ::-1]) for img in video.images]
    mp4 = write_toy_video_file(str(tmp_path), bgr)
    decoded = read_video(mp4)
    assert len(decoded) == video.num_frames
    written = dataclasses.replace(
        video, images=np.stack([f[..., ::-1] for f in decoded]))
    root = write_cityscapes_dvps(str(tmp_path / 'dvps'), {'val': [written]})
    ckpt = random_checkpoint(DVPS, str(tmp_path / 'dvps.pth'))
    samples = run_test_py(DVPS, ckpt, root, str(tmp_path / 'work'))

    inferencer = VideoSegInferencer(DVPS, ckpt, device='cpu',
                                    show_progress=False)
    out = inferencer(mp4, return_vis=True)
    from_video = out['predictions']
    _assert_same(from_video, samples)
    # not vacuous: a thing is segmented and tracked (seed 0)
    assert any(len(p['instance_ids']) for p in from_video)
    assert any((p['panoptic_seg'] % 1000 > 0).any() for p in from_video)
    depth = from_video[0]['depth']
    assert depth.shape == (32, 48) and depth.dtype == np.float32
    assert np.isfinite(depth).all() and depth.max() > 0
    # the drawing: the panoptic panel and the depth colour map side by side
    vis = out['visualization'][0]
    assert vis.shape == (32, 96, 3)
    depth_panel = vis[:, 48:]
    assert len(np.unique(depth_panel.reshape(-1, 3), axis=0)) > 1

    folder = tmp_path / 'frames'
    folder.mkdir()
    seq = osp.join(root, 'video_sequence', 'val')
    for name in sorted(os.listdir(seq)):
        if name.endswith('_leftImg8bit.png'):
            os.symlink(osp.join(seq, name), folder / name)
    _assert_same_dicts(inferencer(str(folder))['predictions'], from_video)
