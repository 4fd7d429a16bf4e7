# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.utils import ConfigType, OptMultiConfig
from mmengine.model import BaseModule
from torch import Tensor

from mmvidseg.registry import MODELS
from ..utils.flow_warp import mask_boxes


@MODELS.register_module()
class ReIDEmbedHead(BaseModule):
    """A trainable appearance embedding of object crops for
    :class:`VOSReIDTracker` (VS-ReID's re-identification module).

    The layout of mmdet's ReID model (``mmdet.BaseReID``: backbone, global
    average pooling, ``mmdet.LinearReIDHead``: fully connected layers and a
    triplet loss), without its mmpretrain dependency: a backbone on the
    crops (any registered one, e.g. ``mmseg.ResNetV1c``), global average
    pooling of its last map, ``num_fcs`` fully connected layers and an
    output layer. Trained with ``mmdet.TripletLoss`` (batch-hard mining) on
    the L2-normalised embeddings, so that the tracker's cosine similarity
    and ``reid_th`` act on what the loss shaped: same-instance crops (one
    object in different frames) closer than crops of other instances.

    Args:
        backbone (dict): Crop backbone config (3 input channels).
        in_channels (int): Channels of the backbone's last output.
        fc_channels (int): Channels of the hidden layers. Defaults to 128.
        out_channels (int): Embedding size. Defaults to 64.
        num_fcs (int): Hidden fully connected layers. Defaults to 1.
        loss_triplet (dict): Metric loss on (embeddings, instance ids).
            Defaults to ``mmdet.TripletLoss`` with margin 0.3.
        num_classes (int, optional): Instances of the training set; with
            ``loss_cls`` a linear classifier over them is trained on the
            embedding (the identity loss ReID models add to the triplet
            loss; alone, batch-hard triplets can collapse every
            embedding to one point). None: triplet loss only.
        loss_cls (dict, optional): Identity classification loss, e.g.
            ``dict(type='mmdet.CrossEntropyLoss', loss_weight=1.0)``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: ConfigType,
                 in_channels: int,
                 fc_channels: int = 128,
                 out_channels: int = 64,
                 num_fcs: int = 1,
                 loss_triplet: ConfigType = dict(
                     type='mmdet.TripletLoss', margin=0.3, loss_weight=1.0),
                 num_classes: Optional[int] = None,
                 loss_cls: Optional[ConfigType] = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        layers, channels = [], in_channels
        for _ in range(num_fcs):
            layers += [
                nn.Linear(channels, fc_channels),
                nn.BatchNorm1d(fc_channels),
                nn.ReLU(inplace=True)
            ]
            channels = fc_channels
        layers.append(nn.Linear(channels, out_channels))
        self.fcs = nn.Sequential(*layers)
        self.loss_triplet = MODELS.build(loss_triplet)
        if (num_classes is None) != (loss_cls is None):
            raise ValueError('give both num_classes and loss_cls (identity '
                             'loss), or neither')
        self.num_classes = num_classes
        if loss_cls is not None:
            self.classifier = nn.Linear(out_channels, num_classes)
            self.loss_cls = MODELS.build(loss_cls)

    def forward(self, crops: Tensor, mode: str = 'tensor') -> Tensor:
        """Embeddings (N, out_channels) of crops (N, 3, h, w), not
        normalised (``mode='tensor'``, the ``mmdet.BaseReID`` call the
        tracker makes)."""
        if mode != 'tensor':
            raise ValueError(f"ReIDEmbedHead only supports mode='tensor', "
                             f'got {mode!r}; use loss() to train it')
        feats = self.backbone(crops)
        if isinstance(feats, (tuple, list)):
            feats = feats[-1]
        return self.fcs(feats.mean((2, 3)))

    def loss(self, crops: Tensor, ids: Tensor) -> Dict[str, Tensor]:
        """Triplet loss of crops of known instances.

        Args:
            crops (Tensor): (N, 3, h, w) normalised crops.
            ids (Tensor): (N, ) instance ids (an id is one object of one
                video), ``< num_classes`` with an identity loss.

        Returns:
            dict: ``loss_reid``, ``loss_reid_cls`` (with an identity
            loss) and ``pos_gap_reid`` (the mean of the
            hardest negative's minus the hardest positive's distance; > 0
            when the instances are told apart), both 0 without gradients
            when the batch has fewer than two instances.
        """
        if crops.size(0) != ids.numel():
            raise ValueError(f'{crops.size(0)} crops but {ids.numel()} ids')
        raw = self(crops)
        emb = F.normalize(raw, dim=1)
        losses = {}
        if self.num_classes is not None:
            if int(ids.max()) >= self.num_classes or int(ids.min()) < 0:
                raise ValueError(f'instance ids must be in [0, '
                                 f'{self.num_classes}) (num_classes), got '
                                 f'{int(ids.min())}..{int(ids.max())}')
            losses['loss_reid_cls'] = self.loss_cls(
                self.classifier(raw), ids)
        if ids.unique().numel() < 2:
            zero = emb.sum() * 0
            return dict(losses, loss_reid=zero, pos_gap_reid=zero.detach())
        loss = self.loss_triplet(emb, ids)
        with torch.no_grad():
            dist = torch.cdist(emb, emb)
            same = ids[:, None] == ids[None]
            hard_pos = dist.masked_fill(~same, 0).amax(1)
            hard_neg = dist.masked_fill(same, 4).amin(1)
            gap = (hard_neg - hard_pos).mean()
        return dict(losses, loss_reid=loss, pos_gap_reid=gap)


def reid_training_boxes(masks: Tensor,
                        jitter: float = 0.1,
                        truncate_prob: float = 0.0,
                        min_keep: float = 0.3,
                        generator: Optional[torch.Generator] = None) -> Tensor:
    """Boxes to crop for re-identification training from instance masks.

    The tight box of each mask with each side moved by up to ``jitter``
    times the box size (a detector's imprecision); with probability
    ``truncate_prob`` the box keeps only a random part of its width or
    height (between ``min_keep`` and 1, from a random side), like an object
    partly out of the frame or behind an occluder.

    Args:
        masks (Tensor): (N, H, W) non-empty masks.
        jitter (float): Largest side shift, as a fraction of the box size.
        truncate_prob (float): Probability of a truncated box.
        min_keep (float): Smallest kept fraction of a truncated box.
        generator (torch.Generator, optional): Random generator.

    Returns:
        Tensor: (N, 4) boxes (x1, y1, x2, y2), at least 1 pixel wide.
    """
    boxes, _ = mask_boxes(masks.float())
    n = boxes.size(0)
    size = (boxes[:, 2:] - boxes[:, :2]).repeat(1, 2)
    noise = torch.rand(n, 4, generator=generator) * 2 - 1
    boxes = boxes + noise.to(boxes) * jitter * size
    cut = torch.rand(n, generator=generator) < truncate_prob
    keep = min_keep + (1 - min_keep) * torch.rand(n, generator=generator)
    axis = torch.randint(0, 2, (n, ), generator=generator)  # 0: x, 1: y
    side = torch.randint(0, 2, (n, ), generator=generator)  # 0: keep low
    for i in torch.nonzero(cut).flatten().tolist():
        a = int(axis[i])
        lo, hi = float(boxes[i, a]), float(boxes[i, a + 2])
        length = (hi - lo) * float(keep[i])
        if side[i] == 0:
            boxes[i, a + 2] = lo + length
        else:
            boxes[i, a] = hi - length
    x2 = torch.maximum(boxes[:, 2], boxes[:, 0] + 1)
    y2 = torch.maximum(boxes[:, 3], boxes[:, 1] + 1)
    return torch.stack([boxes[:, 0], boxes[:, 1], x2, y2], 1)
