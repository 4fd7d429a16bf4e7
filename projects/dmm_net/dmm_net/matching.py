# Copyright (c) OpenMMLab. All rights reserved.
"""DMM-Net's differentiable matching layer.

The assignment of ``n`` templates (objects) to ``m >= n`` proposals,

    min_X <C, X>  s.t.  X >= 0,  X 1_m = 1_n (every template gets one
    proposal),  X^T 1_n <= 1_m (a proposal goes to at most one template),

is the linear-programming relaxation of the integer problem; its
constraint matrix is totally unimodular, so a unique optimum is a 0/1
assignment (the Hungarian one). DMM-Net solves it by projected gradient
descent unrolled for a fixed number of steps, ``X <- P(X - lr * C)``, where
the Euclidean projection ``P`` onto the intersection of the three convex
sets is computed by Dykstra's alternating projection algorithm. Every
operation is differentiable almost everywhere, so a loss on ``X`` trains the
network that predicts ``C``.
"""
from typing import Tuple

import torch
from torch import Tensor, nn

from mmvidseg.registry import MODELS


def project_nonnegative(x: Tensor) -> Tensor:
    """Projection onto ``X >= 0``."""
    return x.clamp(min=0)


def project_column_sums(x: Tensor) -> Tensor:
    """Projection onto ``X^T 1 <= 1`` (each column a half-space): columns
    whose sum exceeds 1 are shifted down uniformly. ``x``: (..., n, m)."""
    excess = (x.sum(dim=-2, keepdim=True) - 1).clamp(min=0)
    return x - excess / x.size(-2)


def project_row_sums(x: Tensor) -> Tensor:
    """Projection onto ``X 1 = 1`` (an affine set): rows are shifted
    uniformly to sum to 1. ``x``: (..., n, m)."""
    return x - (x.sum(dim=-1, keepdim=True) - 1) / x.size(-1)


def dykstra_projection(x: Tensor, num_iters: int) -> Tensor:
    """Approximate Euclidean projection onto the relaxed assignment set.

    Dykstra's algorithm cycles through the projections onto the three
    sets (non-negativity, column sums <= 1, row sums = 1), each with its
    own correction term, and converges to the projection onto their
    intersection (plain alternating projections would only find *a* point
    in it). The last projection is onto the rows, so every row sums to 1
    exactly after any number of cycles.

    Args:
        x (Tensor): Points to project, (..., n, m), n <= m.
        num_iters (int): Dykstra cycles.

    Returns:
        Tensor: The projected points, same shape.
    """
    projections = (project_nonnegative, project_column_sums,
                   project_row_sums)
    corrections = [torch.zeros_like(x) for _ in projections]
    for _ in range(num_iters):
        for i, project in enumerate(projections):
            shifted = x + corrections[i]
            x = project(shifted)
            corrections[i] = shifted - x
    return x


def relaxed_assignment(cost: Tensor,
                       num_steps: int = 50,
                       num_proj_iters: int = 20,
                       lr: float = 0.5,
                       average: bool = False) -> Tensor:
    """Unrolled projected gradient descent on the relaxed assignment.

    Args:
        cost (Tensor): Costs (..., n, m) of templates (rows) against
            proposals (columns), n <= m (pad with dummy proposals, see
            :func:`pad_dummy_proposals`).
        num_steps (int): Gradient steps K. Defaults to 50.
        num_proj_iters (int): Dykstra cycles per projection. Defaults to 20.
        lr (float): Step size. Defaults to 0.5.
        average (bool): Return the mean of the K iterates instead of the
            last one (what the official code feeds to the masks: the mean
            keeps non-zero gradients once the iterates reach a vertex).
            Defaults to False.

    Returns:
        Tensor: The soft assignment X, (..., n, m); rows sum to 1.
    """
    if cost.dim() < 2:
        raise ValueError('cost must be (..., n, m), got shape '
                         f'{tuple(cost.shape)}')
    n, m = cost.shape[-2:]
    if n > m:
        raise ValueError(f'{n} templates but only {m} proposals: the '
                         'assignment needs n <= m (pad dummy proposals)')
    if num_steps < 1 or num_proj_iters < 1:
        raise ValueError('num_steps and num_proj_iters must be >= 1')
    x = cost.new_full(cost.shape, 1.0 / m)  # feasible start
    total = torch.zeros_like(cost)
    for _ in range(num_steps):
        x = dykstra_projection(x - lr * cost, num_proj_iters)
        total = total + x
    return total / num_steps if average else x


def pad_dummy_proposals(cost: Tensor, min_extra: int = 1,
                        dummy_cost: float = 0.0) -> Tuple[Tensor, int]:
    """Append dummy proposal columns so that there are at least
    ``n + min_extra`` of them (a template may then stay unmatched by taking
    a dummy, of cost ``dummy_cost``).

    Returns:
        tuple: The padded cost (..., n, m') and the number of columns
        added.
    """
    n, m = cost.shape[-2:]
    extra = max(0, n + min_extra - m)
    if extra == 0:
        return cost, 0
    pad = cost.new_full(cost.shape[:-1] + (extra, ), dummy_cost)
    return torch.cat([cost, pad], dim=-1), extra


@MODELS.register_module()
class DifferentiableMatching(nn.Module):
    """DMM-Net's matching layer as a module (see
    :func:`relaxed_assignment`).

    Args:
        num_steps (int): Unrolled gradient steps. Defaults to 50.
        num_proj_iters (int): Dykstra cycles per step. Defaults to 20.
        lr (float): Step size. Defaults to 0.5.
        average (bool): Average the iterates. Defaults to True.
        dummy_cost (float): Cost of the dummy proposals added when there
            are not more proposals than templates. Defaults to 0.
    """

    def __init__(self,
                 num_steps: int = 50,
                 num_proj_iters: int = 20,
                 lr: float = 0.5,
                 average: bool = True,
                 dummy_cost: float = 0.0) -> None:
        super().__init__()
        self.num_steps = num_steps
        self.num_proj_iters = num_proj_iters
        self.lr = lr
        self.average = average
        self.dummy_cost = dummy_cost

    def forward(self, cost: Tensor) -> Tensor:
        """Soft assignment (n, m) of a cost (n, m); when m <= n, dummy
        columns are added inside and dropped from the output (a row may
        then sum to less than 1: the template is partly unmatched)."""
        padded, extra = pad_dummy_proposals(cost, 1, self.dummy_cost)
        x = relaxed_assignment(padded, self.num_steps, self.num_proj_iters,
                               self.lr, self.average)
        return x[..., :cost.size(-1)] if extra else x
