# Copyright (c) OpenMMLab. All rights reserved.
"""frame_targets / clip_targets: InstanceData targets of frames and tubes."""
import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData, PixelData

from mmvidseg.models.heads.kernel_targets import (clip_targets, frame_targets,
                                                  resize_to)


def _frame_sample(semantic, instance, labels):
    h, w = semantic.shape
    s = DetDataSample(metainfo=dict(img_shape=(h, w)))
    ids = sorted(labels)
    s.gt_instances = InstanceData(
        masks=np.stack([instance == i for i in ids]).astype(np.uint8),
        labels=torch.tensor([labels[i] for i in ids]),
        instances_ids=torch.tensor(ids))
    s.gt_sem_seg = PixelData(data=torch.from_numpy(semantic)[None].long())
    return s


def _label_map(things=(3, 4), stuff=(0, 1, 2)):
    lm = torch.full((256, ), 255, dtype=torch.long)
    for k, c in enumerate(list(things) + list(stuff)):
        lm[c] = k
    return lm


def _sample():
    semantic = np.zeros((8, 8), np.int64)
    semantic[:4] = 1  # class 1 (stuff) on top, class 0 below
    semantic[0, 0] = 255  # void
    instance = np.zeros((8, 8), np.int64)
    instance[4:8, 0:4] = 7
    semantic[4:8, 0:4] = 4  # thing class 4, track 7
    return _frame_sample(semantic, instance, {7: 4})


def test_frame_targets():
    gt, sem = frame_targets(_sample(), _label_map(), 2, 3, (8, 8), (4, 4),
                            torch.device('cpu'))
    assert isinstance(gt, InstanceData) and isinstance(sem, PixelData)
    # things first (class 4 -> thing label 1), then the stuff present:
    # class 0 (internal 2) and class 1 (internal 3)
    assert gt.labels.tolist() == [1, 2, 3]
    assert gt.instances_ids.tolist() == [7, -1, -1]
    assert gt.masks.shape == (3, 4, 4)
    assert gt.masks[0, 2:, :2].eq(1).all()
    assert gt.masks[0].sum() == 4
    # area downsampling: the void pixel lowers the coverage of one cell
    assert gt.masks[2, 0, 0] == pytest.approx(0.75)
    seg_map = sem.sem_seg
    assert seg_map.shape == (1, 4, 4)
    assert seg_map[0, 0, 0] == 255 and seg_map[0, 3, 0] == 1
    assert seg_map[0, 0, 3] == 3  # class 1 -> internal 2 + 1
    # padding: targets of a larger padded input
    _, sem_pad = frame_targets(_sample(), _label_map(), 2, 3, (16, 8),
                               (8, 4), torch.device('cpu'))
    assert (sem_pad.sem_seg[0, 4:] == 255).all()


def test_frame_targets_without_semantic_map():
    """VIS: no stuff; the semantic map holds the things' labels."""
    sample = _sample()
    del sample.gt_sem_seg
    gt, sem = frame_targets(sample, _label_map(), 2, 3, (8, 8), (4, 4),
                            torch.device('cpu'))
    assert gt.labels.tolist() == [1] and gt.instances_ids.tolist() == [7]
    assert (sem.sem_seg[0, 2:, :2] == 1).all()
    assert (sem.sem_seg[0, :2] == 255).all()
    # no things and no semantic map: empty targets of the right shape
    sample.gt_instances = sample.gt_instances[:0]
    gt, sem = frame_targets(sample, _label_map(), 2, 3, (8, 8), (4, 4),
                            torch.device('cpu'))
    assert gt.masks.shape == (0, 4, 4) and len(gt.labels) == 0
    assert (sem.sem_seg == 255).all()


def test_clip_targets():
    """Tubes by track id, zero where the track is absent; stuff left out."""
    gt, _ = frame_targets(_sample(), _label_map(), 2, 3, (8, 8), (4, 4),
                          torch.device('cpu'))
    other = gt.clone()
    other.instances_ids = torch.tensor([9, -1, -1])  # another track
    tube = clip_targets([gt, other], num_thing_classes=2)
    assert isinstance(tube, InstanceData)
    assert tube.instances_ids.tolist() == [7, 9]
    assert tube.labels.tolist() == [1, 1]
    assert tube.masks.shape == (2, 2, 4, 4)
    assert torch.equal(tube.masks[0, 0], gt.masks[0])
    assert tube.masks[0, 1].sum() == 0
    assert tube.masks[1, 0].sum() == 0


def test_resize_to():
    x = torch.randn(2, 3, 4, 4)
    assert resize_to(x, (4, 4)) is x
    assert resize_to(x, (8, 6)).shape == (2, 3, 8, 6)
    assert resize_to(torch.randn(2, 3, 5, 4, 4), (8, 8)).shape == \
        (2, 3, 5, 8, 8)


def test_resize_to_accepts_no_kernels():
    """A semantic-only K-Net (VSS) has no thing proposals: its (B, 0, h, w)
    mask logits resize to (B, 0, H, W) instead of failing inside
    ``F.interpolate`` (the R50 VSPW config trains at stride 8 against
    stride-4 targets)."""
    import torch

    from mmvidseg.models.heads.kernel_targets import resize_to
    out = resize_to(torch.zeros(2, 0, 8, 8), (16, 16))
    assert out.shape == (2, 0, 16, 16)
