# Copyright (c) OpenMMLab. All rights reserved.
from typing import Optional, Union

from mmengine.structures import InstanceData
from torch import Tensor

from mmvidseg.registry import TASK_UTILS


@TASK_UTILS.register_module()
class DepthCost:
    """Depth matching cost of PolyphonicFormer's assignment.

    The cost of prediction ``n`` for ground-truth segment ``g`` is the mean
    absolute relative depth error ``|d_n - d| / d`` of the prediction's
    depth map ``d_n`` over the pixels of ``g``'s mask (soft masks weight the
    pixels) that have a ground-truth depth ``d > 0``. Used by mmdet's
    ``HungarianAssigner`` beside the class and mask costs; the official
    configs give it weight 0 (the matching ignores depth), which skips the
    computation. Predictions without ``depths`` (the matching of the first
    stage on the initial proposals) get a zero cost.

    Args:
        weight (float): Weight of the cost. Defaults to 0.
    """

    def __init__(self, weight: Union[float, int] = 0.) -> None:
        self.weight = weight

    def __call__(self,
                 pred_instances: InstanceData,
                 gt_instances: InstanceData,
                 img_meta: Optional[dict] = None,
                 **kwargs) -> Tensor:
        """Cost matrix.

        Args:
            pred_instances (:obj:`InstanceData`): ``masks`` (N, P) and
                ``depths`` (N, P) predicted depths in metres.
            gt_instances (:obj:`InstanceData`): ``masks`` (G, P) in
                [0, 1] and the metainfo ``gt_depth`` (P,) metres (0: no
                depth).
            img_meta (dict, optional): Unused.

        Returns:
            Tensor: (N, G) weighted cost.
        """
        num_preds = len(pred_instances.masks)
        masks = gt_instances.masks.flatten(1).float()
        depths = pred_instances.get('depths', None)
        if self.weight == 0 or depths is None:
            return masks.new_zeros((num_preds, len(masks)))
        gt_depth = gt_instances.metainfo.get('gt_depth', None)
        if gt_depth is None:
            raise ValueError("DepthCost needs the targets' gt_depth metainfo "
                             'when the predictions have depths')
        depths = depths.flatten(1).float()
        gt_depth = gt_depth.flatten().float()
        if depths.shape[1] != gt_depth.numel() or masks.shape[1] != \
                gt_depth.numel():
            raise ValueError(f'DepthCost: predicted depths have '
                             f'{depths.shape[1]} pixels, masks '
                             f'{masks.shape[1]}, gt_depth {gt_depth.numel()}')
        valid = (gt_depth > 0).float()
        rel = (depths - gt_depth).abs() / gt_depth.clamp(min=1e-6) * valid
        weights = masks * valid
        cost = rel @ weights.t() / weights.sum(1).clamp(min=1.0)
        return cost * self.weight
