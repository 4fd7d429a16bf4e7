# Copyright (c) OpenMMLab. All rights reserved.
"""KNetSemanticFPN: output shapes, the official conv layout, PE, errors."""
import pytest
import torch
from mmengine.registry import init_default_scope

from mmvidseg.models import KNetSemanticFPN


@pytest.fixture(autouse=True)
def scope():
    init_default_scope('mmvidseg')
    torch.manual_seed(0)


def _pyramid(batch=2, channels=16, height=32, width=48):
    return [
        torch.randn(batch, channels, height // 2**i, width // 2**i)
        for i in range(4)
    ]


@pytest.mark.parametrize('out_level', [0, 1])
def test_semantic_fpn_shapes(out_level):
    fpn = KNetSemanticFPN(16, 16, 24, out_level=out_level,
                          norm_cfg=dict(type='GN', num_groups=4))
    loc, sem = fpn(_pyramid())
    expect = (2, 24, 32 // 2**out_level, 48 // 2**out_level)
    assert loc.shape == expect and sem.shape == expect
    # official layout: level i has max(i, 1) convs
    assert [len([m for m in seq if hasattr(m, 'conv')])
            for seq in fpn.convs_all_levels] == [1, 1, 2, 3]
    # two separate output branches with their own weights
    assert fpn.loc_conv is not fpn.sem_conv
    assert fpn.loc_conv.conv.weight.shape == (24, 16, 1, 1)
    assert not torch.equal(loc, sem)


def test_semantic_fpn_positional_encoding_and_errors():
    fpn = KNetSemanticFPN(
        16, 16, 16,
        positional_encoding=dict(
            type='mmdet.SinePositionalEncoding', num_feats=8,
            normalize=True))
    feats = _pyramid()
    loc_pe, _ = fpn(feats)
    fpn.positional_encoding = None
    loc, _ = fpn(feats)
    assert not torch.allclose(loc, loc_pe)
    with pytest.raises(ValueError, match='out_level'):
        KNetSemanticFPN(16, 16, 16, start_level=1, out_level=0)
    with pytest.raises(ValueError, match='levels up to 3'):
        fpn(feats[:3])
