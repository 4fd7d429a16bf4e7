# Copyright (c) OpenMMLab. All rights reserved.
from typing import Optional, Union

from mmengine.structures import InstanceData
from torch import Tensor

from mmvidseg.registry import TASK_UTILS


@TASK_UTILS.register_module()
class MaskCost:
    """K-Net's pixel-agreement mask matching cost.

    For a predicted mask ``p`` (probabilities, clamped to ``[0.01, 1]``)
    and a target mask ``t`` of ``P`` pixels the cost is
    ``-(sum(p * t) + sum((1 - p) * (1 - t))) / P``: minus the mean
    agreement of prediction and target over all pixels, background
    included (K-Net's and Video K-Net's ``MaskCost``). It is used by
    mmdet's ``HungarianAssigner`` like mmdet's match costs.

    Args:
        weight (float): Weight of the cost. Defaults to 1.
        pred_act (bool): Apply a sigmoid to the predictions (logits in).
            Defaults to True.
        clamp_min (float): Lower clamp of the activated predictions (the
            official 0.01). Defaults to 0.01.
    """

    def __init__(self,
                 weight: Union[float, int] = 1.,
                 pred_act: bool = True,
                 clamp_min: float = 0.01) -> None:
        self.weight = weight
        self.pred_act = pred_act
        self.clamp_min = clamp_min

    def __call__(self,
                 pred_instances: InstanceData,
                 gt_instances: InstanceData,
                 img_meta: Optional[dict] = None,
                 **kwargs) -> Tensor:
        """Cost matrix.

        Args:
            pred_instances (:obj:`InstanceData`): ``masks`` (N, ...) mask
                logits (or probabilities without ``pred_act``).
            gt_instances (:obj:`InstanceData`): ``masks`` (G, ...) target
                masks in [0, 1], same trailing shape.
            img_meta (dict, optional): Unused.

        Returns:
            Tensor: (N, G) weighted cost.
        """
        pred = pred_instances.masks.flatten(1).float()
        target = gt_instances.masks.flatten(1).float()
        if pred.shape[1] != target.shape[1]:
            raise ValueError(f'MaskCost: predicted masks have {pred.shape[1]}'
                             f' pixels, targets {target.shape[1]}')
        if self.pred_act:
            pred = pred.sigmoid()
        pred = pred.clamp(min=self.clamp_min, max=1.0)
        num_pixels = max(pred.shape[1], 1)
        agree = pred @ target.t() + (1 - pred) @ (1 - target).t()
        return -agree / num_pixels * self.weight
