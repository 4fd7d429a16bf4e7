# Copyright (c) OpenMMLab. All rights reserved.
"""panoptic_merge / semantic_argmax: K-Net's post-processing rules."""
import torch

from mmvidseg.models import panoptic_merge, semantic_argmax


def test_panoptic_merge_rules():
    h = w = 8
    masks = torch.zeros(4, h, w)
    masks[0, :4, :4] = 0.9  # thing proposal 0
    masks[1, :4, :5] = 0.8  # thing proposal 1, overlaps proposal 0
    masks[2] = 0.7  # stuff kernel 0 everywhere
    masks[3, 7:] = 0.9  # stuff kernel 1 on the bottom row
    cls = torch.zeros(4, 3)
    cls[0, 0] = 0.9  # confident thing of class 0
    cls[2, 1] = 0.6  # stuff 0 (internal label 1)
    cls[3, 2] = 0.95  # stuff 1 (internal label 2)
    segs = panoptic_merge(cls, masks, num_proposals=2, num_thing_classes=1,
                          max_per_img=2, overlap_thr=0.6)
    by_kernel = {s['kernel']: s for s in segs}
    assert set(by_kernel) == {0, 2, 3}
    assert by_kernel[0]['is_thing'] and by_kernel[0]['label'] == 0
    assert by_kernel[0]['mask'].sum() == 16
    assert by_kernel[3]['mask'][7:].all()
    # stuff 0 keeps 40 of its 64 pixels (>= 0.6); with a second bottom row
    # for stuff 1 it would keep only 32 and be dropped
    assert by_kernel[2]['mask'].sum() == 40
    masks[3, 6:] = 0.9
    segs = panoptic_merge(cls, masks, 2, 1, max_per_img=2, overlap_thr=0.6)
    assert {s['kernel'] for s in segs} == {0, 3}
    assert not (by_kernel[2]['mask'] & by_kernel[0]['mask']).any()
    # thing score threshold
    segs = panoptic_merge(cls, masks, 2, 1, max_per_img=2,
                          instance_score_thr=0.95)
    assert all(not s['is_thing'] for s in segs)
    sem = semantic_argmax(cls, masks, 2, 1)
    assert sem.shape == (h, w) and set(sem.unique().tolist()) == {1, 2}
