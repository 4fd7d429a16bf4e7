# Copyright (c) OpenMMLab. All rights reserved.
"""KernelUpdateHead: frames and clips, kernel fusion and linking, init."""
import pytest
import torch
from mmengine.registry import init_default_scope

from mmvidseg.models import KernelUpdateHead


@pytest.fixture(autouse=True)
def scope():
    init_default_scope('mmvidseg')
    torch.manual_seed(0)


def _head(**kwargs):
    return KernelUpdateHead(5, in_channels=16, feedforward_channels=32,
                            num_heads=4, **kwargs)


def test_kernel_update_head_frame_and_clip():
    head = _head()
    head.init_weights()
    x = torch.randn(2, 16, 8, 12)
    kernels = torch.randn(2, 7, 16)
    out = head(x, kernels, torch.randn(2, 7, 4, 6))
    assert out['cls_scores'].shape == (2, 7, 5)
    assert out['mask_preds'].shape == (2, 7, 8, 12)
    assert out['kernels'].shape == (2, 7, 16)
    # without linking the track kernels are the kernels
    assert out['track_kernels'] is out['kernels']
    clip = head(torch.randn(2, 3, 16, 8, 12), kernels,
                torch.randn(2, 7, 3, 8, 12))
    assert clip['mask_preds'].shape == (2, 7, 3, 8, 12)
    # classifier bias prior 0.01
    assert torch.allclose(head.fc_cls.bias.sigmoid(),
                          torch.full((5, ), 0.01), atol=1e-6)


def test_kernel_update_head_fusion_and_link():
    head = _head(with_fusion=True, with_link=True)
    head.eval()
    x, kernels = torch.randn(1, 16, 8, 12), torch.randn(1, 7, 16)
    masks = torch.randn(1, 7, 8, 12)
    alone = head(x, kernels, masks)
    prev = torch.randn(1, 7, 16)
    linked = head(x, kernels, masks, prev_kernels=prev)
    # fusion changes the kernels, linking gives separate track kernels
    assert not torch.allclose(alone['kernels'], linked['kernels'])
    assert not torch.allclose(linked['track_kernels'], linked['kernels'])
    other = head(x, kernels, masks, prev_kernels=torch.randn(1, 7, 16))
    assert not torch.allclose(other['track_kernels'],
                              linked['track_kernels'])


def test_kernel_update_head_layers():
    """The interaction layers of the official checkpoints' names, in the
    official order, only where switched on."""
    names = [n for n, _ in _head().named_children()]
    assert names == [
        'feat_transform', 'kernel_update_conv', 'attention',
        'attention_norm', 'ffn', 'ffn_norm', 'cls_fcs', 'fc_cls',
        'mask_fcs', 'fc_mask'
    ]
    names = [
        n for n, _ in _head(with_fusion=True, with_link=True).named_children()
    ]
    assert names[6:17] == [
        'fusion_update_conv', 'fusion_attention', 'fusion_attention_norm',
        'fusion_ffn', 'fusion_ffn_norm', 'link_attention',
        'link_attention_norm', 'link_ffn', 'link_ffn_norm', 'cls_fcs',
        'fc_cls'
    ]
    # the three attention blocks do not share weights
    head = _head(with_fusion=True, with_link=True)
    assert len({
        id(head.attention), id(head.fusion_attention),
        id(head.link_attention)
    }) == 3


def test_kernel_update_head_honours_init_cfg():
    head = _head(init_cfg=dict(type='Constant', layer='Linear', val=0.5,
                               bias=0.25))
    head.init_weights()
    assert torch.all(head.fc_cls.weight == 0.5)
    assert torch.all(head.fc_cls.bias == 0.25)
    assert torch.all(head.fc_mask.weight == 0.5)
    # without init_cfg: the official Xavier init and bias prior
    official = _head()
    official.init_weights()
    assert not torch.all(official.fc_mask.weight == 0.5)
    assert torch.allclose(official.fc_cls.bias.sigmoid(),
                          torch.full((5, ), 0.01), atol=1e-6)
