# Copyright (c) OpenMMLab. All rights reserved.
import copy
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmdet.utils import ConfigType, InstanceList
from mmengine.structures import PixelData
from torch import Tensor

from mmvidseg.registry import MODELS
from ..heads.kernel_targets import _pad
from ..losses.depth_loss import DEPTH_ACT_MODES, depth_activation
from ..utils import logits_to_original
from .video_knet import VideoKNet

#: Keys of the depth iter head's config that the plain one does not take.
_DEPTH_ITER_KEYS = ('loss_depth', 'depth_act', 'depth_loss_per_query')


def cell_mean_depth(depth: Tensor, stride: int) -> Tensor:
    """Downsample a (1, H, W) depth map (metres, 0: none) by ``stride``:
    the mean of each ``stride x stride`` cell's valid (> 0) pixels, 0 where
    a cell has none.

    The predictions at the assignment stride are upsampled bilinearly, so a
    cell's value stands for its centre; nearest sampling would take its
    top-left pixel instead (a shift of ``(stride - 1) / 2`` pixels, which
    on a depth ramp such as a road is a systematic error), while a mean
    over the cell is its centre's depth on a ramp.

    Returns:
        Tensor: (H // stride, W // stride) depths.
    """
    valid = (depth > 0).float()
    total = F.avg_pool2d((depth * valid)[None], stride)
    count = F.avg_pool2d(valid[None], stride)
    return torch.where(count > 0, total / count.clamp(min=1e-6),
                       torch.zeros_like(total))[0, 0]


@MODELS.register_module()
class PolyphonicFormer(VideoKNet):
    """PolyphonicFormer: depth-aware video panoptic segmentation (Yuan et
    al., ECCV 2022).

    A Video K-Net (:class:`VideoKNet`: panoptic kernels, quasi-dense
    kernel embedding and tracker, all shared) with *depth queries*:

    * the semantic FPN has a depth branch (:class:`DepthSemanticFPN`);
    * the proposal head (:class:`DepthKernelProposalHead`) predicts a
      per-pixel depth map whose 1x1 kernel initialises every depth query;
    * every kernel-update stage (:class:`DepthKernelIterHead` of
      :class:`DepthKernelUpdateHead`) updates, beside each panoptic query,
      its depth query (added to the detached panoptic query, own gated
      updator on mask-pooled depth features, own attention and FFN), which
      predicts an instance-level depth map;
    * at test time the panoptic segments of the last stage paste their
      queries' depths into one panoptic depth map; pixels no segment covers
      take the per-pixel depth (``pred_depth``, metres).

    Depth logits become metres with ``depth_act`` (``sigmoid * (max -
    min) + min``, or ``'monodepth'`` inverse disparity), filled into both
    heads. The depth targets come from the frames' ``gt_depth`` (metres, 0:
    none), padded with 0 and averaged over the valid pixels of each cell of
    the assignment stride (:func:`cell_mean_depth`).

    The image stage trains on single frames (no reference frame: no
    embedding loss), the video stage on a key and a reference frame,
    initialised from the image stage (``load_from``) as the official
    release. ``depth_queries=False`` is the ablation: a plain
    :class:`KernelIterHead` (no depth queries) and the per-pixel depth of
    the proposal head as the prediction.

    Args:
        depth_act (dict): ``mode`` ('sigmoid' or 'monodepth'),
            ``min_depth`` (0.01) and ``max_depth`` (80) of
            :func:`depth_activation`.
        depth_queries (bool): Depth queries (True) or the per-pixel depth
            head only (False). Defaults to True.
        **kwargs: :class:`VideoKNet`'s arguments; ``task`` must be 'vps'.
    """

    def __init__(self,
                 depth_act: ConfigType = dict(
                     mode='sigmoid', min_depth=0.01, max_depth=80.0),
                 depth_queries: bool = True,
                 **kwargs) -> None:
        depth_act = dict(depth_act)
        if depth_act.get('mode', 'sigmoid') not in DEPTH_ACT_MODES:
            raise ValueError(f'depth_act mode must be one of '
                             f'{DEPTH_ACT_MODES}, got {depth_act["mode"]!r}')
        if kwargs.get('task', 'vps') != 'vps':
            raise ValueError("PolyphonicFormer only supports task='vps'")
        kwargs['proposal_head'] = dict(
            copy.deepcopy(kwargs['proposal_head']), depth_act=depth_act)
        iter_head = copy.deepcopy(kwargs['iter_head'])
        if depth_queries:
            iter_head['depth_act'] = depth_act
        else:
            iter_head = self._plain_iter_head(iter_head)
        kwargs['iter_head'] = iter_head
        super().__init__(**kwargs)
        self.depth_act = depth_act
        self.depth_queries = depth_queries

    @staticmethod
    def _plain_iter_head(cfg: dict) -> dict:
        """The depth-free :class:`KernelIterHead` config of a
        :class:`DepthKernelIterHead` one (the ablation)."""
        for key in _DEPTH_ITER_KEYS:
            cfg.pop(key, None)
        if cfg.get('type') == 'DepthKernelIterHead':
            cfg['type'] = 'KernelIterHead'
        stage = dict(cfg.get('stage_head', {}))
        stage.pop('num_depth_fcs', None)
        if stage.get('type', 'DepthKernelUpdateHead') == \
                'DepthKernelUpdateHead':
            stage['type'] = 'KernelUpdateHead'
        cfg['stage_head'] = stage
        assigner = cfg.get('assigner')
        if assigner is not None:
            assigner = copy.deepcopy(assigner)
            assigner['match_costs'] = [
                c for c in assigner.get('match_costs', [])
                if c.get('type') != 'DepthCost'
            ]
            cfg['assigner'] = assigner
        return cfg

    def _stages(self,
                init: Dict[str, Tensor],
                inds=slice(None),
                prev_kernels: Optional[Tensor] = None) -> List[Dict]:
        """The kernel-update stages, with the depth queries."""
        if not self.depth_queries:
            return super()._stages(init, inds, prev_kernels)
        return self.iter_head(
            init['x_feats'][inds],
            init['kernels'][inds],
            init['mask_preds'][inds],
            prev_kernels=prev_kernels,
            depth_feats=init['depth_feats'][inds],
            depth_kernels=init['depth_kernels'][inds])

    def _targets(self, frame_samples: list,
                 pad_shape) -> Tuple[InstanceList, List[PixelData]]:
        """:class:`VideoKNet`'s targets with each frame's depth (H', W') as
        the ``gt_depth`` metainfo of its ``gt_instances``."""
        gts, gt_sem_segs = super()._targets(frame_samples, pad_shape)
        stride = self.mask_assign_stride
        for gt, sample in zip(gts, frame_samples):
            if 'gt_depth' not in sample:
                raise ValueError('PolyphonicFormer trains on frames with '
                                 'gt_depth (add LoadDepthMap to the pipeline)')
            depth = _pad(sample.gt_depth.data.to(gt.masks.device).float(),
                         pad_shape, 0.)
            gt.set_metainfo(dict(gt_depth=cell_mean_depth(depth, stride)))
        return gts, gt_sem_segs

    def _rpn_loss(self, init: Dict[str, Tensor], gts: InstanceList,
                  gt_sem_segs: List[PixelData],
                  inds: List[int]) -> Dict[str, Tensor]:
        """Initial-kernel losses and ``loss_rpn_depth`` (per-pixel depth)
        of the frames ``inds``."""
        losses = super()._rpn_loss(init, gts, gt_sem_segs, inds)
        losses['loss_rpn_depth'] = self.proposal_head.depth_loss(
            init['depth_preds'][inds], [gts[i] for i in inds])
        return losses

    def _predict_frame(self, sample, init: Dict[str, Tensor], i: int,
                       pad_shape) -> Tuple[Dict[str, Tensor], List[dict]]:
        """:class:`VideoKNet`'s frame prediction plus ``pred_depth``
        (1, H, W) metres."""
        last, segments = super()._predict_frame(sample, init, i, pad_shape)
        meta = sample.metainfo
        depth = logits_to_original(
            depth_activation(init['depth_preds'][i], **self.depth_act), meta,
            pad_shape)[0]
        if self.depth_queries and segments:
            kernels = [seg['kernel'] for seg in segments]
            query_depths = logits_to_original(
                depth_activation(last['depth_preds'][0, kernels],
                                 **self.depth_act), meta, pad_shape)
            for seg, query_depth in zip(segments, query_depths):
                depth = torch.where(seg['mask'], query_depth, depth)
        sample.pred_depth = PixelData(data=depth[None])
        return last, segments
