# Copyright (c) OpenMMLab. All rights reserved.
"""tools/model_converters/transvod2mmvidseg.py.

No checkpoint is downloaded: the official state dicts are built here, key
by key, from the release's model definitions (SJTU-LuHe/TransVOD at
5a44640: ``models/backbone.py`` (torchvision ResNet-50 with
FrozenBatchNorm2d under ``backbone.0.body``), ``models/deformable_detr_
{single,multi}.py`` (``input_proj``, ``query_embed``, box-refinement
``class_embed`` / ``bbox_embed`` clones shared with ``transformer.decoder.
bbox_embed``, ``temp_class_embed`` / ``temp_bbox_embed``, 31 classes),
``models/deformable_transformer_multi.py`` (encoder / decoder layers,
``temporal_encoder_layer``, ``temporal_query_layer1..3``,
``temporal_decoder``) and ``configs/r50_train_{single,multi}.sh`` (DC5, 1
level, 300 queries, 14 reference frames)), converted, and loaded with
``strict=True`` into our R50 models.
"""
import argparse
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
MULTI = osp.join(ROOT, 'configs', 'transvod',
                 'transvod_r50-dc5_8xb1-7e_imagenet-vid.py')
SINGLE = osp.join(ROOT, 'configs', 'transvod',
                  'transvod-single_r50-dc5_8xb4-8e_imagenet-vid.py')
# the release's input_proj conv has a bias (see the converter's docstring)
NECK_BIAS = {'model.detector.neck.bias': True}


def _tool():
    name = '_model_converter_transvod2mmvidseg'
    if name not in sys.modules:
        path = osp.join(ROOT, 'tools', 'model_converters',
                        'transvod2mmvidseg.py')
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def _build(config, **options):
    from mmvidseg.registry import MODELS
    from mmvidseg.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(options)
    return MODELS.build(cfg.model)


# ------------------------------------------------- official key layout
def _linear(prefix, cin, cout, out):
    out[f'{prefix}.weight'] = (cout, cin)
    out[f'{prefix}.bias'] = (cout, )


def _ln(prefix, c, out):
    out[f'{prefix}.weight'] = (c, )
    out[f'{prefix}.bias'] = (c, )


def _mha(prefix, c, out):
    """torch nn.MultiheadAttention."""
    out[f'{prefix}.in_proj_weight'] = (3 * c, c)
    out[f'{prefix}.in_proj_bias'] = (3 * c, )
    _linear(f'{prefix}.out_proj', c, c, out)


def _msda(prefix, c, levels, out, heads=8, points=4):
    """The release's models/ops MSDeformAttn."""
    _linear(f'{prefix}.sampling_offsets', c, heads * levels * points * 2, out)
    _linear(f'{prefix}.attention_weights', c, heads * levels * points, out)
    _linear(f'{prefix}.value_proj', c, c, out)
    _linear(f'{prefix}.output_proj', c, c, out)


def _ffn(prefix, c, ff, out):
    _linear(f'{prefix}.linear1', c, ff, out)
    _linear(f'{prefix}.linear2', ff, c, out)


def _decoder_layer(prefix, c, ff, out):
    """DeformableTransformerDecoderLayer (also the TDTD's layer)."""
    _msda(f'{prefix}.cross_attn', c, 1, out)
    _ln(f'{prefix}.norm1', c, out)
    _mha(f'{prefix}.self_attn', c, out)
    _ln(f'{prefix}.norm2', c, out)
    _ffn(prefix, c, ff, out)
    _ln(f'{prefix}.norm3', c, out)


def _mlp(prefix, c, out):
    """MLP(hidden, hidden, 4, 3): layers.0..2."""
    for j, cout in enumerate((c, c, 4)):
        _linear(f'{prefix}.layers.{j}', c, cout, out)


def official_transvod_shapes(multi=True, c=256, ff=1024, queries=300,
                             classes=31, refs=14):
    """Key -> shape of the release's R50 model without its backbone:
    ``vid_multi`` (``multi=True``) or ``vid_single``."""
    out = OrderedDict()
    out['input_proj.0.0.weight'] = (c, 2048, 1, 1)  # nn.Conv2d: with bias
    out['input_proj.0.0.bias'] = (c, )
    _ln('input_proj.0.1', c, out)  # GroupNorm(32, 256)
    for i in range(6):  # with_box_refine: 6 clones each
        _linear(f'class_embed.{i}', c, classes, out)
    for i in range(6):
        _mlp(f'bbox_embed.{i}', c, out)
    out['query_embed.weight'] = (queries, 2 * c)
    out['transformer.level_embed'] = (1, c)
    for i in range(6):
        layer = f'transformer.encoder.layers.{i}'
        _msda(f'{layer}.self_attn', c, 1, out)
        _ln(f'{layer}.norm1', c, out)
        _ffn(layer, c, ff, out)
        _ln(f'{layer}.norm2', c, out)
    for i in range(6):
        _decoder_layer(f'transformer.decoder.layers.{i}', c, ff, out)
    for i in range(6):  # the box-refinement hack: the same modules again
        _mlp(f'transformer.decoder.bbox_embed.{i}', c, out)
    _linear('transformer.reference_points', c, 2, out)
    if not multi:
        return out
    _linear('temp_class_embed', c, classes, out)
    _mlp('temp_bbox_embed', c, out)
    tdte = 'transformer.temporal_encoder_layer'
    _msda(f'{tdte}.cross_attn', c, refs, out)  # one level per ref frame
    _ln(f'{tdte}.norm1', c, out)
    _mha(f'{tdte}.self_attn', c, out)
    _ln(f'{tdte}.norm2', c, out)
    _ffn(tdte, c, ff, out)
    _ln(f'{tdte}.norm3', c, out)
    for k in (1, 2, 3):
        tqe = f'transformer.temporal_query_layer{k}'
        _mha(f'{tqe}.self_attn', c, out)
        _ln(f'{tqe}.norm2', c, out)
        _mha(f'{tqe}.cross_attn', c, out)
        _ln(f'{tqe}.norm1', c, out)
        _ffn(tqe, c, ff, out)
        _ln(f'{tqe}.norm3', c, out)
    _decoder_layer('transformer.temporal_decoder.layers.0', c, ff, out)
    return out


def official_transvod_state_dict(multi=True):
    """Random tensors under the release's names; the backbone as
    torchvision's ResNet-50 names it (the same names as mmdet's) with
    FrozenBatchNorm2d buffers (no ``num_batches_tracked``)."""
    from mmdet.models.backbones import ResNet
    torch.manual_seed(0)
    state = OrderedDict()
    for key, value in ResNet(depth=50).state_dict().items():
        if not key.endswith('num_batches_tracked'):
            state[f'backbone.0.body.{key}'] = torch.randn_like(value)
    for key, shape in official_transvod_shapes(multi).items():
        state[key] = torch.randn(shape)
    # the shared box-refinement modules are one set of tensors
    for key in list(state):
        if key.startswith('transformer.decoder.bbox_embed.'):
            state[key] = state[key[len('transformer.decoder.'):]]
    return state


def official_tqe_layer(state, prefix, query, ref):
    """The release's ``TemporalQueryEncoderLayer.forward`` in eval mode
    (no positions), written from its definition; (L, N, C) tensors."""

    def mha(name, q, kv):
        attn = nn.MultiheadAttention(q.shape[-1], 8)
        attn.load_state_dict({
            n: state[f'{prefix}.{name}.{n}']
            for n in ('in_proj_weight', 'in_proj_bias', 'out_proj.weight',
                      'out_proj.bias')
        })
        return attn.eval()(q, kv, kv)[0]

    def norm(name, x):
        return F.layer_norm(x, x.shape[-1:], state[f'{prefix}.{name}.weight'],
                            state[f'{prefix}.{name}.bias'])

    def linear(name, x):
        return F.linear(x, state[f'{prefix}.{name}.weight'],
                        state[f'{prefix}.{name}.bias'])

    tgt = norm('norm2', query + mha('self_attn', query, query))
    tgt = norm('norm1', tgt + mha('cross_attn', tgt, ref))
    return norm('norm3', tgt + linear('linear2',
                                      F.relu(linear('linear1', tgt))))


# ----------------------------------------------------------------- tests
def test_transvod_multi_official_loads_strict():
    tool = _tool()
    official = official_transvod_state_dict(multi=True)
    converted, dropped = tool.convert_transvod(official)
    model = _build(MULTI, **NECK_BIAS)
    model.load_state_dict(converted, strict=True)
    # dropped: the 6 x 6 shared box tensors and row 0 of 7 class layers
    assert sum(k.startswith('transformer.decoder.bbox_embed.')
               for k in dropped) == 36
    assert sorted(k for k in dropped if k.endswith('[0]')) == sorted(
        [f'class_embed.{i}.{p}[0]' for i in range(6)
         for p in ('weight', 'bias')] +
        [f'temp_class_embed.{p}[0]' for p in ('weight', 'bias')])
    ours = model.state_dict()
    pairs = {
        'detector.neck.convs.0.conv.bias': 'input_proj.0.0.bias',
        'detector.neck.convs.0.gn.weight': 'input_proj.0.1.weight',
        'detector.query_embedding.weight': 'query_embed.weight',
        'detector.level_embed': 'transformer.level_embed',
        'detector.reference_points_fc.weight':
        'transformer.reference_points.weight',
        'detector.bbox_head.reg_branches.3.4.weight':
        'bbox_embed.3.layers.2.weight',
        'detector.encoder.layers.2.norms.0.weight':
        'transformer.encoder.layers.2.norm1.weight',
        'detector.encoder.layers.2.ffn.layers.1.bias':
        'transformer.encoder.layers.2.linear2.bias',
        'detector.decoder.layers.5.norms.0.weight':
        'transformer.decoder.layers.5.norm2.weight',
        'detector.decoder.layers.5.norms.1.bias':
        'transformer.decoder.layers.5.norm1.bias',
        'detector.decoder.layers.5.self_attn.attn.in_proj_weight':
        'transformer.decoder.layers.5.self_attn.in_proj_weight',
        'detector.decoder.layers.5.cross_attn.sampling_offsets.weight':
        'transformer.decoder.layers.5.cross_attn.sampling_offsets.weight',
        'temporal_encoder.cross_attn.sampling_offsets.weight':
        'transformer.temporal_encoder_layer.cross_attn.sampling_offsets.'
        'weight',
        'temporal_encoder.norms.1.weight':
        'transformer.temporal_encoder_layer.norm1.weight',
        'query_encoder.2.cross_attn.attn.out_proj.weight':
        'transformer.temporal_query_layer3.cross_attn.out_proj.weight',
        'temporal_decoder.layers.0.norms.2.weight':
        'transformer.temporal_decoder.layers.0.norm3.weight',
        'temporal_head.reg_branches.0.2.bias':
        'temp_bbox_embed.layers.1.bias',
        'detector.backbone.layer4.0.downsample.1.running_var':
        'backbone.0.body.layer4.0.downsample.1.running_var',
    }
    for mine, theirs in pairs.items():
        assert torch.equal(ours[mine], official[theirs]), mine
    # class rows: ours = the release's rows 1..30
    assert torch.equal(ours['detector.bbox_head.cls_branches.5.weight'],
                       official['class_embed.5.weight'][1:])
    assert torch.equal(ours['temporal_head.cls_branches.0.bias'],
                       official['temp_class_embed.bias'][1:])
    assert int(ours['detector.backbone.bn1.num_batches_tracked']) == 0

    # a renamed TQE layer computes what the release's computes (norm2 is
    # applied first)
    torch.manual_seed(1)
    query, ref = torch.randn(2, 6, 256), torch.randn(2, 9, 256)
    with torch.no_grad():
        mine = model.query_encoder[1].eval()(query, ref)
        theirs = official_tqe_layer(
            official, 'transformer.temporal_query_layer2',
            query.transpose(0, 1), ref.transpose(0, 1)).transpose(0, 1)
    torch.testing.assert_close(mine, theirs, atol=1e-4, rtol=1e-4)

    # the release never runs its TDTE: without it (temporal_encoder=None)
    # our model computes as the release does
    no_tdte, dropped = tool.convert_transvod(official, drop_tdte=True)
    tdte = [k for k in official
            if k.startswith('transformer.temporal_encoder_layer.')]
    assert len(tdte) == 22 and set(tdte) <= set(dropped)
    _build(MULTI, **NECK_BIAS, **{
        'model.temporal_encoder': None
    }).load_state_dict(no_tdte, strict=True)


def test_transvod_single_official_loads_strict():
    tool = _tool()
    official = official_transvod_state_dict(multi=False)
    converted, _ = tool.convert_transvod(official)
    _build(SINGLE, **NECK_BIAS).load_state_dict(converted, strict=True)
    # our stock config has no input_proj bias: strict loading names it
    with pytest.raises(RuntimeError, match='neck.convs.0.conv.bias'):
        _build(SINGLE).load_state_dict(converted, strict=True)
    assert not any(n.startswith('the release never runs')
                   for n in tool.notes(converted))


def test_transvod_converter_cli(tmp_path, capsys):
    tool = _tool()
    official = OrderedDict([
        ('module.transformer.decoder.layers.0.norm2.weight',
         torch.randn(4)),
        ('module.class_embed.0.weight', torch.randn(31, 4)),
        ('module.transformer.temporal_encoder_layer.linear1.bias',
         torch.randn(8)),
    ])
    src, dst = str(tmp_path / 'checkpoint0006.pth'), str(tmp_path / 'o.pth')
    # the release pickles its argparse arguments next to the weights
    torch.save(dict(model=official, epoch=6, args=argparse.Namespace(a=1)),
               src)
    with pytest.raises(ValueError, match='--trust-pickle'):
        tool.main([src, dst])
    dropped = tool.main([src, dst, '--trust-pickle'])
    assert dropped == ['class_embed.0.weight[0]']
    printed = capsys.readouterr().out
    assert 'never runs its TDTE' in printed and '--drop-tdte' in printed
    assert tool.main([src, str(tmp_path / 'no_tdte.pth'), '--trust-pickle',
                      '--drop-tdte']) == [
        'class_embed.0.weight[0]',
        'transformer.temporal_encoder_layer.linear1.bias'
    ]
    printed = capsys.readouterr().out
    assert 'and the unused TDTE' in printed and 'never runs' not in printed
    converted = torch.load(dst, weights_only=True)['state_dict']
    assert sorted(converted) == [
        'detector.bbox_head.cls_branches.0.weight',
        'detector.decoder.layers.0.norms.0.weight',
        'temporal_encoder.ffn.layers.0.0.bias']
    assert torch.equal(converted['detector.bbox_head.cls_branches.0.weight'],
                       official['module.class_embed.0.weight'][1:])


def test_transvod_converter_errors():
    tool = _tool()
    with pytest.raises(ValueError, match='not an official TransVOD'):
        tool.convert_transvod({'backbone.0.body.conv1.weight': torch.zeros(1)})
    base = {'transformer.decoder.layers.0.norm1.weight': torch.zeros(1)}
    with pytest.raises(ValueError, match='2 official keys have no place in '
                       'this model: transformer.decoder.layers.0.dropout9.'
                       'weight, transformer.enc_output.weight'):
        tool.convert_transvod(dict(
            base, **{'transformer.decoder.layers.0.dropout9.weight':
                     torch.zeros(1),
                     'transformer.enc_output.weight': torch.zeros(1)}))
    with pytest.raises(ValueError, match='91 class rows; expected 31'):
        tool.convert_transvod(dict(base, **{'class_embed.0.bias':
                                            torch.zeros(91)}))
    # 30 rows (no background slot) are kept as they are
    out, dropped = tool.convert_transvod(dict(base, **{'class_embed.0.bias':
                                                       torch.zeros(30)}))
    assert out['detector.bbox_head.cls_branches.0.bias'].shape == (30, )
    assert dropped == []
    with pytest.raises(ValueError, match='is not a copy of bbox_embed.0'):
        tool.convert_transvod(dict(base, **{
            'bbox_embed.0.layers.0.bias': torch.zeros(2),
            'transformer.decoder.bbox_embed.0.layers.0.bias':
            torch.ones(2)}))
