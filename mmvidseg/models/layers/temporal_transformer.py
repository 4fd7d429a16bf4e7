# Copyright (c) OpenMMLab. All rights reserved.
"""Temporal transformer parts of TransVOD (Zhou et al., TPAMI 2023).

* :class:`TemporalDeformableEncoderLayer` (TDTE): the key frame's encoder
  memory attends to itself, then with mmcv's multi-scale deformable
  attention to the reference frames' memories, each reference frame being
  one "level" of the attention;
* :class:`TemporalQueryEncoderLayer` (TQE): the key frame's object queries
  attend to themselves, then to object queries selected from the
  reference frames;
* :func:`select_topk_queries`: the coarse-to-fine selection of reference
  queries by their best class score;
* :func:`hard_query_mining`: each frame's ``k`` queries of the best class
  score, with their boxes (TransVOD Lite's top-k query filtering);
* :class:`QueryRoIFusion` (TransVOD++): each object query fused with the
  RoI feature of its box by Sparse R-CNN's dynamic convolution (mmdet's
  ``DynamicConv``);
* :class:`GatedResidual`: a zero-initialised gate between a module's input
  and output, so that a temporal module starts as the identity.
"""
from typing import Optional

import torch
from mmcv.cnn import build_norm_layer
from mmcv.cnn.bricks.transformer import FFN, MultiheadAttention
from mmcv.ops import MultiScaleDeformableAttention, roi_align
from mmdet.models.layers import DeformableDetrTransformerEncoder
from mmdet.structures.bbox import bbox2roi, bbox_cxcywh_to_xyxy
from mmengine.model import BaseModule
from torch import Tensor

from mmvidseg.registry import MODELS


def select_topk_queries(queries: Tensor, scores: Tensor, k: int) -> Tensor:
    """Pick the queries of the ``k`` best (query, class) scores.

    The scores of all queries and classes are ranked together, so a query
    confident about two classes can be picked twice (as TransVOD does).

    Args:
        queries (Tensor): Reference queries of shape (N, M, C).
        scores (Tensor): Their class scores of shape (N, M, K).
        k (int): How many to pick, 1 <= k <= M * K.

    Returns:
        Tensor: The picked queries of shape (N, k, C), best first.

    Raises:
        ValueError: Shapes that disagree or ``k`` out of range.
    """
    if queries.dim() != 3 or scores.dim() != 3 or \
            scores.shape[:2] != queries.shape[:2]:
        raise ValueError('select_topk_queries: queries (N, M, C) and scores '
                         f'(N, M, K) expected, got {tuple(queries.shape)} '
                         f'and {tuple(scores.shape)}')
    num, m, num_classes = scores.shape
    if not 1 <= k <= m * num_classes:
        raise ValueError(f'select_topk_queries: k={k} is not in [1, '
                         f'{m * num_classes}] (queries x classes)')
    index = scores.reshape(num, -1).topk(k, dim=1)[1] // num_classes
    return queries.gather(
        1, index[..., None].expand(-1, -1, queries.size(-1)))


def hard_query_mining(scores: Tensor, k: int, *tensors: Tensor) -> tuple:
    """Keep each frame's ``k`` queries of the best class score.

    Unlike :func:`select_topk_queries`, a query is kept at most once: the
    queries are ranked by their best class score.

    Args:
        scores (Tensor): Class scores of shape (N, M, K).
        k (int): Queries kept per frame, 1 <= k <= M.
        *tensors (Tensor): Per-query tensors of shape (N, M, ...) (queries,
            boxes) to gather.

    Returns:
        tuple: The kept indices (N, k), best first, then each of
        ``tensors`` gathered to shape (N, k, ...).

    Raises:
        ValueError: ``k`` out of range or shapes that disagree.
    """
    if scores.dim() != 3 or not 1 <= k <= scores.size(1):
        raise ValueError(f'hard_query_mining: scores (N, M, K) and k in [1, '
                         f'M] expected, got {tuple(scores.shape)} and k={k}')
    index = scores.max(-1)[0].topk(k, dim=1)[1]
    picked = []
    for x in tensors:
        if x.shape[:2] != scores.shape[:2]:
            raise ValueError(f'hard_query_mining: a tensor of shape '
                             f'{tuple(x.shape)} does not match the scores '
                             f'{tuple(scores.shape)}')
        picked.append(
            x.gather(1, index[..., None].expand(-1, -1, x.size(-1))))
    return (index, *picked)


class TemporalDeformableEncoderLayer(BaseModule):
    """One TDTE layer: self-attention on the key frame's memory, deformable
    cross-attention to the reference frames' memories, FFN (post-norm).

    Args:
        embed_dims (int): Channels C. Defaults to 256.
        num_ref_frames (int): Reference frames R, the "levels" of the
            deformable attention. Defaults to 14.
        num_heads (int): Attention heads. Defaults to 8.
        num_points (int): Sampling points per head and frame. Defaults to 4.
        feedforward_channels (int): FFN hidden channels. Defaults to 1024.
        dropout (float): Dropout of attention and FFN. Defaults to 0.1.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 embed_dims: int = 256,
                 num_ref_frames: int = 14,
                 num_heads: int = 8,
                 num_points: int = 4,
                 feedforward_channels: int = 1024,
                 dropout: float = 0.1,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_ref_frames = num_ref_frames
        self.self_attn = MultiheadAttention(
            embed_dims, num_heads, attn_drop=dropout,
            proj_drop=dropout, batch_first=True)
        self.cross_attn = MultiScaleDeformableAttention(
            embed_dims, num_heads=num_heads, num_levels=num_ref_frames,
            num_points=num_points, dropout=dropout, batch_first=True)
        self.ffn = FFN(embed_dims, feedforward_channels, ffn_drop=dropout)
        self.norms = torch.nn.ModuleList(
            build_norm_layer(dict(type='LN'), embed_dims)[1]
            for _ in range(3))

    def forward(self,
                query: Tensor,
                query_pos: Tensor,
                ref_memory: Tensor,
                spatial_shape: Tensor,
                valid_ratios: Tensor,
                ref_padding_mask: Optional[Tensor] = None) -> Tensor:
        """Refine the key frame's memory with the reference frames'.

        Args:
            query (Tensor): Key frame memory of shape (N, HW, C).
            query_pos (Tensor): Its positional encoding, (N, HW, C).
            ref_memory (Tensor): Reference memories plus their positional
                encodings, frame after frame, of shape (N, R * HW, C).
            spatial_shape (Tensor): The feature size ``[[H, W]]``, (1, 2).
            valid_ratios (Tensor): The key frame's valid ratios, (N, 1, 2).
            ref_padding_mask (Tensor, optional): (N, R * HW), True on
                padding.

        Returns:
            Tensor: The refined memory of shape (N, HW, C).
        """
        num_ref = self.num_ref_frames
        if ref_memory.size(1) != num_ref * query.size(1):
            raise ValueError(
                f'TemporalDeformableEncoderLayer: {num_ref} reference '
                f'frames of {query.size(1)} positions expected, got '
                f'{ref_memory.size(1)} positions')
        shapes = spatial_shape.reshape(1, 2).expand(num_ref, 2).contiguous()
        start = torch.arange(num_ref, device=query.device) * query.size(1)
        ref_points = DeformableDetrTransformerEncoder. \
            get_encoder_reference_points(shapes[:1], valid_ratios,
                                         query.device)
        query = self.norms[0](self.self_attn(query, query_pos=query_pos,
                                             key_pos=query_pos))
        query = self.norms[1](self.cross_attn(
            query=query,
            value=ref_memory,
            query_pos=query_pos,
            key_padding_mask=ref_padding_mask,
            reference_points=ref_points.expand(-1, -1, num_ref, -1),
            spatial_shapes=shapes,
            level_start_index=start))
        return self.norms[2](self.ffn(query))


class TemporalQueryEncoderLayer(BaseModule):
    """One TQE layer: self-attention on the key frame's object queries,
    cross-attention to selected reference queries, FFN (post-norm).

    Args:
        embed_dims (int): Channels C. Defaults to 256.
        num_heads (int): Attention heads. Defaults to 8.
        feedforward_channels (int): FFN hidden channels. Defaults to 1024.
        dropout (float): Dropout of attention and FFN. Defaults to 0.1.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 embed_dims: int = 256,
                 num_heads: int = 8,
                 feedforward_channels: int = 1024,
                 dropout: float = 0.1,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.self_attn = MultiheadAttention(
            embed_dims, num_heads, attn_drop=dropout, proj_drop=dropout,
            batch_first=True)
        self.cross_attn = MultiheadAttention(
            embed_dims, num_heads, attn_drop=dropout, proj_drop=dropout,
            batch_first=True)
        self.ffn = FFN(embed_dims, feedforward_channels, ffn_drop=dropout)
        self.norms = torch.nn.ModuleList(
            build_norm_layer(dict(type='LN'), embed_dims)[1]
            for _ in range(3))

    def forward(self, query: Tensor, ref_query: Tensor) -> Tensor:
        """Refine the key frame's queries (N, Q, C) with the selected
        reference queries (N, k, C); returns shape (N, Q, C)."""
        query = self.norms[0](self.self_attn(query))
        query = self.norms[1](self.cross_attn(query, ref_query, ref_query))
        return self.norms[2](self.ffn(query))


class QueryRoIFusion(BaseModule):
    """TransVOD++'s query-and-RoI fusion (as Sparse R-CNN's RCNN head):
    self-attention among a frame's object queries, then each query
    generates the parameters of a dynamic convolution (mmdet's
    ``DynamicConv``) applied to the RoI-aligned feature of its own box, a
    residual, and an FFN (post-norm).

    Args:
        embed_dims (int): Channels C. Defaults to 256.
        num_heads (int): Self-attention heads. Defaults to 8.
        roi_size (int): RoIAlign output size. Defaults to 7.
        dynamic_channels (int): Inner channels of the dynamic convolution.
            Defaults to 64.
        feedforward_channels (int): FFN hidden channels. Defaults to 2048.
        dropout (float): Dropout. Defaults to 0.0.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 embed_dims: int = 256,
                 num_heads: int = 8,
                 roi_size: int = 7,
                 dynamic_channels: int = 64,
                 feedforward_channels: int = 2048,
                 dropout: float = 0.0,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.roi_size = roi_size
        self.self_attn = MultiheadAttention(
            embed_dims, num_heads, attn_drop=dropout, proj_drop=dropout,
            batch_first=True)
        self.dynamic_conv = MODELS.build(
            dict(type='mmdet.DynamicConv', in_channels=embed_dims,
                 feat_channels=dynamic_channels,
                 input_feat_shape=roi_size))
        self.dropout = torch.nn.Dropout(dropout)
        self.ffn = FFN(embed_dims, feedforward_channels, ffn_drop=dropout)
        self.norms = torch.nn.ModuleList(
            build_norm_layer(dict(type='LN'), embed_dims)[1]
            for _ in range(3))

    def forward(self, query: Tensor, feature: Tensor, boxes: Tensor,
                image_size: Tensor, spatial_scale: float) -> Tensor:
        """Fuse each query with the RoI feature of its box.

        Args:
            query (Tensor): Object queries of shape (N, Q, C).
            feature (Tensor): The frames' feature maps, (N, C, h, w).
            boxes (Tensor): The queries' boxes, normalised (cx, cy, w, h),
                (N, Q, 4).
            image_size (Tensor): Each frame's (w, h) in pixels, (N, 2).
            spatial_scale (float): Feature size over input size.

        Returns:
            Tensor: The fused queries of shape (N, Q, C).
        """
        num, num_query, dims = query.shape
        if feature.shape[:2] != (num, dims) or boxes.shape != (num,
                                                               num_query, 4):
            raise ValueError(
                f'QueryRoIFusion: queries (N, Q, C) {tuple(query.shape)}, '
                f'features (N, C, h, w) {tuple(feature.shape)} and boxes '
                f'(N, Q, 4) {tuple(boxes.shape)} disagree')
        query = self.norms[0](self.self_attn(query))
        scale = image_size.repeat(1, 2)[:, None]
        rois = bbox2roi(list(bbox_cxcywh_to_xyxy(boxes) * scale))
        roi_feats = roi_align(feature, rois, self.roi_size, spatial_scale, 2,
                              'avg', True)
        fused = self.dynamic_conv(query.reshape(-1, dims), roi_feats)
        query = self.norms[1](
            query + self.dropout(fused.reshape(num, num_query, dims)))
        return self.norms[2](self.ffn(query))


class GatedResidual(torch.nn.Module):
    """``x + tanh(gate) * (y - x)`` with a per-channel gate that starts at
    zero: the gated module is the identity until training opens the gate
    (as Flamingo's tanh-gated cross-attention). The gate still receives a
    gradient at zero, the module behind it from the first step after.

    Args:
        embed_dims (int): Channels C of ``x`` and ``y``.
    """

    def __init__(self, embed_dims: int) -> None:
        super().__init__()
        self.gate = torch.nn.Parameter(torch.zeros(embed_dims))

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        """Mix the input ``x`` and the module's output ``y`` (same shape,
        channels last)."""
        if x.shape != y.shape:
            raise ValueError(f'GatedResidual: input {tuple(x.shape)} and '
                             f'output {tuple(y.shape)} differ in shape')
        return x + self.gate.tanh() * (y - x)
