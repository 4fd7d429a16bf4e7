# Copyright (c) OpenMMLab. All rights reserved.
"""KernelQuasiDenseTracker: ids kept over frames, new and dropped tracks."""
import torch
from mmengine.registry import init_default_scope

from mmvidseg.models import KernelQuasiDenseTracker
from mmvidseg.models.video_models.video_knet import thing_boxes
from mmvidseg.registry import MODELS


def test_tracker_defaults_are_the_official_ones():
    init_default_scope('mmvidseg')
    tracker = MODELS.build(dict(type='KernelQuasiDenseTracker'))
    assert (tracker.init_score_thr, tracker.obj_score_thr,
            tracker.match_score_thr) == (0.35, 0.3, 0.5)
    assert (tracker.memo_tracklet_frames, tracker.memo_backdrop_frames,
            tracker.memo_momentum) == (5, 1, 0.8)
    assert tracker.match_metric == 'bisoftmax' and tracker.with_cats
    # the other mmdet arguments pass through
    tracker = KernelQuasiDenseTracker(match_metric='cosine',
                                      match_score_thr=0.7)
    assert tracker.match_metric == 'cosine'
    assert tracker.match_score_thr == 0.7


def test_duplicates_are_removed_by_box_iou():
    """Disjoint masks whose boxes overlap are duplicates (the official rule:
    box IoU against every higher-scored segment, dropped ones included)."""
    tracker = KernelQuasiDenseTracker()
    masks = torch.zeros(3, 16, 16, dtype=torch.bool)
    masks[0, :8, :8] = True
    masks[1, :8, 8:] = True  # disjoint from 0, box IoU 0
    # a ring inside mask 0's box: disjoint pixels, box IoU with 0 > 0.7
    masks[2, 0, :8] = masks[2, 7, :8] = True
    masks[0, 0, :8] = masks[0, 7, :8] = False
    boxes = torch.tensor([[0., 1., 7., 6.], [8., 0., 15., 7.],
                          [0., 0., 7., 7.]])
    assert (masks[0] & masks[2]).sum() == 0
    ids = tracker.track_masks(masks, torch.tensor([0, 0, 0]),
                              torch.tensor([0.9, 0.8, 0.7]),
                              torch.eye(3, 8), 0, boxes=boxes)
    assert ids.tolist() == [0, 1, -1]


def test_thing_boxes_follow_the_official_semantic_filter():
    masks = torch.zeros(2, 10, 12, dtype=torch.bool)
    masks[0, 2:5, 3:9] = True
    masks[1, 6:8, 0:2] = True
    # no +1 on the far corner (the official coords2bbox_all)
    assert thing_boxes(masks).tolist() == [[3., 2., 8., 4.],
                                           [0., 6., 1., 7.]]
    area = torch.zeros(10, 12, dtype=torch.bool)
    area[:, 5:] = True  # mask 1 lies outside: the official dummy box
    assert thing_boxes(masks, area).tolist() == [[5., 2., 8., 4.],
                                                 [-1., -1., 10., 10.]]


def test_tracker_keeps_ids():
    tracker = KernelQuasiDenseTracker()
    h = w = 16
    masks = torch.zeros(2, h, w, dtype=torch.bool)
    masks[0, :4, :4] = True
    masks[1, 8:, 8:] = True
    embeds = torch.eye(2, 8) * 10
    labels = torch.tensor([0, 1])
    ids0 = tracker.track_masks(masks, labels, torch.tensor([0.9, 0.8]),
                               embeds, 0)
    assert sorted(ids0.tolist()) == [0, 1]
    # next frame: the objects swapped order in the list
    ids1 = tracker.track_masks(masks.flip(0), labels.flip(0),
                               torch.tensor([0.8, 0.9]), embeds.flip(0), 1)
    assert ids1.tolist() == ids0.flip(0).tolist()
    # a new object gets a new id; a low-score one is not tracked
    new = torch.zeros(2, h, w, dtype=torch.bool)
    new[0, 4:8, 4:8] = True
    new[1, 10:12, 0:2] = True
    new_embeds = torch.zeros(2, 8)
    new_embeds[0, 5] = 10
    new_embeds[1, 6] = 10
    ids2 = tracker.track_masks(new, torch.tensor([0, 0]),
                               torch.tensor([0.9, 0.1]), new_embeds, 2)
    assert ids2.tolist() == [2, -1]
    tracker.reset()
    assert tracker.empty and tracker.num_tracks == 0
