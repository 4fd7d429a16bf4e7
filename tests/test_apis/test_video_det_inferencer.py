# Copyright (c) OpenMMLab. All rights reserved.
"""VideoDetInferencer on a toy ImageNet VID video: the frame folder gives
the boxes of ``tools/test.py`` (TransVOD, online, random weights), the
video file (mp4 written with OpenCV) those of its decoded frames."""
import os
import os.path as osp

import numpy as np
import pytest

from mmvidseg.apis import VideoDetInferencer, detection_lines
from mmvidseg.testing import generate_toy_video
from mmvidseg.testing.inference import (random_checkpoint, read_video,
                                        repo_path, run_test_py,
                                        write_toy_video_file)
from mmvidseg.testing.toy_formats import write_imagenet_vid

TRANSVOD = repo_path('configs', 'transvod',
                     'transvod_r18-w16_1xb1-1k_toy-imagenet-vid.py')
SINGLE = repo_path('configs', 'transvod',
                   'transvod-single_r18-w16_1xb4-2k_toy-imagenet-vid.py')
BOX_KEYS = ('bboxes', 'labels', 'scores')


def _frames(video):
    return [np.ascontiguousarray(img[..., ::-1]) for img in video.images]


def _assert_same_boxes(predictions, references):
    assert len(predictions) == len(references)
    for t, (pred, ref) in enumerate(zip(predictions, references)):
        np.testing.assert_array_equal(
            pred['labels'], ref['labels'], err_msg=f'frame {t}')
        for key in ('bboxes', 'scores'):
            np.testing.assert_allclose(
                pred[key],
                ref[key],
                rtol=1e-5,
                atol=1e-4,
                err_msg=f'frame {t} {key}')


@pytest.mark.slow
@pytest.mark.parametrize(
    'config', [TRANSVOD, SINGLE], ids=['transvod', 'single-frame'])
def test_folder_equals_test_py_and_video_file(tmp_path, config):
    from mmvidseg.apis import frame_prediction
    video = generate_toy_video(1000, num_frames=6, height=32, width=48)
    root = write_imagenet_vid(str(tmp_path / 'vid'), {'val': [video]})
    ckpt = random_checkpoint(config, str(tmp_path / 'vod.pth'))
    samples = run_test_py(config, ckpt, root, str(tmp_path / 'work'))

    inferencer = VideoDetInferencer(
        config, ckpt, device='cpu', show_progress=False)
    folder = osp.join(root, 'Data', 'VID', 'val', video.name)
    from_folder = inferencer(folder)['predictions']
    _assert_same_boxes(from_folder, [frame_prediction(s) for s in samples])
    # boxes in the original frame's pixels, and some of them
    boxes = np.concatenate([p['bboxes'] for p in from_folder])
    assert len(boxes) and boxes[:, 2].max() <= 48 + 1e-3
    assert all(set(BOX_KEYS) == set(p) for p in from_folder)

    mp4 = write_toy_video_file(str(tmp_path), _frames(video))
    decoded = read_video(mp4)
    submission = str(tmp_path / 'out' / 'det.txt')
    from_video = inferencer(
        mp4, submission_file=submission,
        out_dir=str(tmp_path / 'out'))['predictions']
    _assert_same_boxes(from_video, inferencer(decoded)['predictions'])
    # a second call restarts TransVOD's memory: the same boxes again
    _assert_same_boxes(inferencer(mp4)['predictions'], from_video)
    # the drawn video and the submission file
    drawn = read_video(str(tmp_path / 'out' / (osp.basename(mp4))))
    assert len(drawn) == 6 and drawn[0].shape == (32, 48, 3)
    with open(submission) as f:
        lines = f.read().splitlines()
    assert len(lines) == sum(len(p['scores']) for p in from_video)
    first = lines[0].split()
    assert len(first) == 7 and first[0] == '1'
    assert int(first[1]) == int(from_video[0]['labels'][0]) + 1
    assert float(first[2]) == pytest.approx(
        from_video[0]['scores'][0], abs=1e-5)


def test_detection_lines_frames_and_errors(tmp_path):
    pred = dict(
        bboxes=np.array([[1, 2, 3, 4], [5, 6, 7, 8]], np.float32),
        labels=np.array([0, 29]),
        scores=np.array([0.9, 0.1], np.float32))
    assert detection_lines(3, pred) == ('3 1 0.900000 1.00 2.00 3.00 4.00\n'
                                        '3 30 0.100000 5.00 6.00 7.00 8.00\n')
    assert detection_lines(3, pred, score_thr=0.5).count('\n') == 1
    with pytest.raises(ValueError, match='no bboxes'):
        detection_lines(1, dict(labels=pred['labels'], scores=pred['scores']))

    ckpt = random_checkpoint(TRANSVOD, str(tmp_path / 'vod.pth'))
    inferencer = VideoDetInferencer(
        TRANSVOD, ckpt, device='cpu', show_progress=False)
    frames = _frames(generate_toy_video(3, num_frames=3, height=32, width=48))
    out = inferencer(
        frames,
        return_vis=True,
        out_dir=str(tmp_path / 'o'),
        return_datasamples=True,
        submission_file=str(tmp_path / 'o' / 'det.txt'))
    assert 'pred_instances' in out['predictions'][0]
    assert out['visualization'][0].shape == (32, 48, 3)
    assert sorted(os.listdir(tmp_path / 'o' / 'frames')) == [
        '000000.jpg', '000001.jpg', '000002.jpg'
    ]
    with open(tmp_path / 'o' / 'det.txt') as f:
        assert {line.split()[0] for line in f} <= {'1', '2', '3'}
    streamed = list(inferencer.stream(frames, max_frames=2))
    assert [r['frame_id'] for r in streamed] == [0, 1]
    with pytest.raises(ValueError, match='not a video object detector'):
        VideoDetInferencer(
            repo_path('configs', 'video_knet',
                      'video-knet_r18-w16_1xb2-2k_toy-vspw.py'),
            device='cpu')
