# Copyright (c) OpenMMLab. All rights reserved.
"""DepthLoss against hand-computed values (correct SI term and the
official release's), and the depth activations."""
import math

import pytest
import torch

from mmvidseg.models.losses import DepthLoss, depth_activation

LN2 = math.log(2.0)


def _inputs():
    """Two valid pixels (pred 2 vs 1, pred 4 vs 4) plus pixels that must be
    left out: no depth (0), beyond max_depth (100), zero weight."""
    pred = torch.tensor([2.0, 4.0, 3.0, 5.0, 7.0])
    target = torch.tensor([1.0, 4.0, 0.0, 100.0, 2.0])
    weight = torch.tensor([1.0, 1.0, 1.0, 1.0, 0.0])
    return pred, target, weight


def test_depth_loss_hand_computed():
    pred, target, weight = _inputs()
    # log differences g = (ln 2, 0), relative errors r = (1, 0), n = 2
    si = LN2**2 / 2 - LN2**2 / 4  # sum(g^2)/n - (sum g)^2/n^2
    sq_rel = math.sqrt(1 / 2)
    abs_rel = 1 / 2
    loss = DepthLoss(loss_weight=2.0)
    assert loss.terms(pred, target, weight).tolist() == pytest.approx(
        [si, sq_rel, abs_rel])
    assert float(loss(pred, target, weight)) == pytest.approx(
        2.0 * (si + sq_rel + abs_rel) / 3)
    summed = DepthLoss(si_weight=3.0, abs_rel_weight=0.5, reduction='sum')
    assert float(summed(pred, target, weight)) == pytest.approx(
        3 * si + sq_rel + 0.5 * abs_rel)


def test_depth_loss_official_si_bug():
    pred, target, weight = _inputs()
    # the release: sum(g^2)/n - (sum g)/n^2, without the square
    si_bug = LN2**2 / 2 - LN2 / 4
    terms = DepthLoss(official_si_bug=True).terms(pred, target, weight)
    assert float(terms[0]) == pytest.approx(si_bug)
    assert float(terms[0]) != pytest.approx(LN2**2 / 4)
    assert terms[1:].tolist() == pytest.approx([math.sqrt(0.5), 0.5])


def test_depth_loss_soft_weights_scale_the_errors():
    pred = torch.tensor([2.0, 4.0])
    target = torch.tensor([1.0, 2.0])
    weight = torch.tensor([0.5, 1.0])
    g = [0.5 * LN2, LN2]
    r = [0.5 * 1.0, 1.0]
    terms = DepthLoss().terms(pred, target, weight)
    assert terms.tolist() == pytest.approx([
        sum(x * x for x in g) / 2 - sum(g)**2 / 4,
        math.sqrt(sum(x * x for x in r) / 2),
        sum(r) / 2
    ])


def test_depth_loss_no_valid_pixel_and_errors():
    pred = torch.tensor([2.0, 3.0], requires_grad=True)
    loss = DepthLoss()(pred, torch.zeros(2))
    assert float(loss.detach()) == 0.0
    loss.backward()  # zero, with a gradient path
    assert pred.grad is not None
    with pytest.raises(ValueError, match='one shape'):
        DepthLoss()(torch.ones(2), torch.ones(3))
    with pytest.raises(ValueError, match='reduction'):
        DepthLoss(reduction='none')
    with pytest.raises(ValueError, match='min_depth < max_depth'):
        DepthLoss(min_depth=5.0, max_depth=1.0)


def test_depth_loss_gradient_is_finite_at_a_perfect_prediction():
    pred = torch.tensor([2.0, 4.0], requires_grad=True)
    DepthLoss()(pred, torch.tensor([2.0, 4.0])).backward()
    assert torch.isfinite(pred.grad).all()


def test_depth_activation():
    x = torch.tensor([0.0, -50.0, 50.0])
    sig = depth_activation(x, 'sigmoid', 0.01, 80.0)
    assert sig.tolist() == pytest.approx([40.005, 0.01, 80.0])
    mono = depth_activation(x, 'monodepth', 0.01, 80.0)
    assert float(mono[0]) == pytest.approx(1 / (1 / 80 + (100 - 1 / 80) / 2))
    assert mono[1:].tolist() == pytest.approx([80.0, 0.01])
    with pytest.raises(ValueError, match='mode'):
        depth_activation(x, 'linear')
    with pytest.raises(ValueError, match='min_depth < max_depth'):
        depth_activation(x, 'sigmoid', 0.0, 80.0)
