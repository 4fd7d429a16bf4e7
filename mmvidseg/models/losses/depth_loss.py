# Copyright (c) OpenMMLab. All rights reserved.
"""Monocular depth: the depth activation and PolyphonicFormer's loss."""
from typing import Optional

import torch
import torch.nn as nn
from torch import Tensor

from mmvidseg.registry import MODELS

DEPTH_ACT_MODES = ('sigmoid', 'monodepth')


def depth_activation(logits: Tensor,
                     mode: str = 'sigmoid',
                     min_depth: float = 0.01,
                     max_depth: float = 80.0) -> Tensor:
    """Map depth logits to metres in ``[min_depth, max_depth]``.

    * ``'sigmoid'``: ``sigmoid(x) * (max_depth - min_depth) + min_depth``
      (PolyphonicFormer's configs);
    * ``'monodepth'``: the sigmoid scales the *disparity* between
      ``1 / max_depth`` and ``1 / min_depth`` and the depth is its inverse
      (Monodepth2's ``disp_to_depth``).

    Args:
        logits (Tensor): Any shape.
        mode (str): ``'sigmoid'`` or ``'monodepth'``.
        min_depth (float): Smallest depth in metres. Defaults to 0.01.
        max_depth (float): Largest depth in metres. Defaults to 80.

    Returns:
        Tensor: Depths in metres, the shape of ``logits``.
    """
    if not 0 < min_depth < max_depth:
        raise ValueError('depth_activation needs 0 < min_depth < max_depth, '
                         f'got {min_depth}, {max_depth}')
    prob = logits.sigmoid()
    if mode == 'sigmoid':
        return prob * (max_depth - min_depth) + min_depth
    if mode == 'monodepth':
        min_disp, max_disp = 1.0 / max_depth, 1.0 / min_depth
        return 1.0 / (min_disp + (max_disp - min_disp) * prob)
    raise ValueError(f'depth activation mode must be one of {DEPTH_ACT_MODES},'
                     f' got {mode!r}')


@MODELS.register_module()
class DepthLoss(nn.Module):
    """PolyphonicFormer's depth loss: scale-invariant log error + square
    root of the squared relative error + absolute relative error.

    Over the ``n`` pixels with ``min_depth < target < max_depth`` (and a
    non-zero ``weight``), with ``w`` the weights (1 without them),
    ``g = w * (log pred - log target)`` and ``r = w * (pred - target) /
    target``:

    * ``si = sum(g**2) / n - (sum g)**2 / n**2`` (Eigen et al.'s
      scale-invariant error with lambda 1). The official release computes
      ``sum(g**2) / n - sum(g) / n**2`` (the square of the second term is
      missing); ``official_si_bug=True`` reproduces that;
    * ``sq_rel = sqrt(sum(r**2) / n)``;
    * ``abs_rel = sum(|r|) / n``.

    The loss is ``loss_weight * reduce(si_weight * si, sq_rel_weight *
    sq_rel, abs_rel_weight * abs_rel)`` with ``reduce`` the mean of the
    three terms (``reduction='mean'``, the official reduction) or their
    sum. All valid pixels of all inputs form one set (the official code
    pools every positive kernel of the batch). Zero (with gradient) when
    no pixel is valid.

    Args:
        si_weight (float): Defaults to 1.
        sq_rel_weight (float): Defaults to 1.
        abs_rel_weight (float): Defaults to 1.
        min_depth (float): Targets must exceed it (0: "no depth"). Defaults
            to 0.
        max_depth (float): Targets must be below it. Defaults to 80.
        official_si_bug (bool): Reproduce the release's SI term. Defaults
            to False.
        reduction (str): ``'mean'`` or ``'sum'`` of the three terms.
        loss_weight (float): Defaults to 1.
    """

    def __init__(self,
                 si_weight: float = 1.0,
                 sq_rel_weight: float = 1.0,
                 abs_rel_weight: float = 1.0,
                 min_depth: float = 0.0,
                 max_depth: float = 80.0,
                 official_si_bug: bool = False,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if reduction not in ('mean', 'sum'):
            raise ValueError("DepthLoss reduction must be 'mean' or 'sum', "
                             f'got {reduction!r}')
        if not 0 <= min_depth < max_depth:
            raise ValueError('DepthLoss needs 0 <= min_depth < max_depth, '
                             f'got {min_depth}, {max_depth}')
        self.term_weights = (si_weight, sq_rel_weight, abs_rel_weight)
        self.min_depth = min_depth
        self.max_depth = max_depth
        self.official_si_bug = official_si_bug
        self.reduction = reduction
        self.loss_weight = loss_weight

    def terms(self,
              pred: Tensor,
              target: Tensor,
              weight: Optional[Tensor] = None) -> Optional[Tensor]:
        """The unweighted (si, sq_rel, abs_rel) as a (3,) tensor; None when
        no pixel is valid. Arguments as :meth:`forward`."""
        if pred.shape != target.shape or (weight is not None
                                          and weight.shape != target.shape):
            raise ValueError('DepthLoss: pred, target (and weight) must have '
                             f'one shape, got {tuple(pred.shape)}, '
                             f'{tuple(target.shape)}' +
                             ('' if weight is None else
                              f', {tuple(weight.shape)}'))
        valid = (target > self.min_depth) & (target < self.max_depth)
        if weight is not None:
            valid &= weight != 0
        if not valid.any():
            return None
        pred, target = pred[valid], target[valid]
        w = 1.0 if weight is None else weight[valid]
        n = float(pred.numel())
        log_diff = (torch.log(pred) - torch.log(target)) * w
        rel = (pred - target) * w / target
        second = log_diff.sum() if self.official_si_bug else \
            log_diff.sum().square()
        si = log_diff.square().sum() / n - second / n**2
        sq_rel = (rel.square().sum() / n).clamp(min=1e-12).sqrt()
        abs_rel = rel.abs().sum() / n
        return torch.stack([si, sq_rel, abs_rel])

    def forward(self,
                pred: Tensor,
                target: Tensor,
                weight: Optional[Tensor] = None) -> Tensor:
        """Loss of predicted against target depths.

        Args:
            pred (Tensor): Predicted depths in metres (> 0), any shape.
            target (Tensor): Target depths in metres, same shape; pixels
                outside ``(min_depth, max_depth)`` are left out.
            weight (Tensor, optional): Per-pixel weights, same shape (e.g.
                the target mask of a kernel); zero-weight pixels are left
                out.

        Returns:
            Tensor: Scalar loss.
        """
        terms = self.terms(pred, target, weight)
        if terms is None:
            return pred.sum() * 0
        weighted = terms * terms.new_tensor(self.term_weights)
        loss = weighted.mean() if self.reduction == 'mean' else weighted.sum()
        return self.loss_weight * loss
