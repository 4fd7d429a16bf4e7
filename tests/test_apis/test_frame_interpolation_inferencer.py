# Copyright (c) OpenMMLab. All rights reserved.
"""FrameInterpolationInferencer (Deep Voxel Flow) on a toy video file and
a frame folder."""
import mmcv
import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmvidseg.apis import FrameInterpolationInferencer
from mmvidseg.registry import MODELS
from mmvidseg.testing import generate_toy_video
from mmvidseg.testing.inference import (read_video, repo_path,
                                        write_toy_video_file)
from mmvidseg.utils import register_all_modules

CFG = repo_path('configs', 'deep_voxel_flow',
                'dvf_unet-tiny-ms2_1xb8-1k_toy-triplets.py')


@pytest.fixture(scope='module')
def averaging_checkpoint(tmp_path_factory):
    """The toy model with zeroed output convs: no flow, an even blend, so
    it predicts the average of its two frames."""
    register_all_modules()
    model = MODELS.build(Config.fromfile(CFG).model)
    model.init_weights()
    for conv in (model.backbone.fusion, *model.backbone.heads):
        torch.nn.init.zeros_(conv.weight)
        torch.nn.init.zeros_(conv.bias)
    path = str(tmp_path_factory.mktemp('dvf') / 'dvf_avg.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return path


@pytest.fixture(scope='module')
def inferencer(averaging_checkpoint):
    return FrameInterpolationInferencer(
        CFG, averaging_checkpoint, device='cpu', show_progress=False)


def _frames(num=4):
    video = generate_toy_video(5, num_frames=num, height=36, width=52)
    return [np.ascontiguousarray(img[..., ::-1]) for img in video.images]


def _average(a, b):
    return (a.astype(float) + b) / 2


def test_video_file_doubles_the_frame_rate(tmp_path, inferencer):
    mp4 = write_toy_video_file(str(tmp_path), _frames(), 'in', fps=10.0)
    inputs = read_video(mp4)
    out = inferencer(mp4, batch_size=2, out_file=str(tmp_path / 'out.mp4'))
    frames = out['predictions']
    assert out['fps'] == pytest.approx(20.0)
    assert out['num_input_frames'] == 4 and len(frames) == 7
    assert out['synthesized'] == [False, True] * 3 + [False]
    for k in range(3):
        np.testing.assert_array_equal(frames[2 * k], inputs[k])
        assert np.abs(frames[2 * k + 1] -
                      _average(inputs[k], inputs[k + 1])).max() <= 1
    np.testing.assert_array_equal(frames[-1], inputs[-1])
    written = mmcv.VideoReader(str(tmp_path / 'out.mp4'))
    assert len(written) == 7 and written.fps == pytest.approx(20.0)


def test_frame_folder_and_multiplier_4(tmp_path, inferencer):
    frames = _frames(3)
    for t, frame in enumerate(frames):
        mmcv.imwrite(frame, str(tmp_path / 'frames' / f'{t:05d}.png'))
    from_folder = inferencer(str(tmp_path / 'frames'))
    from_list = inferencer(frames)
    assert len(from_folder['predictions']) == 5
    for a, b in zip(from_folder['predictions'], from_list['predictions']):
        np.testing.assert_array_equal(a, b)
    # 4x: the quarter frames blend the first frame with the middle one
    quad = inferencer(frames, fps_multiplier=4, batch_size=3)['predictions']
    assert len(quad) == 4 * 2 + 1
    mid = from_list['predictions'][1]
    np.testing.assert_array_equal(quad[2], mid)
    assert np.abs(quad[1] - _average(frames[0], mid)).max() <= 1
    # only written, not kept
    out = inferencer(frames, out_file=str(tmp_path / 'o'),
                     return_frames=False)
    assert out['predictions'] is None
    assert len(list((tmp_path / 'o').iterdir())) == 5


def test_errors(inferencer):
    with pytest.raises(ValueError, match='power of 2'):
        inferencer(_frames(2), fps_multiplier=3)
    seg = repo_path('configs', 'video_knet',
                    'video-knet_r18-w16_1xb2-2k_toy-vspw.py')
    with pytest.raises(ValueError, match='not a frame-interpolation model'):
        FrameInterpolationInferencer(seg, device='cpu')
    extra = CFG.replace('dvf_unet', 'dvf-extra_unet')
    with pytest.raises(ValueError, match='interpolation'):
        FrameInterpolationInferencer(extra, device='cpu')
