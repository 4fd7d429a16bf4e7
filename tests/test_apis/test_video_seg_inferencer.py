# Copyright (c) OpenMMLab. All rights reserved.
"""VideoSegInferencer on toy videos: a video file (mp4 written with
OpenCV; ``.avi`` MJPG if this OpenCV cannot write mp4) and a frame folder
give the predictions of ``tools/test.py`` on the same frames written in
the dataset's format (random-weight checkpoints of the toy configs)."""
import dataclasses
import os
import os.path as osp
from unittest import mock

import mmcv
import numpy as np
import pytest

from mmvidseg.apis import FrameSource, VideoSegInferencer, frame_prediction
from mmvidseg.testing import generate_toy_video
from mmvidseg.testing.inference import (random_checkpoint, read_video,
                                        repo_path, run_test_py,
                                        write_toy_video_file)
from mmvidseg.testing.toy_formats import (write_kitti_step, write_vspw,
                                          write_youtube_vis)

VPS = repo_path('configs', 'video_knet',
                'video-knet_r18-w16_1xb2-6k_toy-kitti-step.py')
VSS = repo_path('configs', 'video_knet',
                'video-knet_r18-w16_1xb2-2k_toy-vspw.py')
BASELINE = repo_path('configs', 'frame_baseline',
                     'frame-baseline_fcn-r18-w16_1xb4-1k_toy-vspw.py')
VIS = repo_path('configs', 'video_knet',
                'video-knet_r18-w16_1xb2-6k_toy-youtube-vis-128x192.py')
INSTANCE_KEYS = ('masks', 'labels', 'scores', 'instance_ids')


def _toy(seed=1000, frames=4):
    return generate_toy_video(seed, num_frames=frames, height=32, width=48)


def _bgr(video):
    return [np.ascontiguousarray(img[..., ::-1]) for img in video.images]


def _inferencer(config, checkpoint):
    return VideoSegInferencer(config, checkpoint, device='cpu',
                              show_progress=False)


def _assert_same(predictions, samples, keys):
    """Inferencer predictions (numpy dicts) == tools/test.py samples.

    Maps, masks, labels and ids are equal; scores up to float rounding
    (tools/test.py runs a whole video's frames through the backbone as one
    batch, the inferencer one frame at a time: the last bit may differ).
    """
    assert len(predictions) == len(samples)
    for t, (pred, sample) in enumerate(zip(predictions, samples)):
        ref = frame_prediction(sample)
        assert set(keys) <= set(pred), (t, sorted(pred))
        for key in keys:
            if key == 'scores':
                np.testing.assert_allclose(pred[key], ref[key], rtol=1e-5,
                                           err_msg=f'frame {t} {key}')
            else:
                np.testing.assert_array_equal(pred[key], ref[key],
                                              err_msg=f'frame {t} {key}')


def _assert_same_dicts(a, b):
    assert len(a) == len(b)
    for t, (x, y) in enumerate(zip(a, b)):
        assert sorted(x) == sorted(y)
        for key in x:
            np.testing.assert_array_equal(x[key], y[key], f'{t} {key}')


def test_vps_video_file_and_folder_equal_test_py(tmp_path):
    """VPS (Video K-Net, online tracking): the mp4's decoded frames are
    written as KITTI-STEP PNGs (lossless), so tools/test.py sees exactly the
    frames the inferencer reads from the mp4."""
    video = _toy()
    mp4 = write_toy_video_file(str(tmp_path), _bgr(video))
    decoded = read_video(mp4)
    assert len(decoded) == video.num_frames
    written = dataclasses.replace(
        video, images=np.stack([f[..., ::-1] for f in decoded]))
    root = write_kitti_step(str(tmp_path / 'kitti'), {'val': [written]})
    # seed 2: a random model that segments and tracks a few things
    ckpt = random_checkpoint(VPS, str(tmp_path / 'vps.pth'), seed=2)
    samples = run_test_py(VPS, ckpt, root,
                          str(tmp_path / 'work'))

    inferencer = _inferencer(VPS, ckpt)
    from_video = inferencer(mp4)['predictions']
    _assert_same(from_video, samples,
                 ('panoptic_seg', 'sem_seg') + INSTANCE_KEYS)
    # not vacuous: things were tracked (else pick another seed above)
    assert any(len(p['instance_ids']) for p in from_video)
    # the frame folder: only the frame files of the sequence
    folder = tmp_path / 'frames'
    folder.mkdir()
    seq = osp.join(root, 'video_sequence', 'val')
    for name in sorted(os.listdir(seq)):
        if name.endswith('_leftImg8bit.png'):
            os.symlink(osp.join(seq, name), folder / name)
    from_folder = inferencer(str(folder))['predictions']
    _assert_same_dicts(from_folder, from_video)
    # a second run restarts the video: the same tracks again
    _assert_same_dicts(inferencer(decoded)['predictions'], from_video)


@pytest.mark.parametrize('config', [VSS, BASELINE],
                         ids=['video-knet', 'frame-baseline'])
def test_vss_folder_equals_test_py_and_video_file(tmp_path,
                                                  config):
    """VSS (Video K-Net with kernel fusion across frames; the frame
    baseline): the VSPW frame folder gives tools/test.py's predictions; the
    mp4 gives those of its decoded frames (VSPW stores JPEGs, so the mp4's
    frames are not the dataset's)."""
    video = _toy(frames=3)
    root = write_vspw(str(tmp_path / 'vspw'), {'val': [video]})
    ckpt = random_checkpoint(config, str(tmp_path / 'vss.pth'))
    samples = run_test_py(config, ckpt, root,
                          str(tmp_path / 'work'))

    inferencer = _inferencer(config, ckpt)
    folder = osp.join(root, 'data', video.name, 'origin')
    from_folder = inferencer(folder)['predictions']
    _assert_same(from_folder, samples, ('sem_seg', ))
    assert from_folder[0]['sem_seg'].shape == (32, 48)

    mp4 = write_toy_video_file(str(tmp_path), _bgr(video))
    _assert_same_dicts(
        inferencer(mp4)['predictions'],
        inferencer(read_video(mp4))['predictions'])


def test_vis_clip_level_folder_equals_test_py(tmp_path):
    """VIS (clip-level Video K-Net): the whole video is one clip; the
    YouTube-VIS frame folder gives tools/test.py's tracks, the mp4 those of
    its decoded frames, one set of track ids for every frame."""
    video = _toy(frames=3)
    root = write_youtube_vis(str(tmp_path / 'ytvis'), {'val': [video]})
    ckpt = random_checkpoint(VIS, str(tmp_path / 'vis.pth'))
    samples = run_test_py(VIS, ckpt, root,
                          str(tmp_path / 'work'))

    inferencer = _inferencer(VIS, ckpt)
    assert inferencer.clip_level
    folder = osp.join(root, 'valid', 'JPEGImages', video.name)
    from_folder = inferencer(folder)['predictions']
    _assert_same(from_folder, samples, INSTANCE_KEYS)
    ids = from_folder[0]['instance_ids']
    assert len(ids) and all(
        np.array_equal(p['instance_ids'], ids) for p in from_folder)

    mp4 = write_toy_video_file(str(tmp_path), _bgr(video))
    _assert_same_dicts(
        inferencer(mp4)['predictions'],
        inferencer(read_video(mp4))['predictions'])


def test_outputs_visualisation_streaming_and_errors(tmp_path):
    """Drawings returned and written (an mp4 for a video, one JPEG per
    frame for a list), sample output, lazy frame reading, input errors."""
    ckpt = random_checkpoint(VPS, str(tmp_path / 'vps.pth'))
    inferencer = _inferencer(VPS, ckpt)
    frames = _bgr(_toy(frames=3))
    mp4 = write_toy_video_file(str(tmp_path), frames, 'clip')
    out = inferencer(mp4, return_vis=True, out_dir=str(tmp_path / 'out'))
    assert len(out['visualization']) == 3
    assert out['visualization'][0].shape == (32, 48, 3)
    written = read_video(str(tmp_path / 'out' / 'clip.mp4'))
    assert len(written) == 3 and written[0].shape == (32, 48, 3)

    out = inferencer(frames, out_dir=str(tmp_path / 'out'),
                     return_datasamples=True)
    assert out['visualization'] is None
    assert 'pred_panoptic_seg' in out['predictions'][0]
    jpgs = sorted(os.listdir(tmp_path / 'out' / 'frames'))
    assert jpgs == ['000000.jpg', '000001.jpg', '000002.jpg']
    assert mmcv.imread(str(tmp_path / 'out' / 'frames' / jpgs[0])).shape \
        == (32, 48, 3)

    streamed = list(inferencer.stream(mp4, max_frames=2))
    assert [r['frame_id'] for r in streamed] == [0, 1]
    # online models stream: one frame read per result
    paths = []
    for t, frame in enumerate(frames):
        paths.append(str(tmp_path / f'{t}.png'))
        mmcv.imwrite(frame, paths[-1])
    reads = []
    real_imread = mmcv.imread
    with mock.patch('mmcv.imread',
                    lambda *a, **k: reads.append(a) or real_imread(*a, **k)):
        results = inferencer.stream(paths)
        next(results)
        assert len(reads) == 1
        next(results)
        assert len(reads) == 2
        results.close()
    with pytest.raises(FileNotFoundError, match='none.mp4 does not exist'):
        inferencer(str(tmp_path / 'none.mp4'))
    (tmp_path / 'empty').mkdir()
    with pytest.raises(ValueError, match='holds no image'):
        inferencer(str(tmp_path / 'empty'))
    with pytest.raises(TypeError, match='pass a list of frames'):
        FrameSource(frames[0])
    with pytest.raises(ValueError, match='unknown argument'):
        inferencer(frames, no_such_option=1)


def test_random_weights_warn_and_interpolation_config_refused():
    with pytest.warns(UserWarning, match='randomly initialised'):
        VideoSegInferencer(VSS, device='cpu')
    dvf = repo_path('configs', 'deep_voxel_flow',
                    'dvf_unet-tiny-ms2_1xb8-1k_toy-triplets.py')
    with pytest.raises(ValueError, match='FrameInterpolationInferencer'):
        VideoSegInferencer(dvf, device='cpu')


def test_model_name_from_model_index():
    """A model name of model-index.yml builds its config's model; an
    unknown name says where it looked."""
    name = osp.splitext(osp.basename(VSS))[0]
    by_name = VideoSegInferencer(name.upper(), device='cpu',
                                 show_progress=False)
    by_path = VideoSegInferencer(VSS, device='cpu', show_progress=False)
    assert by_name.cfg.filename.endswith(osp.basename(VSS))
    assert by_name.cfg.model == by_path.cfg.model
    assert type(by_name.model) is type(by_path.model)
    with pytest.raises(ValueError, match='model-index.yml'):
        VideoSegInferencer('no-such-model_r0_1xb1-1k_nowhere', device='cpu')
