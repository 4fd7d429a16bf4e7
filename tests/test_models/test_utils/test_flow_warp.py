# Copyright (c) OpenMMLab. All rights reserved.
"""Flow warping and object patches (VS-ReID's mask propagation)."""
import pytest
import torch

from mmvidseg.models.utils.flow_warp import (crop_patches, expand_boxes,
                                             mask_boxes, motion_fields,
                                             paste_patches, splat_forward,
                                             warp_backward)


def _box_mask(h=20, w=30, y=(5, 10), x=(8, 14)):
    m = torch.zeros(1, 1, h, w)
    m[0, 0, y[0]:y[1], x[0]:x[1]] = 1
    return m


def _flow(dx, dy, h=20, w=30):
    f = torch.zeros(1, 2, h, w)
    f[:, 0], f[:, 1] = dx, dy
    return f


def test_splat_forward_translates_exactly():
    moved = splat_forward(_box_mask(), _flow(3, -2))
    assert torch.equal(moved, _box_mask(y=(3, 8), x=(11, 17)))


def test_splat_forward_subpixel_keeps_mass_and_leaves_holes_zero():
    moved = splat_forward(_box_mask(), _flow(0.5, 0))
    # covered pixels are weighted means of ones: one; the rest zero
    assert moved.max() == 1 and moved.min() == 0
    assert moved[0, 0, 5:10, 9:14].eq(1).all()
    assert moved[0, 0, :5].eq(0).all()


def test_warp_backward_inverts_splat():
    flow = _flow(3, -2)
    back = warp_backward(splat_forward(_box_mask(), flow), flow)
    assert torch.allclose(back, _box_mask())


def test_flow_shape_mismatch_raises():
    with pytest.raises(ValueError, match='does not match'):
        splat_forward(_box_mask(), _flow(1, 1, h=10))
    with pytest.raises(ValueError, match='does not match'):
        warp_backward(_box_mask(), _flow(1, 1, w=10))


def test_motion_fields_last_frame_gets_splatted_flow():
    flows = torch.cat([_flow(1, 0), _flow(2, 0)])
    motion = motion_fields(flows)
    assert motion.shape == (3, 2, 20, 30)
    assert torch.equal(motion[:2], flows)
    # a uniform flow splatted by itself stays uniform where covered
    assert motion[2, 0, :, 2:].eq(2).all()
    with pytest.raises(ValueError):
        motion_fields(flows[:0])


def test_mask_boxes_and_expand():
    masks = torch.cat([_box_mask()[:, 0], torch.zeros(1, 20, 30)])
    boxes, valid = mask_boxes(masks)
    assert valid.tolist() == [True, False]
    assert boxes[0].tolist() == [8, 5, 14, 10]
    assert boxes[1].tolist() == [0, 0, 0, 0]
    big = expand_boxes(boxes[:1], 2.0, min_size=1)
    assert big[0].tolist() == [5, 2.5, 17, 12.5]
    small = expand_boxes(boxes[:1], 1.0, min_size=8)
    assert (small[0, 2:] - small[0, :2]).tolist() == [8, 8]


def test_crop_and_paste_round_trip():
    img = torch.arange(20 * 30, dtype=torch.float32).view(1, 1, 20, 30)
    box = torch.tensor([[8., 5., 14., 10.]])
    patch = crop_patches(img, box, (5, 6))  # one patch pixel per pixel
    assert torch.allclose(patch[0, 0], img[0, 0, 5:10, 8:14])
    back = paste_patches(patch, box, (20, 30))
    assert torch.allclose(back[0, 0, 5:10, 8:14], img[0, 0, 5:10, 8:14])
    assert back[0, 0, :4].abs().sum() == 0
    assert crop_patches(img, box, (10, 12)).shape == (1, 1, 10, 12)


def test_splat_mask_mode_is_exact_over_static_background():
    """Only the object moves: in mean mode the static background it covers
    dilutes the leading edge; the clamped-sum (mask) mode is exact."""
    mask = _box_mask()
    flow = _flow(3, 0) * mask
    target = _box_mask(x=(11, 17))
    assert torch.equal(splat_forward(mask, flow, normalize=False), target)
    mean = splat_forward(mask, flow)
    assert mean[0, 0, 5, 14:17].tolist() == [0.5, 0.5, 0.5]
