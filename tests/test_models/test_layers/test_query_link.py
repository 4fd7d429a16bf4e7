# Copyright (c) OpenMMLab. All rights reserved.
import torch

from mmvidseg.models.layers import QueryLink


def test_query_link_shapes_and_dependence_on_reference():
    torch.manual_seed(0)
    link = QueryLink(16, num_heads=4, feedforward_channels=32)
    key, ref = torch.randn(2, 5, 16), torch.randn(2, 7, 16)
    out = link(key, ref)
    assert out.shape == (2, 5, 16)
    # the last op is a LayerNorm: zero mean per query
    assert torch.allclose(out.mean(-1), torch.zeros(2, 5), atol=1e-5)
    assert not torch.allclose(out, link(key, torch.randn(2, 7, 16)))
