# Copyright (c) OpenMMLab. All rights reserved.
"""The quasi-dense contrastive loss shared by Video K-Net and Tube-Link."""
import torch
from mmengine.registry import init_default_scope

from mmvidseg.models.heads.quasi_dense_embed import (build_embed_fcs,
                                                     quasi_dense_embed_loss)


def _head(aux=True):
    init_default_scope('mmvidseg')
    from mmvidseg.registry import MODELS
    return MODELS.build(
        dict(
            type='mmdet.QuasiDenseEmbedHead',
            num_fcs=1,
            roi_feat_size=1,
            in_channels=8,
            fc_out_channels=8,
            embed_channels=8,
            loss_track=dict(
                type='mmdet.MultiPosCrossEntropyLoss', loss_weight=0.25),
            loss_track_aux=dict(
                type='mmdet.L2Loss',
                neg_pos_ub=3,
                pos_margin=0,
                neg_margin=0.1,
                hard_mining=True,
                loss_weight=1.0) if aux else None))


def test_loss_prefers_matching_ids():
    head = _head()
    emb = torch.eye(3, 8) * 5
    ids = torch.tensor([1, 2, 3])
    good = quasi_dense_embed_loss(head, emb, ids, emb, ids)
    bad = quasi_dense_embed_loss(head, emb, ids, emb, ids.flip(0))
    assert good[0] < bad[0] and good[1] <= bad[1]
    assert quasi_dense_embed_loss(head, emb[:0], ids[:0], emb, ids) is None
    assert quasi_dense_embed_loss(_head(False), emb, ids, emb, ids)[1] is None


def test_build_embed_fcs():
    fcs, fc = build_embed_fcs(8, 2)
    assert len(fcs) == 6 and fc.out_features == 8
    assert build_embed_fcs(8, 0) == (None, None)
