# Copyright (c) OpenMMLab. All rights reserved.
"""TransVOD++ (Zhou et al., "TransVOD: End-to-End Video Object Detection
with Spatial-Temporal Transformers", TPAMI 2023): TransVOD with
query-and-RoI fusion and hard query mining, on mmdet's Deformable DETR."""
from typing import List, Sequence, Tuple

import torch
from mmdet.models.layers import DeformableDetrTransformerDecoder
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from torch import Tensor, nn

from mmvidseg.registry import MODELS
from ..layers.temporal_transformer import QueryRoIFusion, select_topk_queries
from .transvod import TransVOD


@MODELS.register_module()
class TransVODPlusPlus(TransVOD):
    """TransVOD++: the key frame and its references through the
    single-frame Deformable DETR (one level, box refinement), then:

    1. query-and-RoI fusion (QRF, :class:`QueryRoIFusion`): every frame's
       last-layer object queries are fused with the RoI features of their
       boxes on the frame's encoder memory (the references' with their
       positional encoding) through Sparse R-CNN's dynamic convolution;
    2. ``len(query_topk)`` stages of hard query mining: stage i keeps the
       ``query_topk[i] * num_ref_frames`` best-scored fused reference
       queries (official 150 / 75 / 40, coarse to fine), the key queries
       attend to them (:class:`TemporalQueryEncoderLayer`), then a one-layer
       deformable decoder of the stage (mmdet's) on the key frame's memory,
       from the key frame's single-frame boxes; the stage's branch of
       ``temporal_head`` predicts. Stage i + 1 starts from stage i's
       queries.

    There is no temporal encoder (TransVOD's TDTE) unless
    ``temporal_encoder`` is given; the release has none. The
    last stage gives the detections, the earlier ones auxiliary losses
    (``d{i}.``). Training clips, online inference and the single-frame
    losses are TransVOD's (:class:`TransVOD`).

    Args:
        detector (dict): ``mmdet.DeformableDETR`` with
            ``num_feature_levels=1`` and ``with_box_refine=True``
            (official: 100 queries).
        temporal_decoder (dict): Config of mmdet's
            ``DeformableDetrTransformerDecoder`` (1 layer), one per stage.
        temporal_head (dict): ``mmdet.DeformableDETRHead``; its
            ``num_pred_layer`` is set to the number of stages.
        num_ref_frames (int): References per key frame. Defaults to 14.
        temporal_encoder (dict, optional): TransVOD's TDTE on the key
            frame's memory before the decoders; None (default, as the
            release): none.
        query_encoder (dict): Keyword arguments of
            :class:`TemporalQueryEncoderLayer`.
        query_fusion (dict): Keyword arguments of :class:`QueryRoIFusion`
            (``embed_dims`` is set here).
        query_topk (Sequence[int]): Reference queries per reference frame
            of each stage. Defaults to (150, 75, 40).
        freeze_detector (bool): See :class:`TransVOD`.
        frame_loss_weight (float): See :class:`TransVOD`.
        init_from_detector (bool): See :class:`TransVOD`.
        test_cfg (dict, optional): ``reuse_ref_outputs`` and
            ``ref_fusion``, see :class:`TransVOD`.
        data_preprocessor (dict, optional): See :class:`TransVOD`.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 detector: ConfigType,
                 temporal_decoder: ConfigType,
                 temporal_head: ConfigType,
                 num_ref_frames: int = 14,
                 temporal_encoder: OptConfigType = None,
                 query_encoder: ConfigType = dict(),
                 query_fusion: ConfigType = dict(),
                 query_topk: Sequence[int] = (150, 75, 40),
                 freeze_detector: bool = False,
                 frame_loss_weight: float = 1.0,
                 init_from_detector: bool = False,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            detector,
            temporal_decoder,
            dict(temporal_head, num_pred_layer=len(tuple(query_topk))),
            num_ref_frames=num_ref_frames,
            temporal_encoder=temporal_encoder,
            query_encoder=query_encoder,
            query_topk=query_topk,
            freeze_detector=freeze_detector,
            frame_loss_weight=frame_loss_weight,
            init_from_detector=init_from_detector,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        # one decoder per stage (TransVOD has one for all)
        self.temporal_decoder = nn.ModuleList(
            DeformableDetrTransformerDecoder(**temporal_decoder)
            for _ in self.query_topk)
        self.query_fusion = QueryRoIFusion(
            **dict(query_fusion, embed_dims=self.detector.embed_dims))

    def fuse(self, frame: dict, with_pos: bool) -> Tensor:
        """QRF of the frames of ``frame`` (a :meth:`split_frames` dict):
        fused queries of shape (N, Q, C)."""
        memory = frame['memory']
        if with_pos:
            memory = memory + frame['memory_pos']
        height, width = frame['spatial_shapes'][0].tolist()
        feature = memory.transpose(1, 2).reshape(
            memory.size(0), -1, height, width)
        return self.query_fusion(frame['query'], feature, frame['boxes'],
                                 frame['image_size'], frame['feature_scale'])

    def temporal_forward(self, key: dict, refs: List[dict]) -> Tuple:
        """QRF and the hard-query-mining stages for N key frames.

        Args:
            key (dict): The N key frames (see :meth:`TransVOD.
                temporal_forward`).
            refs (list[dict]): ``num_ref_frames`` dicts like ``key``.

        Returns:
            tuple: ``hidden_states`` (S, N, Q, C) of the S stages and
            ``references``, the key frames' boxes (N, Q, 4) for each stage.
        """
        ref_query = torch.cat([self.fuse(r, True) for r in refs], 1)
        ref_scores = torch.cat([r['scores'] for r in refs], 1)
        query = self.fuse(key, False)
        memory = self.temporal_memory(key, refs)
        boxes = key['boxes']
        hidden = []
        for layer, decoder, k in zip(self.query_encoder,
                                     self.temporal_decoder, self.query_topk):
            picked = select_topk_queries(ref_query, ref_scores,
                                         k * len(refs))
            query = layer(query, picked)
            out, _ = decoder(
                query=query,
                query_pos=None,
                value=memory,
                key_padding_mask=key['memory_mask'],
                reference_points=boxes,
                spatial_shapes=key['spatial_shapes'],
                level_start_index=key['spatial_shapes'].new_zeros(1),
                valid_ratios=key['valid_ratios'],
                reg_branches=None)
            query = out[-1]
            hidden.append(query)
        return torch.stack(hidden), [boxes] * len(hidden)
