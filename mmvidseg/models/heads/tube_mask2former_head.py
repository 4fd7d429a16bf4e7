# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmdet.models.dense_heads import Mask2FormerHead
from mmdet.models.layers import SinePositionalEncoding3D
from mmdet.models.tracking_heads import Mask2FormerTrackHead
from mmdet.models.utils import multi_apply
from mmdet.utils import InstanceList
from mmengine.model import caffe2_xavier_init
from mmengine.structures import InstanceData
from torch import Tensor, nn

from mmvidseg.registry import MODELS
from .kernel_targets import clip_targets


@MODELS.register_module()
class TubeMask2FormerHead(Mask2FormerHead):
    """Mask2Former head that segments *tubes*: one set of queries per tube
    of ``t`` frames predicts, for each query, one class and a mask on every
    frame of the tube (Tube-Link, Li et al., ICCV 2023).

    mmdet's ``Mask2FormerTrackHead`` already runs the masked-attention
    decoder over the keys of several frames with a 3D sine positional
    encoding; its per-frame forward step (``_forward_head``, masks
    ``(B, Q, t, h, w)`` and attention masks over ``t * h * w`` keys) is
    reused as is. It does not fit as a whole: its targets have no stuff
    classes (VPS, VSS), it takes the number of frames from the batch size
    only in training, returns no query features (needed for the cross-tube
    link and the association embedding) and supervises every frame of a
    tube as a separate mask. Here, as in the official Tube-Link, a tube
    mask is one mask of the ``t`` frames stacked vertically,
    ``(t * h, w)``: the Hungarian assignment (mmdet's point-sampled
    mask costs) and the point-sampled losses of mmdet's (image)
    ``Mask2FormerHead`` run unchanged on these stacked masks, things and
    stuff alike. Parameter names are those of ``Mask2FormerHead``, so an
    mmdet Mask2Former checkpoint loads without renaming.

    Optionally (``fine_mask_in_channels``, off by default) the masks are
    predicted at stride 2 instead of the pixel decoder's stride 4: one more
    FPN-like stage upsamples the pixel decoder's mask feature x2 and adds a
    stride-2 backbone feature (a ResNet's stem output, given by
    :class:`~mmvidseg.models.TubeLink`) through a 1x1 lateral conv, then a
    3x3 conv and a 1x1 conv give the mask feature. The attention masks
    are still resized to the decoder's key levels. Not in the official
    Tube-Link (an addition for small frames).

    Args:
        fine_mask_in_channels (int, optional): Channels of the stride-2
            feature fused into the mask feature. None (default): masks at
            the pixel decoder's stride 4, no extra parameters.
        **kwargs: The arguments of mmdet's ``Mask2FormerHead``;
            ``positional_encoding`` configures a ``SinePositionalEncoding3D``
            (it has no parameters).
    """

    _forward_head = Mask2FormerTrackHead._forward_head

    def __init__(self,
                 fine_mask_in_channels: Optional[int] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        pos_cfg = dict(kwargs.get('positional_encoding', {}))
        pos_cfg.pop('type', None)
        self.decoder_positional_encoding = SinePositionalEncoding3D(
            **pos_cfg)
        self.fine_mask_in_channels = fine_mask_in_channels
        if fine_mask_in_channels:
            channels = kwargs['out_channels']
            decoder_cfg = kwargs.get('pixel_decoder', {})
            norm_cfg = decoder_cfg.get('norm_cfg',
                                       dict(type='GN', num_groups=32))
            act_cfg = decoder_cfg.get('act_cfg', dict(type='ReLU'))
            self.fine_lateral_conv = ConvModule(
                fine_mask_in_channels,
                channels,
                kernel_size=1,
                bias=False,
                norm_cfg=norm_cfg,
                act_cfg=None)
            self.fine_output_conv = ConvModule(
                channels,
                channels,
                kernel_size=3,
                padding=1,
                bias=False,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg)
            self.fine_mask_feature = nn.Conv2d(
                channels, channels, kernel_size=1)

    def init_weights(self) -> None:
        """Mask2Former's initialisation; the stride-2 mask feature conv
        as the pixel decoder's mask feature conv."""
        super().init_weights()
        if self.fine_mask_in_channels:
            caffe2_xavier_init(self.fine_mask_feature, bias=0)

    def _fine_mask_features(self, mask_features: Tensor,
                            fine_feat: Tensor) -> Tensor:
        """Stride-2 mask features (N * t, C, 2h, 2w) from the pixel
        decoder's (N * t, C, h, w) and a (N * t, C_f, 2h, 2w) backbone
        feature."""
        lateral = self.fine_lateral_conv(fine_feat)
        fused = lateral + F.interpolate(
            mask_features,
            size=lateral.shape[-2:],
            mode='bilinear',
            align_corners=False)
        return self.fine_mask_feature(self.fine_output_conv(fused))

    def _decoder_inputs(self, memorys: List[Tensor],
                        num_tubes: int) -> Tuple[List[Tensor], List[Tensor]]:
        """Keys (N, t * h * w, C) and their 3D positional encodings of
        every level, from per-frame memories (N * t, C, h, w)."""
        inputs, positions = [], []
        for i in range(self.num_transformer_feat_level):
            feat = self.decoder_input_projs[i](memorys[i]).flatten(2)
            feat = feat + self.level_embed.weight[i][None, :, None]
            _, c, hw = feat.shape
            feat = feat.view(num_tubes, -1, c, hw).permute(0, 1, 3, 2)
            inputs.append(feat.flatten(1, 2))
            mask = feat.new_zeros(
                (num_tubes, feat.size(1)) + memorys[i].shape[-2:],
                dtype=torch.bool)
            pos = self.decoder_positional_encoding(mask)
            positions.append(pos.flatten(3).permute(0, 1, 3, 2).flatten(1, 2))
        return inputs, positions

    def forward(
        self,
        x: Sequence[Tensor],
        tube_size: int,
        fine_feat: Optional[Tensor] = None
    ) -> Tuple[List[Tensor], List[Tensor], Tensor]:
        """Segment the tubes of a batch of frames.

        Args:
            x (Sequence[Tensor]): Multi-level backbone features of
                N * t frames, tube by tube (frames of a tube consecutive),
                each (N * t, C_l, H_l, W_l).
            tube_size (int): t, the frames of a tube.
            fine_feat (Tensor, optional): The stride-2 backbone feature
                (N * t, C_f, H_0 * 2, W_0 * 2); required with
                ``fine_mask_in_channels``, ignored without.

        Returns:
            tuple:

            - cls_preds (list[Tensor]): Per decoder layer (and the
              initial queries), class logits (N, Q, num_classes + 1).
            - mask_preds (list[Tensor]): Per layer, mask logits
              (N, Q, t, h, w) at the mask-feature stride (4, or 2 with
              ``fine_mask_in_channels``).
            - queries (Tensor): The last layer's query features (N, Q, C)
              (after the decoder's post norm), for linking and embedding.
        """
        if x[0].size(0) % tube_size:
            raise ValueError(f'{x[0].size(0)} frames cannot be cut into '
                             f'tubes of {tube_size} frames')
        num_tubes = x[0].size(0) // tube_size
        mask_features, memorys = self.pixel_decoder(x)
        if self.fine_mask_in_channels:
            if fine_feat is None:
                raise ValueError('fine_mask_in_channels is set: the head '
                                 'needs the stride-2 feature fine_feat')
            mask_features = self._fine_mask_features(mask_features,
                                                     fine_feat)
        mask_features = mask_features.view(num_tubes, tube_size,
                                           *mask_features.shape[1:])
        inputs, positions = self._decoder_inputs(memorys, num_tubes)
        query_feat = self.query_feat.weight.unsqueeze(0).repeat(
            (num_tubes, 1, 1))
        query_embed = self.query_embed.weight.unsqueeze(0).repeat(
            (num_tubes, 1, 1))
        cls_pred, mask_pred, attn_mask = self._forward_head(
            query_feat, mask_features, memorys[0].shape[-2:])
        cls_preds, mask_preds = [cls_pred], [mask_pred]
        for i in range(self.num_transformer_decoder_layers):
            level = i % self.num_transformer_feat_level
            # a query whose mask is empty attends to everything
            attn_mask[torch.where(
                attn_mask.sum(-1) == attn_mask.shape[-1])] = False
            query_feat = self.transformer_decoder.layers[i](
                query=query_feat,
                key=inputs[level],
                value=inputs[level],
                query_pos=query_embed,
                key_pos=positions[level],
                cross_attn_mask=attn_mask,
                query_key_padding_mask=None,
                key_padding_mask=None)
            cls_pred, mask_pred, attn_mask = self._forward_head(
                query_feat, mask_features,
                memorys[(i + 1) % self.num_transformer_feat_level].shape[-2:])
            cls_preds.append(cls_pred)
            mask_preds.append(mask_pred)
        queries = self.transformer_decoder.post_norm(query_feat)
        return cls_preds, mask_preds, queries

    @staticmethod
    def _stacked(tubes: InstanceList) -> InstanceList:
        """Tube targets with (G, t, h, w) masks -> (G, t * h, w)."""
        return [
            InstanceData(labels=tube.labels, masks=tube.masks.flatten(1, 2))
            for tube in tubes
        ]

    def loss_tubes(self, cls_preds: List[Tensor], mask_preds: List[Tensor],
                   tubes: InstanceList) -> Dict[str, Tensor]:
        """Mask2Former losses of every decoder layer on stacked tube masks.

        Args:
            cls_preds (list[Tensor]): (N, Q, num_classes + 1) per layer.
            mask_preds (list[Tensor]): (N, Q, t, h, w) per layer.
            tubes (list[:obj:`InstanceData`]): N tube targets, ``labels``
                (G,) and ``masks`` (G, t, H', W') (any resolution with the
                frames' aspect ratio: the losses are point-sampled).

        Returns:
            dict[str, Tensor]: ``loss_cls``, ``loss_mask``, ``loss_dice``
            and ``d{i}.loss_*`` of the earlier layers.
        """
        stacked = [m.flatten(2, 3) for m in mask_preds]
        metas = [{} for _ in tubes]
        return self.loss_by_feat(cls_preds, stacked, self._stacked(tubes),
                                 metas)

    @torch.no_grad()
    def assign(self, cls_pred: Tensor, mask_pred: Tensor,
               tubes: InstanceList) -> list:
        """Hungarian assignment of one layer's tube predictions.

        Args:
            cls_pred (Tensor): (N, Q, num_classes + 1).
            mask_pred (Tensor): (N, Q, t, h, w).
            tubes (list[:obj:`InstanceData`]): N tube targets.

        Returns:
            list[:obj:`SamplingResult`]: One per tube (``pos_inds``,
            ``pos_assigned_gt_inds``).
        """
        stacked = mask_pred.flatten(2, 3)
        # mmdet's get_targets(return_sampling_results=True) concatenates a
        # tuple and a list: ask _get_targets_single directly
        return multi_apply(self._get_targets_single, list(cls_pred),
                           list(stacked), self._stacked(tubes),
                           [{} for _ in tubes])[6]


def tube_targets(frames: InstanceList, num_thing_classes: int) -> InstanceData:
    """Targets of one tube from its frames' per-frame targets.

    Things are grouped by track id (:func:`clip_targets`), stuff segments
    by class; a tube's mask is zero on the frames where it is absent.

    Args:
        frames (list[:obj:`InstanceData`]): The t frames' targets of
            :func:`~mmvidseg.models.heads.kernel_targets.frame_targets`
            (``masks`` (G, H', W'), internal ``labels``, ``instances_ids``,
            -1 for stuff).
        num_thing_classes (int): nt; labels ``>= nt`` are stuff.

    Returns:
        :obj:`InstanceData`: The things, then the stuff classes present in
        the tube in label order: ``masks`` (K, t, H', W'), ``labels``
        (K,) and ``instances_ids`` (K,) (-1 for stuff).
    """
    things = clip_targets(frames, num_thing_classes)
    stuff = [frame[frame.labels >= num_thing_classes] for frame in frames]
    labels = sorted({int(c) for frame in stuff for c in frame.labels})
    size = frames[0].masks.shape[-2:]
    masks = things.masks.new_zeros((len(labels), len(frames), *size))
    for t, frame in enumerate(stuff):
        for label, mask in zip(frame.labels.tolist(), frame.masks):
            masks[labels.index(label), t] = mask
    return InstanceData(
        masks=torch.cat([things.masks, masks]),
        labels=torch.cat(
            [things.labels, things.labels.new_tensor(labels)]),
        instances_ids=torch.cat(
            [things.instances_ids,
             things.instances_ids.new_full((len(labels), ), -1)]))
