# Copyright (c) OpenMMLab. All rights reserved.
"""tools/model_converters/tube_link2mmvidseg.py.

No checkpoint is downloaded: the official state dicts are built here, key
by key, from the official model definitions (lxtGH/Tube-Link at 524ecd7:
``models/video/tube_link_vps/tube_link_vps.py`` (``TubeLinkVPS``: link
layers, ``embed_fcs``, ``fc_embed``), ``models/video/tube_link_vps/
track_heads.py`` (``QuasiDenseMaskEmbedHeadGTMask``), ``models/video/
tube_link_vps/mask2former_video_head_custom_no_stuff_match.py`` and
``models/video/tube_link_vis/mask2former_video_head.py`` (the heads),
``mmdet/models/plugins/msdeformattn_pixel_decoder.py`` (vendored mmdet 2.x),
the mmcv 1.x ``BaseTransformerLayer`` naming (``attentions`` / ``ffns`` /
``norms`` lists in ``operation_order``), and the configs
``configs/video/vipseg/vipseg_tb_r50_8e.py`` and ``configs/video/_base_/
models/mask2former_tube_r50.py``), converted, and loaded with
``strict=True`` into our R50 models.
"""
import importlib.util
import os.path as osp
import sys
from collections import OrderedDict

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
VIPSEG_R50 = osp.join(ROOT, 'configs', 'tube_link',
                      'tube-link_r50_16xb1-8e_vipseg.py')
YTVIS_R50 = osp.join(ROOT, 'configs', 'tube_link',
                     'tube-link_r50_16xb2-15k_youtube-vis-2019.py')


def _tool():
    name = '_model_converter_tube_link2mmvidseg'
    if name not in sys.modules:
        path = osp.join(ROOT, 'tools', 'model_converters',
                        'tube_link2mmvidseg.py')
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def _build(config):
    from mmvidseg.registry import MODELS
    from mmvidseg.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    return MODELS.build(Config.fromfile(config).model)


# ------------------------------------------------- official key layout
def _norm(prefix, c, out):
    out[f'{prefix}.weight'] = (c, )
    out[f'{prefix}.bias'] = (c, )


def _linear(prefix, cin, cout, out, bias=True):
    out[f'{prefix}.weight'] = (cout, cin)
    if bias:
        out[f'{prefix}.bias'] = (cout, )


def _ffn(prefix, c, ff, out):
    """mmcv 1.x FFN, num_fcs=2: Sequential(Linear, act, drop), Linear."""
    _linear(f'{prefix}.layers.0.0', c, ff, out)
    _linear(f'{prefix}.layers.1', ff, c, out)


def _mha(prefix, c, out):
    """mmcv 1.x MultiheadAttention: an ``attn`` nn.MultiheadAttention."""
    out[f'{prefix}.attn.in_proj_weight'] = (3 * c, c)
    out[f'{prefix}.attn.in_proj_bias'] = (3 * c, )
    _linear(f'{prefix}.attn.out_proj', c, c, out)


def _conv_gn(prefix, cin, cout, k, bias, out):
    """mmcv ConvModule with GN (norm name ``gn``)."""
    out[f'{prefix}.conv.weight'] = (cout, cin, k, k)
    if bias:
        out[f'{prefix}.conv.bias'] = (cout, )
    _norm(f'{prefix}.gn', cout, out)


def official_tube_link_shapes(num_classes, vps=True, c=256, queries=100,
                              heads=8, levels=3, points=4):
    """Key -> shape of an official Tube-Link R50 model without its
    backbone: ``TubeLinkVPS`` (``vps=True``, ``track_link=True`` and a
    track head, as ``vipseg_tb_r50_8e``) or ``TubeLinkVIS``."""
    out = OrderedDict()
    pd = 'panoptic_head.pixel_decoder'
    # input_convs from the top level down (in_channels 2048, 1024, 512),
    # ConvModule(bias=True, GN, no act)
    for i, cin in enumerate((2048, 1024, 512)):
        _conv_gn(f'{pd}.input_convs.{i}', cin, c, 1, True, out)
    for i in range(6):  # DetrTransformerEncoder of BaseTransformerLayers
        layer = f'{pd}.encoder.layers.{i}'
        msda = f'{layer}.attentions.0'  # ('self_attn', 'norm', 'ffn', ...)
        _linear(f'{msda}.sampling_offsets', c, heads * levels * points * 2,
                out)
        _linear(f'{msda}.attention_weights', c, heads * levels * points, out)
        _linear(f'{msda}.value_proj', c, c, out)
        _linear(f'{msda}.output_proj', c, c, out)
        _ffn(f'{layer}.ffns.0', c, 1024, out)
        _norm(f'{layer}.norms.0', c, out)
        _norm(f'{layer}.norms.1', c, out)
    out[f'{pd}.level_encoding.weight'] = (levels, c)
    # one FPN level outside the encoder (stride 4): no conv bias with GN
    _conv_gn(f'{pd}.lateral_convs.0', 256, c, 1, False, out)
    _conv_gn(f'{pd}.output_convs.0', c, c, 3, False, out)
    out[f'{pd}.mask_feature.weight'] = (c, c, 1, 1)
    out[f'{pd}.mask_feature.bias'] = (c, )
    for i in range(9):  # ('cross_attn', 'norm', 'self_attn', 'norm', ...)
        layer = f'panoptic_head.transformer_decoder.layers.{i}'
        _mha(f'{layer}.attentions.0', c, out)  # cross_attn
        _mha(f'{layer}.attentions.1', c, out)  # self_attn
        _ffn(f'{layer}.ffns.0', c, 2048, out)
        for n in range(3):
            _norm(f'{layer}.norms.{n}', c, out)
    _norm('panoptic_head.transformer_decoder.post_norm', c, out)
    out['panoptic_head.query_embed.weight'] = (queries, c)
    out['panoptic_head.query_feat.weight'] = (queries, c)
    out['panoptic_head.level_embed.weight'] = (levels, c)
    _linear('panoptic_head.cls_embed', c, num_classes + 1, out)
    for i in (0, 2, 4):
        _linear(f'panoptic_head.mask_embed.{i}', c, c, out)
    if not vps:
        return out
    # TubeLinkVPS: num_emb_fcs=1 (Linear without bias, LN, ReLU), fc_embed
    _linear('embed_fcs.0', c, c, out, bias=False)
    _norm('embed_fcs.1', c, out)
    _linear('fc_embed', c, c, out)
    # QuasiDenseMaskEmbedHeadGTMask(num_convs=0, num_fcs=2)
    _linear('track_head.fcs.0', c, c, out)
    _linear('track_head.fcs.1', c, c, out)
    _linear('track_head.fc_embed', c, c, out)
    # track_link: 8 heads, FFN 1024
    _mha('attention_previous_track', c, out)
    _norm('attention_previous_norm_track', c, out)
    _ffn('link_ffn_track', c, 1024, out)
    _norm('link_ffn_norm_track', c, out)
    return out


def official_tube_link_state_dict(num_classes, vps=True):
    """Random tensors under the official names; the backbone as mmdet's
    ResNet-50 names it (the same in mmdet 2.x)."""
    from mmdet.models.backbones import ResNet
    torch.manual_seed(0)
    state = OrderedDict()
    for key, value in ResNet(depth=50).state_dict().items():
        state[f'backbone.{key}'] = torch.randn_like(value.float()).to(
            value.dtype) if value.is_floating_point() else value
    for key, shape in official_tube_link_shapes(num_classes, vps).items():
        state[key] = torch.randn(shape)
    return state


def official_decoder_layer(state, prefix, query, memory, query_pos,
                           memory_pos):
    """The official decoder layer in eval mode, written from mmcv 1.x
    ``BaseTransformerLayer`` with ``operation_order=('cross_attn', 'norm',
    'self_attn', 'norm', 'ffn', 'norm')``: ``attentions.0`` is the cross
    attention. Sequence-first tensors (L, N, C)."""

    def mha(name, q, k, v):
        attn = nn.MultiheadAttention(q.shape[-1], 8)
        attn.load_state_dict({
            n: state[f'{prefix}.{name}.attn.{n}']
            for n in ('in_proj_weight', 'in_proj_bias', 'out_proj.weight',
                      'out_proj.bias')
        })
        return attn.eval()(q, k, v)[0]

    def norm(i, x):
        return F.layer_norm(x, x.shape[-1:],
                            state[f'{prefix}.norms.{i}.weight'],
                            state[f'{prefix}.norms.{i}.bias'])

    q = norm(0, query + mha('attentions.0', query + query_pos,
                            memory + memory_pos, memory))
    q = norm(1, q + mha('attentions.1', q + query_pos, q + query_pos, q))
    hidden = F.relu(F.linear(q, state[f'{prefix}.ffns.0.layers.0.0.weight'],
                             state[f'{prefix}.ffns.0.layers.0.0.bias']))
    return norm(2, q + F.linear(hidden, state[
        f'{prefix}.ffns.0.layers.1.weight'],
        state[f'{prefix}.ffns.0.layers.1.bias']))


# ----------------------------------------------------------------- tests
def test_tube_link_vps_official_loads_strict():
    tool = _tool()
    official = official_tube_link_state_dict(124, vps=True)
    converted = tool.convert_tube_link(official, reverse_input_channels=True)
    assert len(converted) == len(official)  # nothing dropped
    model = _build(VIPSEG_R50)
    model.load_state_dict(converted, strict=True)
    ours = model.state_dict()
    dec, enc = ('panoptic_head.transformer_decoder.layers.4',
                'panoptic_head.pixel_decoder.encoder.layers.5')
    pairs = {
        f'{dec}.cross_attn.attn.in_proj_weight':
        f'{dec}.attentions.0.attn.in_proj_weight',
        f'{dec}.self_attn.attn.out_proj.weight':
        f'{dec}.attentions.1.attn.out_proj.weight',
        f'{dec}.ffn.layers.1.weight': f'{dec}.ffns.0.layers.1.weight',
        f'{enc}.self_attn.sampling_offsets.weight':
        f'{enc}.attentions.0.sampling_offsets.weight',
        f'{enc}.ffn.layers.0.0.bias': f'{enc}.ffns.0.layers.0.0.bias',
        'panoptic_head.cls_embed.weight': 'panoptic_head.cls_embed.weight',
        'link.attention.attn.in_proj_weight':
        'attention_previous_track.attn.in_proj_weight',
        'link.ffn_norm.weight': 'link_ffn_norm_track.weight',
        'embed_head.fcs.1.weight': 'track_head.fcs.1.weight',
        'embed_fcs.0.weight': 'embed_fcs.0.weight',
    }
    for mine, theirs in pairs.items():
        assert torch.equal(ours[mine], official[theirs]), mine
    # BGR (official VPS pipelines) -> RGB (ours)
    assert torch.equal(ours['backbone.conv1.weight'],
                       official['backbone.conv1.weight'].flip(1))

    # the renamed decoder layer computes what the official one computes
    # (attentions.0 is the cross attention)
    torch.manual_seed(1)
    query, query_pos = torch.randn(2, 5, 256), torch.randn(2, 5, 256)
    memory, memory_pos = torch.randn(2, 7, 256), torch.randn(2, 7, 256)
    layer = model.panoptic_head.transformer_decoder.layers[4].eval()
    with torch.no_grad():
        mine = layer(query=query, key=memory, value=memory,
                     query_pos=query_pos, key_pos=memory_pos)
        theirs = official_decoder_layer(
            official, dec, *(t.transpose(0, 1)
                             for t in (query, memory, query_pos,
                                       memory_pos))).transpose(0, 1)
    torch.testing.assert_close(mine, theirs, atol=1e-4, rtol=1e-4)


def test_tube_link_vis_official_loads_strict():
    tool = _tool()
    official = official_tube_link_state_dict(40, vps=False)
    # the official VIS pipelines feed RGB, as ours: nothing to reverse
    converted = tool.convert_tube_link(official, reverse_input_channels=False)
    model = _build(YTVIS_R50)
    model.load_state_dict(converted, strict=True)
    assert torch.equal(model.state_dict()['backbone.conv1.weight'],
                       official['backbone.conv1.weight'])


def test_tube_link_converter_errors(tmp_path):
    tool = _tool()
    with pytest.raises(ValueError, match='not an official Tube-Link'):
        tool.convert_tube_link({'backbone.conv1.weight': torch.zeros(1)},
                               False)
    state = OrderedDict([
        ('module.panoptic_head.transformer_decoder.post_norm.weight',
         torch.zeros(1)),
        ('panoptic_head.sem_seg_head.weight', torch.zeros(1)),
        ('panoptic_head.transformer_decoder.layers.0.attentions.2.x',
         torch.zeros(1)),
    ])
    with pytest.raises(ValueError, match='2 official keys have no place in '
                       'this model: panoptic_head.sem_seg_head.weight, '
                       r'panoptic_head\.transformer_decoder\.layers\.0\.'
                       r'attentions\.2\.x'):
        tool.convert_tube_link(state, False)
    # DataParallel prefixes are removed
    out = tool.convert_tube_link(dict(list(state.items())[:1]), False)
    assert list(out) == ['panoptic_head.transformer_decoder.post_norm.weight']


def test_tube_link_converter_cli(tmp_path, capsys):
    tool = _tool()
    src, dst = str(tmp_path / 'official.pth'), str(tmp_path / 'ours.pth')
    official = OrderedDict([
        ('backbone.conv1.weight', torch.randn(4, 3, 7, 7)),
        ('panoptic_head.transformer_decoder.layers.0.attentions.1.attn.'
         'in_proj_bias', torch.randn(12)),
    ])
    torch.save(dict(state_dict=official, meta=dict(epoch=8)), src)
    tool.main([src, dst, '--official-input', 'bgr'])
    assert 'input channels reversed' in capsys.readouterr().out
    checkpoint = torch.load(dst, weights_only=True)
    assert checkpoint['meta']['input_channels_reversed'] is True
    converted = checkpoint['state_dict']
    assert torch.equal(converted['backbone.conv1.weight'],
                       official['backbone.conv1.weight'].flip(1))
    assert torch.equal(
        converted['panoptic_head.transformer_decoder.layers.0.self_attn.'
                  'attn.in_proj_bias'],
        official['panoptic_head.transformer_decoder.layers.0.attentions.1.'
                 'attn.in_proj_bias'])
    # the same order on both sides: kept
    tool.main([src, dst, '--official-input', 'rgb'])
    assert torch.equal(
        torch.load(dst, weights_only=True)['state_dict']
        ['backbone.conv1.weight'], official['backbone.conv1.weight'])
    tool.main([src, dst, '--official-input', 'bgr', '--model-input', 'bgr'])
    assert not torch.load(dst, weights_only=True)['meta'][
        'input_channels_reversed']
    # the channel order of the official checkpoint must be given
    with pytest.raises(SystemExit):
        tool.parse_args([src, dst])
