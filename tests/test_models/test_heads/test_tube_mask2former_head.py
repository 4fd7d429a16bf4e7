# Copyright (c) OpenMMLab. All rights reserved.
"""Tube targets (things by track, stuff by class) and the tube head's
assignment on stacked tube masks."""
import torch
from mmengine.structures import InstanceData

from mmvidseg.models.heads import tube_targets


def _frame(labels, ids, masks):
    return InstanceData(
        labels=torch.tensor(labels),
        instances_ids=torch.tensor(ids),
        masks=torch.stack(masks).float())


def test_tube_targets_group_things_by_track_and_stuff_by_class():
    a, b, c = (torch.zeros(4, 4) for _ in range(3))
    a[0], b[1], c[2:] = 1, 1, 1
    # nt = 2: labels 0, 1 things; 2, 3 stuff (ids -1)
    f0 = _frame([0, 1, 3], [7, 9, -1], [a, b, c])
    f1 = _frame([1, 2, 3], [9, -1, -1], [a, b, c])
    tube = tube_targets([f0, f1], num_thing_classes=2)
    assert tube.labels.tolist() == [0, 1, 2, 3]
    assert tube.instances_ids.tolist() == [7, 9, -1, -1]
    assert tube.masks.shape == (4, 2, 4, 4)
    assert torch.equal(tube.masks[0, 0], a) and tube.masks[0, 1].sum() == 0
    assert torch.equal(tube.masks[1, 0], b) and torch.equal(
        tube.masks[1, 1], a)
    assert tube.masks[2, 0].sum() == 0 and torch.equal(tube.masks[2, 1], b)
    assert torch.equal(tube.masks[3, 0], c) and torch.equal(
        tube.masks[3, 1], c)


def test_tube_targets_without_stuff_or_things():
    empty = _frame([], [], [torch.zeros(4, 4)])[:0]
    tube = tube_targets([empty, empty], num_thing_classes=1)
    assert tube.masks.shape == (0, 2, 4, 4) and len(tube.labels) == 0


def test_head_assigns_stacked_tube_masks():
    """A query whose tube mask equals a target tube's is assigned to it."""
    from tests.test_models.test_video_models.test_tube_link import build
    head = build().panoptic_head
    masks = torch.full((1, 8, 2, 8, 8), -20.)
    gt = torch.zeros(2, 2, 8, 8)
    gt[0, :, :4], gt[1, 1, 4:] = 1, 1
    masks[0, 5][gt[0].bool()] = 20.
    masks[0, 2][gt[1].bool()] = 20.
    cls = torch.zeros(1, 8, 7)
    tube = InstanceData(labels=torch.tensor([4, 0]), masks=gt,
                        instances_ids=torch.tensor([-1, 3]))
    match = head.assign(cls, masks, [tube])[0]
    pairs = dict(zip(match.pos_inds.tolist(),
                     match.pos_assigned_gt_inds.tolist()))
    assert pairs == {5: 0, 2: 1}
    good = head.loss_tubes([cls], [masks], [tube])
    bad = head.loss_tubes([cls], [-masks], [tube])
    assert good['loss_dice'] < bad['loss_dice']
    assert good['loss_mask'] < bad['loss_mask']
