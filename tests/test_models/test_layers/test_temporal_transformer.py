# Copyright (c) OpenMMLab. All rights reserved.
import pytest
import torch

from mmvidseg.models.layers import (TemporalDeformableEncoderLayer,
                                    TemporalQueryEncoderLayer,
                                    select_topk_queries)


def test_select_topk_queries_counts_and_order():
    queries = torch.arange(2 * 5).float().reshape(2, 5, 1).expand(-1, -1, 3)
    scores = torch.zeros(2, 5, 2)
    scores[0, 3, 1] = 0.9  # query 3 twice: both of its classes score high
    scores[0, 3, 0] = 0.8
    scores[0, 1, 0] = 0.7
    scores[1, 4, 0] = 0.5
    picked = select_topk_queries(queries, scores, 3)
    assert picked.shape == (2, 3, 3)
    assert picked[0, :, 0].tolist() == [3., 3., 1.]
    assert picked[1, 0, 0].item() == 9.  # clip 1, query 4
    for k in (1, 6, 10):
        assert select_topk_queries(queries, scores, k).shape == (2, k, 3)
    with pytest.raises(ValueError, match='k=11'):
        select_topk_queries(queries, scores, 11)
    with pytest.raises(ValueError, match='queries'):
        select_topk_queries(queries, scores[:, :4], 2)


def test_temporal_encoder_layer_uses_references():
    torch.manual_seed(0)
    layer = TemporalDeformableEncoderLayer(
        embed_dims=16, num_ref_frames=3, num_heads=2, num_points=2,
        feedforward_channels=32, dropout=0.0)
    layer.init_weights()
    h, w = 4, 5
    query = torch.randn(2, h * w, 16)
    pos = torch.randn(2, h * w, 16)
    refs = torch.randn(2, 3 * h * w, 16, requires_grad=True)
    shape = torch.tensor([[h, w]])
    ratios = torch.ones(2, 1, 2)
    out = layer(query, pos, refs, shape, ratios)
    assert out.shape == (2, h * w, 16)
    out.sum().backward()
    assert refs.grad.abs().sum() > 0
    other = layer(query, pos, refs * 2, shape, ratios)
    assert not torch.allclose(out, other)
    with pytest.raises(ValueError, match='3 reference'):
        layer(query, pos, refs[:, :2 * h * w], shape, ratios)


def test_temporal_query_encoder_layer():
    layer = TemporalQueryEncoderLayer(
        embed_dims=16, num_heads=2, feedforward_channels=32, dropout=0.0)
    query, ref = torch.randn(2, 7, 16), torch.randn(2, 9, 16)
    out = layer(query, ref)
    assert out.shape == (2, 7, 16)
    assert not torch.allclose(out, layer(query, ref + 1))


def test_hard_query_mining_keeps_each_query_once():
    from mmvidseg.models.layers import hard_query_mining
    scores = torch.zeros(2, 5, 2)
    scores[0, 3] = torch.tensor([0.8, 0.9])  # best query, two classes
    scores[0, 1, 0] = 0.7
    scores[1, 4, 1] = 0.5
    queries = torch.arange(10.).reshape(2, 5, 1).expand(-1, -1, 3)
    boxes = torch.rand(2, 5, 4)
    index, picked, kept = hard_query_mining(scores, 2, queries, boxes)
    assert index[0].tolist() == [3, 1] and index[1, 0].item() == 4
    assert picked[0, :, 0].tolist() == [3., 1.]
    assert torch.equal(kept[1, 0], boxes[1, 4])
    with pytest.raises(ValueError, match='k=6'):
        hard_query_mining(scores, 6)
    with pytest.raises(ValueError, match='does not match'):
        hard_query_mining(scores, 2, boxes[:, :4])


def test_query_roi_fusion_reads_each_query_box():
    """A query's output changes when the feature inside its box changes,
    not when the feature elsewhere does."""
    from mmvidseg.models.layers import QueryRoIFusion
    torch.manual_seed(0)
    layer = QueryRoIFusion(embed_dims=16, num_heads=2, roi_size=3,
                           dynamic_channels=4, feedforward_channels=32)
    layer.init_weights()
    layer.eval()
    layer.self_attn.attn.out_proj.weight.data.zero_()  # queries separate
    layer.self_attn.attn.out_proj.bias.data.zero_()
    query = torch.randn(1, 2, 16)
    feature = torch.randn(1, 16, 8, 12)
    # query 0 left half, query 1 right half, of a 64x96 frame (stride 8)
    boxes = torch.tensor([[[0.2, 0.5, 0.3, 0.8], [0.8, 0.5, 0.3, 0.8]]])
    size = torch.tensor([[96., 64.]])
    out = layer(query, feature, boxes, size, 1 / 8)
    assert out.shape == (1, 2, 16)
    changed = feature.clone()
    changed[..., 8:] += 5  # the right part only
    out2 = layer(query, changed, boxes, size, 1 / 8)
    assert torch.allclose(out[0, 0], out2[0, 0], atol=1e-5)
    assert not torch.allclose(out[0, 1], out2[0, 1], atol=1e-3)
    with pytest.raises(ValueError, match='disagree'):
        layer(query, feature, boxes[:, :1], size, 1 / 8)
