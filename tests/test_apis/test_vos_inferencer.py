# Copyright (c) OpenMMLab. All rights reserved.
"""VOSInferencer on a toy DAVIS video: the frame folder with the first
mask and the dataset's flow gives the masks of ``tools/test.py`` (VS-ReID,
random weights), the video file (mp4 written with OpenCV) those of its
decoded frames; DAVIS submission PNGs, drawings and input errors."""
import os
import os.path as osp

import numpy as np
import pytest
import torch
from PIL import Image

from mmvidseg.apis import VOSInferencer, frame_prediction, read_first_mask
from mmvidseg.registry import MODELS
from mmvidseg.testing import generate_toy_video
from mmvidseg.testing.inference import (random_checkpoint, read_video,
                                        repo_path, run_test_py,
                                        write_toy_video_file)
from mmvidseg.testing.toy_formats import write_davis

VSREID = repo_path('configs', 'vs_reid',
                   'vs-reid_r18-w16_1xb2-1k_toy-davis.py')
T, H, W = 4, 32, 48


@MODELS.register_module(force=True)
class InferencerFlowStub(torch.nn.Module):
    """Stands in for RAFT's network (torchvision is not installed in the
    tests): a constant flow of one pixel to the right."""

    def forward(self, img1, img2, num_flow_updates=12):
        flow = img1.new_zeros(img1.shape[0], 2, *img1.shape[-2:])
        flow[:, 0] = 1
        return [flow]


@pytest.fixture(scope='module')
def davis(tmp_path_factory):
    """A toy DAVIS video and a random VS-ReID checkpoint (seeded: it
    keeps objects beyond the first frame)."""
    tmp = tmp_path_factory.mktemp('vos')
    video = generate_toy_video(5, num_frames=T, height=H, width=W)
    root = write_davis(str(tmp / 'davis'), {'val': [video]})
    ckpt = random_checkpoint(VSREID, str(tmp / 'vos.pth'), seed=1)
    return dict(
        tmp=tmp,
        root=root,
        video=video,
        ckpt=ckpt,
        frames=osp.join(root, 'JPEGImages', '480p', video.name),
        mask=osp.join(root, 'Annotations', '480p', video.name, '00000.png'),
        flows=osp.join(root, 'Flow', '480p', video.name))


@pytest.fixture(scope='module')
def inferencer(davis):
    return VOSInferencer(
        VSREID, davis['ckpt'], device='cpu', show_progress=False)


def _maps(result):
    return [p['sem_seg'] for p in result['predictions']]


@pytest.mark.slow
def test_folder_equals_test_py_and_video_file(davis, inferencer):
    tmp = davis['tmp']
    samples = run_test_py(VSREID, davis['ckpt'], davis['root'],
                          str(tmp / 'work'))
    from_folder = _maps(
        inferencer(davis['frames'], davis['mask'], flows=davis['flows']))
    reference = [frame_prediction(s)['sem_seg'] for s in samples]
    assert len(from_folder) == len(reference) == T
    for t, (a, b) in enumerate(zip(from_folder, reference)):
        np.testing.assert_array_equal(a, b, err_msg=f'frame {t}')
    first = np.array(Image.open(davis['mask']))
    np.testing.assert_array_equal(from_folder[0], first)
    # not vacuous: the objects are still there after the first frame
    assert (from_folder[-1] > 0).any()

    frames = [
        np.ascontiguousarray(f[..., ::-1]) for f in davis['video'].images
    ]
    mp4 = write_toy_video_file(str(tmp), frames, 'clip')
    out = inferencer(
        mp4,
        davis['mask'],
        flows=davis['flows'],
        out_dir=str(tmp / 'out'),
        return_vis=True,
        submission_dir=str(tmp / 'sub'))
    decoded = inferencer(read_video(mp4), first, flows=davis['flows'])
    for a, b in zip(_maps(out), _maps(decoded)):
        np.testing.assert_array_equal(a, b)
    # the drawn video, the DAVIS submission PNGs
    assert len(read_video(str(tmp / 'out' / osp.basename(mp4)))) == T
    assert out['visualization'][0].shape == (H, W, 3)
    assert sorted(os.listdir(tmp / 'sub' /
                             'clip')) == [f'{t:05d}.png' for t in range(T)]
    png = Image.open(tmp / 'sub' / 'clip' / '00002.png')
    assert png.mode == 'P'
    np.testing.assert_array_equal(np.array(png), _maps(out)[2])


def test_flow_sources_and_outputs(davis, inferencer):
    tmp = davis['tmp']
    # OpenCV's flow when a video has none
    out = inferencer(
        davis['frames'],
        davis['mask'],
        flows='farneback',
        out_dir=str(tmp / 'fb'),
        return_datasamples=True,
        max_frames=3)
    assert len(out['predictions']) == 3
    assert 'pred_sem_seg' in out['predictions'][0]
    assert len(os.listdir(tmp / 'fb' / osp.basename(davis['frames']))) == 3
    # flows as arrays; a flow estimator configured instead of the files
    arrays = [np.zeros((H, W, 2), np.float32)] * (T - 1)
    assert len(
        _maps(inferencer(davis['frames'], davis['mask'], flows=arrays))) == T
    estimating = VOSInferencer(
        VSREID,
        davis['ckpt'],
        device='cpu',
        show_progress=False,
        flow_source=dict(
            type='RAFTFlowEstimator', network=dict(type='InferencerFlowStub')))
    maps = _maps(estimating(davis['frames'], davis['mask']))
    assert len(maps) == T and maps[0].shape == (H, W)
    with pytest.raises(ValueError, match='only for PrecomputedFlow'):
        estimating(davis['frames'], davis['mask'], flows='farneback')


def test_input_errors(davis, inferencer):
    tmp = davis['tmp']
    with pytest.raises(ValueError, match='pass flows='):
        inferencer(davis['frames'], davis['mask'])
    with pytest.raises(ValueError, match=r'need 3 forward flows, got 1'):
        inferencer(
            davis['frames'],
            davis['mask'],
            flows=[np.zeros((H, W, 2), np.float32)])
    with pytest.raises(ValueError, match='flow 0 has shape'):
        inferencer(
            davis['frames'],
            davis['mask'],
            flows=[np.zeros((8, 8, 2), np.float32)] * 3)
    with pytest.raises(FileNotFoundError, match='does not exist'):
        inferencer(davis['frames'], str(tmp / 'none.png'), flows='farneback')
    Image.new('RGB', (W, H)).save(tmp / 'rgb.png')
    with pytest.raises(ValueError, match='is a RGB image'):
        read_first_mask(str(tmp / 'rgb.png'), (H, W))
    with pytest.raises(ValueError, match='frames are 48x32'):
        read_first_mask(np.ones((8, 8), np.uint8), (H, W))
    with pytest.raises(ValueError, match='has no object'):
        read_first_mask(np.zeros((H, W), np.uint8), (H, W))
    with pytest.raises(ValueError, match='integer map'):
        read_first_mask(np.ones((H, W), np.float32), (H, W))
    with pytest.raises(ValueError, match='not a video object segmentation'):
        VOSInferencer(
            repo_path('configs', 'transvod',
                      'transvod_r18-w16_1xb1-1k_toy-imagenet-vid.py'),
            device='cpu')
