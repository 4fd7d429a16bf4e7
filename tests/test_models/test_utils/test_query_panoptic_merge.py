# Copyright (c) OpenMMLab. All rights reserved.
import torch

from mmvidseg.models.utils import query_panoptic_merge


def test_merge_tube_masks_things_and_stuff():
    # 4 queries, classes: 0 thing (nt=1), 1 and 2 stuff, 3 = no object
    cls = torch.full((4, 4), -10.)
    cls[0, 0] = cls[1, 1] = cls[2, 1] = 10.  # thing, stuff 1 twice
    cls[3, 3] = 10.  # no object
    masks = torch.zeros(4, 2, 4, 4)
    masks[0, :, :2, :2] = 1
    masks[1, 0, 2:] = 1
    masks[2, 1, 2:] = 1
    masks[3] = 1
    segs = query_panoptic_merge(cls, masks, num_thing_classes=1,
                                object_mask_thr=0.8, iou_thr=0.8)
    assert [(s['label'], s['is_thing']) for s in segs] == [(0, True),
                                                           (1, False)]
    assert segs[0]['query'] == 0 and segs[0]['mask'].shape == (2, 4, 4)
    assert int(segs[0]['mask'].sum()) == 8
    # the two stuff queries of class 1 form one segment over both frames
    assert int(segs[1]['mask'].sum()) == 16
    assert query_panoptic_merge(cls, masks, 1, object_mask_thr=1.0) == []
