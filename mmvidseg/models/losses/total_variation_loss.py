# Copyright (c) OpenMMLab. All rights reserved.
import torch
from torch import Tensor, nn

from mmvidseg.registry import MODELS


@MODELS.register_module()
class TotalVariationLoss(nn.Module):
    """Anisotropic L1 total variation, Deep Voxel Flow's smoothness prior.

    ``loss_weight * (mean |x[..., 1:, :] - x[..., :-1, :]| +
    mean |x[..., :, 1:] - x[..., :, :-1]|)``: the mean over pixels, so that
    it is on the scale of a mean L1 reconstruction loss. The paper applies
    it to the flow (weight 0.01) and to the temporal mask (0.005).

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, x: Tensor) -> Tensor:
        """Total variation of (N, C, H, W) maps -> scalar."""
        if x.dim() != 4:
            raise ValueError(f'expected (N, C, H, W), got {tuple(x.shape)}')
        tv = x.new_zeros(())
        if x.shape[-2] > 1:
            tv = tv + torch.mean(torch.abs(x[..., 1:, :] - x[..., :-1, :]))
        if x.shape[-1] > 1:
            tv = tv + torch.mean(torch.abs(x[..., :, 1:] - x[..., :, :-1]))
        return self.loss_weight * tv

    def extra_repr(self) -> str:
        return f'loss_weight={self.loss_weight}'
