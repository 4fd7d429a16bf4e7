# Copyright (c) OpenMMLab. All rights reserved.
"""tools/model_converters/polyphonicformer2mmvidseg.py.

No checkpoint is downloaded: the official state dicts are built here, key
by key, from the release's model definitions (HarborYuan/PolyphonicFormer
at 0a25c5c: ``configs/_base_/models/polyphonic_former.py`` and
``configs/polyphonic_video/poly_r50_cityscapes_1x.py``,
``polyphonic/kernel_head.py`` (``KernelHead`` with the depth branch),
``polyphonic/funcs/semantic_fpn.py`` (``SemanticFPNWrapper``, 2 aux convs),
``polyphonic/kernel_update_head.py`` (``KernelUpdateHead`` with the depth
query layers), ``polyphonic/funcs/kernel_updator.py`` and
``polyphonic/video/track_heads.py`` (the RoI track head)), converted, and
loaded into our R50 models.
"""
import importlib.util
import os.path as osp
import re
import sys
from collections import OrderedDict

import pytest
import torch
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = osp.join(ROOT, 'configs', 'polyphonicformer')
IMAGE_R50 = osp.join(CONFIGS,
                     'polyphonicformer_r50_8xb1-192e_cityscapes-dvps-image.py')
VIDEO_R50 = osp.join(CONFIGS,
                     'polyphonicformer_r50_8xb2-48e_cityscapes-dvps.py')


def _tool():
    name = '_model_converter_polyphonicformer2mmvidseg'
    if name not in sys.modules:
        path = osp.join(ROOT, 'tools', 'model_converters',
                        'polyphonicformer2mmvidseg.py')
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
def _ln(prefix, c, out):
    out[f'{prefix}.weight'] = (c, )
    out[f'{prefix}.bias'] = (c, )


def _linear(prefix, cin, cout, out, bias=True):
    out[f'{prefix}.weight'] = (cout, cin)
    if bias:
        out[f'{prefix}.bias'] = (cout, )


def _conv_gn(prefix, cin, cout, k, out):
    """mmcv ConvModule with GN: no conv bias, norm ``gn``."""
    out[f'{prefix}.conv.weight'] = (cout, cin, k, k)
    _ln(f'{prefix}.gn', cout, out)


def _mha(prefix, c, out):
    out[f'{prefix}.attn.in_proj_weight'] = (3 * c, c)
    out[f'{prefix}.attn.in_proj_bias'] = (3 * c, )
    _linear(f'{prefix}.attn.out_proj', c, c, out)


def _ffn(prefix, c, ff, out):
    _linear(f'{prefix}.layers.0.0', c, ff, out)
    _linear(f'{prefix}.layers.1', ff, c, out)


def _updator(prefix, c, out):
    """KernelUpdator (feat 256, LN, gate_norm_act=False)."""
    _linear(f'{prefix}.dynamic_layer', c, 2 * c, out)
    _linear(f'{prefix}.input_layer', c, 2 * c, out)
    _linear(f'{prefix}.input_gate', c, c, out)
    _linear(f'{prefix}.update_gate', c, c, out)
    for norm in ('norm_in', 'norm_out', 'input_norm_in', 'input_norm_out'):
        _ln(f'{prefix}.{norm}', c, out)
    _linear(f'{prefix}.fc_layer', c, c, out)
    _ln(f'{prefix}.fc_norm', c, out)


def official_polyphonic_shapes(num_classes=19, num_proposals=100, c=256,
                               ff=2048, num_stages=3, video=True):
    """Key -> shape of the release's R50 heads (``polyphonic_former.py``
    base model; ``video``: ``poly_r50_cityscapes_1x``'s track head)."""
    out = OrderedDict()
    fpn = 'rpn_head.localization_fpn'
    # SemanticFPNWrapper(start_level=0, end_level=3, upsample_times=2): level
    # 0 one stride-2 conv, level i >= 1 i convs; conv_pred; 2 aux convs
    for level, convs in enumerate((1, 1, 2, 3)):
        for j in range(convs):
            _conv_gn(f'{fpn}.convs_all_levels.{level}.conv{j}', c, c, 3, out)
    _conv_gn(f'{fpn}.conv_pred', c, c, 1, out)
    for j in range(2):
        _conv_gn(f'{fpn}.aux_convs.{j}', c, c, 1, out)
    out['rpn_head.init_kernels.weight'] = (num_proposals, c, 1, 1)
    out['rpn_head.conv_seg.weight'] = (num_classes, c, 1, 1)
    out['rpn_head.conv_seg.bias'] = (num_classes, )
    for name in ('loc_convs', 'seg_convs', 'depth_convs'):
        _conv_gn(f'rpn_head.{name}.0', c, c, 1, out)
    out['rpn_head.conv_direct_depth.weight'] = (1, c, 1, 1)
    out['rpn_head.conv_direct_depth.bias'] = (1, )
    for s in range(num_stages):
        h = f'roi_head.mask_head.{s}'
        for d in ('', '_depth'):
            _mha(f'{h}.attention{d}', c, out)
            _ln(f'{h}.attention_norm{d}', c, out)
            _updator(f'{h}.kernel_update_conv{d}', c, out)
            _ffn(f'{h}.ffn{d}', c, ff, out)
            _ln(f'{h}.ffn_norm{d}', c, out)
        for t in ('feat_transform', 'feat_depth_transform'):
            # ConvModule(conv_cfg=Conv2d, act_cfg=None): no norm, bias
            out[f'{h}.{t}.conv.weight'] = (c, c, 1, 1)
            out[f'{h}.{t}.conv.bias'] = (c, )
        for fcs in ('cls_fcs', 'mask_fcs', 'depth_regs'):
            _linear(f'{h}.{fcs}.0', c, c, out, bias=False)
            _ln(f'{h}.{fcs}.1', c, out)
        _linear(f'{h}.fc_cls', c, num_classes, out)  # sigmoid focal loss
        _linear(f'{h}.fc_mask', c, c, out)
        _linear(f'{h}.fc_depth', c, c, out)
    if video:
        # QuasiDenseMaskEmbedHeadGTMask(num_convs=4, num_fcs=1, GN), on
        # 7x7 RoIAlign features; fc_out_channels 1024 (default)
        for i in range(4):
            _conv_gn(f'track_head.convs.{i}', c, c, 3, out)
        _linear('track_head.fcs.0', c * 49, 1024, out)
        _linear('track_head.fc_embed', 1024, c, out)
    return out


def official_polyphonic_state_dict(video=True):
    """Random tensors under the official names; backbone and neck as
    mmdet's ResNet-50 / FPN name them (the same in mmdet 2.x)."""
    from mmdet.models.backbones import ResNet
    from mmdet.models.necks import FPN
    torch.manual_seed(0)
    state = OrderedDict()
    for prefix, module in (('backbone', ResNet(depth=50)),
                           ('neck', FPN([256, 512, 1024, 2048], 256, 4))):
        for key, value in module.state_dict().items():
            state[f'{prefix}.{key}'] = torch.randn_like(value.float()).to(
                value.dtype) if value.is_floating_point() else value
    for key, shape in official_polyphonic_shapes(video=video).items():
        state[key] = torch.randn(shape)
    return state


# ----------------------------------------------------------------- tests
def test_polyphonicformer_image_official_loads_strict():
    tool = _tool()
    official = official_polyphonic_state_dict(video=False)
    converted, dropped = tool.convert_polyphonicformer(official)
    assert dropped == []
    model = _build(IMAGE_R50)
    model.load_state_dict(converted, strict=True)
    ours = model.state_dict()
    s = 'roi_head.mask_head.1'
    pairs = {
        'semantic_fpn.loc_conv.conv.weight':
        'rpn_head.localization_fpn.conv_pred.conv.weight',
        'semantic_fpn.sem_conv.gn.weight':
        'rpn_head.localization_fpn.aux_convs.0.gn.weight',
        'semantic_fpn.depth_conv.conv.weight':
        'rpn_head.localization_fpn.aux_convs.1.conv.weight',
        'proposal_head.conv_direct_depth.weight':
        'rpn_head.conv_direct_depth.weight',
        'proposal_head.depth_convs.0.gn.bias':
        'rpn_head.depth_convs.0.gn.bias',
        'iter_head.stages.1.feat_depth_transform.weight':
        f'{s}.feat_depth_transform.conv.weight',
        'iter_head.stages.1.depth_attention.attn.in_proj_weight':
        f'{s}.attention_depth.attn.in_proj_weight',
        'iter_head.stages.1.depth_attention_norm.weight':
        f'{s}.attention_norm_depth.weight',
        'iter_head.stages.1.depth_ffn.layers.1.weight':
        f'{s}.ffn_depth.layers.1.weight',
        'iter_head.stages.1.depth_fcs.0.weight': f'{s}.depth_regs.0.weight',
        'iter_head.stages.1.kernel_update_conv_depth.fc_layer.weight':
        f'{s}.kernel_update_conv_depth.fc_layer.weight',
        'iter_head.stages.1.fc_depth.bias': f'{s}.fc_depth.bias',
        'iter_head.stages.1.attention.attn.out_proj.weight':
        f'{s}.attention.attn.out_proj.weight',
        'iter_head.stages.1.fc_cls.weight': f'{s}.fc_cls.weight',
    }
    for mine, theirs in pairs.items():
        assert torch.equal(ours[mine], official[theirs]), mine
    # BGR (the release) -> RGB (ours)
    assert torch.equal(ours['backbone.conv1.weight'],
                       official['backbone.conv1.weight'].flip(1))


def test_polyphonicformer_converter_cli(tmp_path, capsys):
    tool = _tool()
    official = OrderedDict([
        ('module.backbone.conv1.weight', torch.randn(4, 3, 7, 7)),
        ('module.rpn_head.conv_direct_depth.weight', torch.randn(1, 4, 1, 1)),
        ('module.track_head.fc_embed.weight', torch.randn(4, 6)),
    ])
    src, dst = str(tmp_path / 'official.pth'), str(tmp_path / 'ours.pth')
    torch.save(dict(state_dict=official, meta=dict(epoch=12)), src)
    assert tool.main([src, dst]) == ['track_head.fc_embed.weight']
    assert 'dropped 1 tensors (24 parameters), the RoI track head' in \
        capsys.readouterr().out
    checkpoint = torch.load(dst, weights_only=True)
    assert checkpoint['meta']['dropped'] == ['track_head.fc_embed.weight']
    assert torch.equal(checkpoint['state_dict']['backbone.conv1.weight'],
                       official['module.backbone.conv1.weight'].flip(1))
    tool.main([src, dst, '--keep-input-channels'])
    assert torch.equal(
        torch.load(dst, weights_only=True)['state_dict']
        ['backbone.conv1.weight'], official['module.backbone.conv1.weight'])


def test_polyphonicformer_video_official_drops_the_roi_track_head():
    tool = _tool()
    official = official_polyphonic_state_dict(video=True)
    converted, dropped = tool.convert_polyphonicformer(official)
    assert dropped == [k for k in official if k.startswith('track_head.')]
    assert len(dropped) == 16
    model = _build(VIDEO_R50)
    result = model.load_state_dict(converted, strict=False)
    assert result.unexpected_keys == []
    # missing: exactly our association layers, which the release lacks
    assert result.missing_keys and all(
        re.match(r'^(iter_head\.stages\.2\.(link|fusion)_|embed_head\.|'
                 r'embed_fcs\.|fc_embed\.)', k)
        for k in result.missing_keys), result.missing_keys


def test_polyphonicformer_converter_errors():
    tool = _tool()
    with pytest.raises(ValueError, match='not an official PolyphonicFormer'):
        tool.convert_polyphonicformer(
            {'rpn_head.conv_seg.weight': torch.zeros(1)})
    state = {'module.rpn_head.conv_direct_depth.weight': torch.zeros(1),
             'roi_head.mask_head.0.attention_previous.attn.in_proj_bias':
             torch.zeros(1)}
    with pytest.raises(ValueError, match='1 official keys have no place in '
                       'this model: roi_head.mask_head.0.attention_previous'
                       r'\.attn\.in_proj_bias'):
        tool.convert_polyphonicformer(state)
    # DataParallel prefixes are removed
    out, _ = tool.convert_polyphonicformer(
        {'module.rpn_head.conv_direct_depth.weight': torch.zeros(1)})
    assert list(out) == ['proposal_head.conv_direct_depth.weight']
