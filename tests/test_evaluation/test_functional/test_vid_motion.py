# Copyright (c) OpenMMLab. All rights reserved.
"""Motion-specific VID mAP50 (slow / medium / fast), computed by hand.

One class, a 4-frame video, with the devkit's integer boxes (a box
``[0, 0, 9, 9]`` is 11 pixels wide after its double +1):

* object 1 stands still in frames 0-2: motion IoU 1 (slow);
* object 2 jumps 20 pixels a frame: IoU 0 with its other boxes (fast);
* object 3 moves 1 pixel a frame: IoU 110/132 = 5/6 one frame apart and
  99/143 = 9/13 two frames apart, so 119/156 in frames 0 and 2 and 5/6 in
  frame 1 (medium);
* frame 3 has no ground truth.

Detections: frame 0 hits objects 1, 2, 3 exactly (scores 0.9, 0.8, 0.7)
plus a false positive (0.6) away from everything; frame 1 hits object 2
(0.5); frame 3 has a false positive (0.55).

In each range the other objects' boxes are ignored: a detection matched to
an ignored box is ignored, the 0.6 false positive overlaps nothing, kept
and ignored boxes alike, so it counts 2/3 (the ignored share of its
frame's boxes), and the 0.55 one, in a frame without ground truth, counts
the range's share of all boxes, 3/9.

* slow: TP 0.9 (recall 1/3 at precision 1), nothing else is a TP: 1/3;
* medium: TP 0.7 after two ignored detections: 1/3;
* fast: TP 0.8 (precision 1, recall 1/3), then FPs 2/3 + 1/3, then TP 0.5
  (precision 2 / 3, recall 2/3): 1/3 + 1/3 * 2/3 = 5/9.
"""
import numpy as np
import pytest
import torch

from mmvidseg.evaluation.functional.vid import (vid_motion_iou,
                                                vid_motion_video,
                                                vid_summarize_motion)
from mmvidseg.evaluation.metrics import ImageNetVIDMetric


def _box(x):
    return [x, 0, x + 9, 9]


GT = {  # frame: [(object, box)]
    0: [(1, _box(0)), (2, _box(20)), (3, _box(100))],
    1: [(1, _box(0)), (2, _box(40)), (3, _box(101))],
    2: [(1, _box(0)), (2, _box(60)), (3, _box(102))],
    3: [],
}
FAR = [150, 80, 159, 89]
DETS = {
    0: [(_box(0), 0.9), (_box(20), 0.8), (_box(100), 0.7), (FAR, 0.6)],
    1: [(_box(40), 0.5)],
    2: [],
    3: [(FAR, 0.55)],
}
EXPECTED = {'slow': 1 / 3, 'medium': 1 / 3, 'fast': 5 / 9}


def _frames():
    frames = []
    for t in range(4):
        gb = np.array([b for _, b in GT[t]], np.float32).reshape(-1, 4)
        ids = np.array([i for i, _ in GT[t]], np.int64)
        pb = np.array([b for b, _ in DETS[t]], np.float32).reshape(-1, 4)
        ps = np.array([s for _, s in DETS[t]], np.float32)
        frames.append((pb, np.zeros(len(pb), np.int64), ps, gb,
                       np.zeros(len(gb), np.int64), ids, t))
    return frames


def test_motion_iou_by_hand():
    frames = [t for t in range(3) for _ in range(3)]
    ids = [1, 2, 3] * 3
    boxes = [b for t in range(3) for _, b in GT[t]]
    got = vid_motion_iou(frames, ids, boxes)
    near = 119 / 156
    expected = [1, 0, near, 1, 0, 5 / 6, 1, 0, near]
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    # a window of 1 frame sees only the neighbours
    got = vid_motion_iou(frames, ids, boxes, window=1)
    np.testing.assert_allclose(got[[2, 5, 8]], [5 / 6] * 3, rtol=1e-6)
    # alone in its window: 0, as the devkit reads a missing entry
    assert vid_motion_iou([0, 30], [1, 1], [_box(0), _box(0)]).tolist() == \
        [0, 0]
    with pytest.raises(ValueError, match='instance ids'):
        vid_motion_iou([0], [1, 2], [_box(0)])


def test_motion_map_by_hand():
    stats = {}
    vid_motion_video(stats, _frames())
    for name, value in EXPECTED.items():
        assert vid_summarize_motion(stats[name]) == pytest.approx(value)


def test_vid_metric_reports_motion_map():
    frames = []
    for pb, pl, ps, gb, gl, ids, t in _frames():
        frames.append(
            dict(
                video_id=0, frame_id=t, video_length=4,
                gt_instances=dict(
                    bboxes=torch.from_numpy(gb), labels=torch.from_numpy(gl),
                    instances_ids=torch.from_numpy(ids)),
                pred_instances=dict(
                    bboxes=torch.from_numpy(pb), labels=torch.from_numpy(pl),
                    scores=torch.from_numpy(ps))))
    metric = ImageNetVIDMetric(with_coco=False)
    metric.process({}, frames)
    res = metric.evaluate(4)
    for name, value in EXPECTED.items():
        assert res[f'mAP50_{name}'] == pytest.approx(value)
    # all boxes, none ignored: TPs at ranks 1, 2, 3, 6 of 9 boxes
    assert res['mAP50'] == pytest.approx(3 / 9 + 1 / 9 * 4 / 6)
    metric = ImageNetVIDMetric(with_coco=False, motion_speed=False)
    metric.process({}, frames)
    assert set(metric.evaluate(4)) == {'mAP50'}
    del frames[0]['gt_instances']['instances_ids']
    metric = ImageNetVIDMetric(with_coco=False)
    with pytest.raises(ValueError, match='instances_ids'):
        metric.process({}, frames)
        metric.evaluate(4)
