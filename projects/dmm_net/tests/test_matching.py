# Copyright (c) OpenMMLab. All rights reserved.
"""DMM-Net's differentiable matching layer against the Hungarian one."""
import itertools

import numpy as np
import pytest
import torch
from scipy.optimize import linear_sum_assignment

from projects.dmm_net.dmm_net.matching import (DifferentiableMatching,
                                               dykstra_projection,
                                               pad_dummy_proposals,
                                               relaxed_assignment)


def _second_best_gap(cost: np.ndarray) -> float:
    """Cost difference between the best and second best assignment costs
    (brute force: the sizes here are tiny; exactly equal totals, e.g. two
    identical dummy columns swapped, count once)."""
    n, m = cost.shape
    totals = np.unique([
        cost[np.arange(n), list(p)].sum()
        for p in itertools.permutations(range(m), n)
    ])
    return totals[1] - totals[0]


def _random_costs(seed, size, count=8, min_gap=0.05):
    """``count`` random costs (count, n, m) whose optimum is unique by at
    least ``min_gap`` (near-ties make any solver's answer arbitrary)."""
    rng = np.random.default_rng(seed)
    costs = []
    while len(costs) < count:
        c = rng.random(size)
        if _second_best_gap(c) >= min_gap:
            costs.append(c)
    return torch.from_numpy(np.stack(costs))


@pytest.mark.parametrize('size', [(3, 3), (5, 5), (4, 6), (2, 7)])
def test_assignment_equals_hungarian(size):
    costs = _random_costs(sum(size), size)
    x = relaxed_assignment(costs, num_steps=100, num_proj_iters=20, lr=1.0)
    for c, xi in zip(costs, x):
        rows, cols = linear_sum_assignment(c.numpy())
        assert rows.tolist() == list(range(size[0]))
        assert xi.argmax(1).tolist() == cols.tolist()
        # near the 0/1 vertex, up to the unrolled steps' accuracy
        assert (xi[rows, cols] > 0.5).all()
        assert (c * xi).sum() < c[rows, cols].sum() + 0.25
        assert torch.allclose(xi.sum(1), torch.ones(size[0]).double())


def test_more_templates_than_proposals_use_dummy_columns():
    # 4 objects, 3 proposals, costs are negative similarities: one object
    # must stay unmatched (a dummy proposal of cost 0)
    rng = np.random.default_rng(7)
    costs = []
    while len(costs) < 4:
        c = -torch.from_numpy(rng.random((4, 3)))
        if _second_best_gap(pad_dummy_proposals(c)[0].numpy()) >= 0.05:
            costs.append(c)
    layer = DifferentiableMatching(
        num_steps=100, num_proj_iters=20, lr=1.0, average=False)
    for c in costs:
        x = layer(c)
        assert x.shape == (4, 3)
        padded, extra = pad_dummy_proposals(c)
        assert extra == 2 and padded.shape == (4, 5)
        rows, cols = linear_sum_assignment(padded.numpy())
        for r, col in zip(rows, cols):
            if col >= 3:  # matched to a dummy: (almost) nothing left
                assert x[r].sum() < 0.1
            else:
                assert x[r].argmax() == col and x[r, col] > 0.9


def test_dykstra_projects_onto_the_constraints():
    torch.manual_seed(0)
    x = dykstra_projection(torch.randn(3, 5, dtype=torch.float64) * 2, 200)
    assert torch.allclose(x.sum(1), torch.ones(3, dtype=torch.float64))
    assert (x.sum(0) <= 1 + 1e-6).all() and (x >= -1e-6).all()
    # a feasible point is its own projection
    feasible = torch.full((3, 5), 0.2, dtype=torch.float64)
    assert torch.allclose(dykstra_projection(feasible, 3), feasible)


@pytest.mark.parametrize('average', [True, False])
def test_gradient_is_numerically_correct(average):
    torch.manual_seed(1)
    cost = torch.rand(2, 3, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(2, 3, dtype=torch.float64)

    def f(c):
        x = relaxed_assignment(c, num_steps=4, num_proj_iters=4, lr=0.3,
                               average=average)
        return (x * weight).sum()

    assert torch.autograd.gradcheck(f, (cost, ), eps=1e-6, atol=1e-5)
    f(cost).backward()
    assert cost.grad.abs().sum() > 0


def test_bad_shapes_raise():
    with pytest.raises(ValueError, match='templates but only'):
        relaxed_assignment(torch.rand(4, 3))
    with pytest.raises(ValueError, match=r'\(\.\.\., n, m\)'):
        relaxed_assignment(torch.rand(3))
