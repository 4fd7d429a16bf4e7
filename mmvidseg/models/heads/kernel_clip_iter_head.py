# Copyright (c) OpenMMLab. All rights reserved.
import copy
from typing import Dict, List, Optional

from torch import Tensor

from mmvidseg.registry import MODELS
from .kernel_iter_head import KernelIterHead


@MODELS.register_module()
class KernelClipIterHead(KernelIterHead):
    """Video K-Net's clip stages for video instance segmentation.

    The official ``KernelFrameIterHeadVideo``: the input kernels are one
    kernel per proposal for the whole clip (the mean of the frames'
    last-stage kernels). The first ``assign_stages`` stages update these
    clip kernels with the group features averaged over the frames and
    predict one class per kernel and one mask per frame; the remaining
    stages copy each clip kernel to every frame and update the copies
    frame by frame (per-frame kernels, no classifier).

    Training: after each of the first ``assign_stages`` stages the kernels
    are Hungarian-matched to the clip's tubes on *that* stage's
    predictions (tube masks flattened over the frames); the later stages
    reuse the last matching. Losses per stage: focal classification (clip
    stages), mask BCE and Dice on the tubes (each tube as one mask over all
    its frames, so frames are averaged).

    Args:
        num_stages (int): Stages. Defaults to 3.
        assign_stages (int): Clip-level stages with a classifier and their
            own matching, ``1 <= assign_stages <= num_stages``. Defaults to
            2 (the official YouTube-VIS config).
        stage_head (dict): Config of every :class:`KernelUpdateHead`.
        **kwargs: :class:`KernelIterHead`'s other arguments (no
            ``with_link`` / ``with_fusion``).
    """

    def __init__(self,
                 num_stages: int = 3,
                 assign_stages: int = 2,
                 stage_head: dict = dict(type='KernelUpdateHead'),
                 **kwargs) -> None:
        super().__init__(
            num_stages=num_stages, stage_head=stage_head, **kwargs)
        if not 1 <= assign_stages <= num_stages:
            raise ValueError(f'assign_stages must be in [1, {num_stages}], '
                             f'got {assign_stages}')
        if self.with_link or self.with_fusion:
            raise ValueError('KernelClipIterHead has no kernel linking or '
                             'fusion')
        self.assign_stages = assign_stages
        for s in range(assign_stages, num_stages):
            cfg = copy.deepcopy(stage_head)
            cfg.update(num_classes=self.num_classes, with_cls=False)
            self.stages[s] = MODELS.build(cfg)

    def forward(self,
                x: Tensor,
                kernels: Tensor,
                mask_preds: Tensor,
                prev_kernels: Optional[Tensor] = None) -> List[Dict]:
        """Run all stages on clips.

        Args:
            x (Tensor): (B, T, C, h, w) clip features.
            kernels (Tensor): (B, N, C) clip kernels.
            mask_preds (Tensor): (B, N, T, h, w) mask logits.
            prev_kernels: Unused (no linking).

        Returns:
            list[dict]: Per stage ``cls_scores`` (B, N, nt) (None in the
            per-frame stages), ``mask_preds`` (B, N, T, h, w) and
            ``kernels``: (B, N, C) in the clip stages, (B, T, N, C) in the
            per-frame stages.
        """
        b, t = x.shape[:2]
        frames_x = x.flatten(0, 1)
        results = []
        for s, stage in enumerate(self.stages):
            if s < self.assign_stages:
                out = stage(x, kernels, mask_preds)
            else:
                if s == self.assign_stages:  # one copy per frame
                    kernels = kernels[:, None].expand(-1, t, -1, -1)
                out = stage(frames_x, kernels.flatten(0, 1),
                            mask_preds.transpose(1, 2).flatten(0, 1))
                out = dict(
                    cls_scores=None,
                    mask_preds=out['mask_preds'].unflatten(
                        0, (b, t)).transpose(1, 2),
                    kernels=out['kernels'].unflatten(0, (b, t)))
            kernels, mask_preds = out['kernels'], out['mask_preds']
            results.append(out)
        return results

    def matching_stage(self, stage: int) -> int:
        """Each clip stage is matched on its own predictions; the per-frame
        stages reuse the matching of the last clip stage.

        The losses (:meth:`KernelIterHead.loss_by_feat`) take tube targets
        from :func:`~mmvidseg.models.heads.kernel_targets.clip_targets`:
        ``masks`` (G, T, H', W'), ``labels`` (G,); the per-frame stages have
        no class loss.
        """
        return min(stage, self.assign_stages - 1)
