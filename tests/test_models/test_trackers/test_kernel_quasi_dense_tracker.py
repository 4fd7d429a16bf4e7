# Copyright (c) OpenMMLab. All rights reserved.
"""KernelQuasiDenseTracker: ids kept over frames, new and dropped tracks."""
import torch
from mmengine.registry import init_default_scope

from mmvidseg.models import KernelQuasiDenseTracker, mask_iou
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


def test_mask_iou():
    masks = torch.zeros(2, 4, 4, dtype=torch.bool)
    masks[0, :2] = True
    masks[1, 1:3] = True
    iou = mask_iou(masks)
    assert torch.allclose(iou, torch.tensor([[1., 1 / 3], [1 / 3, 1.]]))


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
