# Copyright (c) OpenMMLab. All rights reserved.
"""VideoLocalVisualizer: track colours stable across frames, every map
kind drawn, panels side by side."""
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData, PixelData

from mmvidseg.structures import (LABEL_DIVISOR, VOID_PANOPTIC, DetDataSample,
                                 TrackDataSample)
from mmvidseg.visualization import VideoLocalVisualizer, track_color

H, W = 32, 48
GREY = np.full((H, W, 3), 100, np.uint8)
META = dict(classes=('road', 'sky', 'building', 'car', 'person', 'ball'),
            palette=[(128, 64, 128), (70, 130, 180), (70, 70, 70),
                     (0, 0, 142), (220, 20, 60), (250, 170, 30)])
_COUNT = [0]


def _visualizer(**kwargs):
    _COUNT[0] += 1
    vis = VideoLocalVisualizer(name=f'test-vis-{_COUNT[0]}', **kwargs)
    vis.dataset_meta = META
    return vis


def _blended(rgb, alpha=0.5):
    return np.rint(0.5 * 100 + alpha * np.array(rgb)).astype(np.uint8)


def _panoptic(boxes):
    """Road everywhere, things ``{panoptic id: (y0, y1, x0, x1)}``."""
    pan = np.zeros((H, W), np.int64)  # road: class 0, track 0
    for pid, (y0, y1, x0, x1) in boxes.items():
        pan[y0:y1, x0:x1] = pid
    return torch.from_numpy(pan)[None]


def _frame(pan=None, sem=None, inst=None, prefix='pred'):
    sample = DetDataSample(metainfo=dict(img_shape=(H, W), ori_shape=(H, W)))
    if pan is not None:
        sample.set_field(PixelData(sem_seg=pan), f'{prefix}_panoptic_seg')
    if sem is not None:
        sample.set_field(PixelData(data=sem), f'{prefix}_sem_seg')
    if inst is not None:
        name = 'gt_instances' if prefix == 'gt' else 'pred_track_instances'
        sample.set_field(inst, name)
    return sample


def test_track_colour_is_a_pure_function_of_the_id():
    assert track_color(7) == track_color(7)
    colours = {track_color(i) for i in range(1, 11)}
    assert len(colours) >= 8  # consecutive ids get different colours
    assert all(0 <= c <= 255 for rgb in colours for c in rgb)


def test_panoptic_track_keeps_its_colour_across_frames():
    """Track 7 (a car) moves and another track appears: both frames paint
    track 7's pixels the same colour, track_color(7) blended."""
    vis = _visualizer(draw_text=False)
    car7, person9 = 3 * LABEL_DIVISOR + 7, 4 * LABEL_DIVISOR + 9
    first = vis.draw_frame(GREY, _frame(_panoptic({car7: (4, 14, 4, 16)})))
    second = vis.draw_frame(
        GREY, _frame(_panoptic({car7: (12, 22, 20, 32),
                                person9: (2, 10, 34, 40)})))
    inside_1, inside_2 = first[8, 9], second[16, 25]  # away from edges
    np.testing.assert_array_equal(inside_1, inside_2)
    np.testing.assert_array_equal(inside_1, _blended(track_color(7)))
    np.testing.assert_array_equal(second[6, 37], _blended(track_color(9)))
    assert not np.array_equal(second[6, 37], inside_2)
    # stuff: its class colour (road, palette 0)
    np.testing.assert_array_equal(first[30, 2], _blended((128, 64, 128)))


def test_instances_colour_by_id_and_match_the_panoptic_colour():
    vis = _visualizer(draw_text=False)

    def instances(ids, y0):
        masks = torch.zeros((len(ids), H, W), dtype=torch.bool)
        for k in range(len(ids)):
            masks[k, y0:y0 + 8, 8 * k + 2:8 * k + 8] = True
        return InstanceData(masks=masks, labels=torch.tensor([3] * len(ids)),
                            scores=torch.tensor([0.9] * len(ids)),
                            instances_id=torch.tensor(ids))

    first = vis.draw_frame(GREY, _frame(inst=instances([7, 2], 2)))
    second = vis.draw_frame(GREY, _frame(inst=instances([5, 7], 20)))
    np.testing.assert_array_equal(first[5, 4], second[23, 12])  # id 7
    np.testing.assert_array_equal(first[5, 4], _blended(track_color(7)))
    np.testing.assert_array_equal(first[30, 30], GREY[0, 0])  # no mask
    # low scores are not drawn
    low = instances([7], 2)
    low.scores = torch.tensor([0.1])
    np.testing.assert_array_equal(
        vis.draw_frame(GREY, _frame(inst=low), pred_score_thr=0.3), GREY)


def test_semantic_void_depth_flow_and_panels(tmp_path):
    vis = _visualizer()
    sem = torch.full((1, H, W), 255, dtype=torch.long)
    sem[0, :10] = 1  # sky
    drawn = vis.draw_frame(GREY, _frame(sem=sem))
    np.testing.assert_array_equal(drawn[2, 2], _blended((70, 130, 180)))
    np.testing.assert_array_equal(drawn[20, 20], GREY[0, 0])  # void

    pan = torch.full((1, H, W), VOID_PANOPTIC, dtype=torch.long)
    pan[0, 8:20, 8:20] = 3 * LABEL_DIVISOR + 4
    boxes = InstanceData(
        bboxes=torch.tensor([[8., 8., 20., 20.]]), labels=torch.tensor([3]),
        instances_ids=torch.tensor([3 * LABEL_DIVISOR + 4]),
        masks=(pan[0] != VOID_PANOPTIC)[None])
    sample = _frame(pan=pan, inst=boxes, prefix='gt')
    sample.pred_sem_seg = PixelData(data=sem)
    sample.pred_depth = PixelData(data=torch.linspace(0, 40, H * W).view(
        1, H, W))
    sample.gt_flow = PixelData(data=torch.ones(2, H, W))
    out = str(tmp_path / 'v' / 'f.jpg')
    drawn = vis.add_datasample('f', GREY, TrackDataSample(
        video_data_samples=[sample]), out_file=out)
    # gt panoptic (+ text), gt flow | pred semantic, pred depth
    assert drawn.shape == (H, 4 * W, 3)
    assert (tmp_path / 'v' / 'f.jpg').is_file()
    depth = drawn[:, 3 * W:]
    np.testing.assert_array_equal(depth[0, 0], [0, 0, 0])  # no depth
    assert depth[H - 1, W - 1].sum() < depth[1, 1].sum()  # near: bright
    assert vis.draw_frame(GREY, None).shape == (H, W, 3)
    with pytest.raises(ValueError, match='one by one'):
        vis.draw_frame(GREY, TrackDataSample(
            video_data_samples=[sample, sample]))
