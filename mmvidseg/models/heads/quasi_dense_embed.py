# Copyright (c) OpenMMLab. All rights reserved.
"""Quasi-dense association embeddings of kernels / queries, shared by
Video K-Net (kernels of a key and a reference frame) and Tube-Link (queries
of a key and a reference tube)."""
from typing import Dict, List, Optional, Tuple

import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor


def build_embed_fcs(channels: int,
                    num_fcs: int) -> Tuple[Optional[nn.Module],
                                           Optional[nn.Module]]:
    """``embed_fcs`` (Linear without bias, LN, ReLU) x ``num_fcs`` and the
    ``fc_embed`` Linear placed before an embedding head (the official Video
    K-Net / Tube-Link layers).

    Args:
        channels (int): Input and output channels.
        num_fcs (int): Linear-LN-ReLU blocks; 0 builds nothing.

    Returns:
        tuple: ``(embed_fcs, fc_embed)``, both None when ``num_fcs <= 0``.
    """
    if num_fcs <= 0:
        return None, None
    layers = []
    for _ in range(num_fcs):
        layers += [
            nn.Linear(channels, channels, bias=False),
            nn.LayerNorm(channels),
            nn.ReLU(inplace=True)
        ]
    return nn.Sequential(*layers), nn.Linear(channels, channels)


def quasi_dense_embed_loss(
        embed_head: nn.Module, key_embeds: Tensor, key_ids: Tensor,
        ref_embeds: Tensor,
        ref_ids: Tensor) -> Optional[Tuple[Tensor, Optional[Tensor]]]:
    """Quasi-dense temporal contrastive loss between key and reference
    embeddings (QDTrack's, as Video K-Net and Tube-Link use it).

    Pairs with the same ground-truth track id are positives; key rows
    without any positive get zero weight.

    Args:
        embed_head (nn.Module): mmdet's ``QuasiDenseEmbedHead`` (its
            ``loss_track``, e.g. ``MultiPosCrossEntropyLoss``, and optional
            ``loss_track_aux``, e.g. ``L2Loss``).
        key_embeds (Tensor): (K, D) key embeddings.
        key_ids (Tensor): (K,) their track ids.
        ref_embeds (Tensor): (R, D) reference embeddings.
        ref_ids (Tensor): (R,) their track ids.

    Returns:
        tuple | None: ``(loss_track, loss_track_aux)`` (the latter None
        without an auxiliary loss); None when either side is empty.
    """
    if len(key_embeds) == 0 or len(ref_embeds) == 0:
        return None
    dists = key_embeds @ ref_embeds.t()
    targets = (key_ids[:, None] == ref_ids[None, :]).int()
    weights = (targets.sum(dim=1) > 0).float()
    loss_track = embed_head.loss_track(
        dists, targets, weights, avg_factor=weights.sum())
    loss_aux = None
    if embed_head.loss_track_aux is not None:
        cos = F.normalize(key_embeds, dim=1) @ F.normalize(
            ref_embeds, dim=1).t()
        loss_aux = embed_head.loss_track_aux(cos, targets.clone())
    return loss_track, loss_aux


def quasi_dense_embed_losses(embed_head: nn.Module,
                             pairs: List[Tuple[Tensor, Tensor, Tensor,
                                               Tensor]],
                             zero: Tensor) -> Dict[str, Tensor]:
    """:func:`quasi_dense_embed_loss` of each clip, averaged over the clips.

    Args:
        embed_head (nn.Module): mmdet's ``QuasiDenseEmbedHead``.
        pairs (list[tuple]): One ``(key_embeds (K, D), key_ids (K,),
            ref_embeds (R, D), ref_ids (R,))`` per clip.
        zero (Tensor): A zero scalar in the graph (e.g. ``kernels.sum() *
            0``), the loss of a clip with no pair.

    Returns:
        dict[str, Tensor]: ``loss_track`` (and ``loss_track_aux``).
    """
    loss_track = loss_aux = zero
    for key_embeds, key_ids, ref_embeds, ref_ids in pairs:
        pair = quasi_dense_embed_loss(embed_head, key_embeds, key_ids,
                                      ref_embeds, ref_ids)
        if pair is None:
            continue
        loss_track = loss_track + pair[0]
        if pair[1] is not None:
            loss_aux = loss_aux + pair[1]
    losses = dict(loss_track=loss_track / len(pairs))
    if embed_head.loss_track_aux is not None:
        losses['loss_track_aux'] = loss_aux / len(pairs)
    return losses
