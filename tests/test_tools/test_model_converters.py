# Copyright (c) OpenMMLab. All rights reserved.
"""publish_model.py and the converters of official checkpoints.

No checkpoint is downloaded: the official state dicts are built here, key
by key, from the official model definitions (lxtGH/Video-K-Net at a693403:
``knet/video/knet_quansi_dense_embed_fc_joint_train.py``,
``knet/det/kernel_head.py``, ``knet/det/semantic_fpn_wrapper.py``,
``knet/video/kernel_update_head.py``, ``knet/kernel_updator.py``,
``knet/video/track_heads.py`` and the KITTI-STEP config
``video_knet_s3_r50_rpn_1x_kitti_step_sigmoid_stride2_mask_embed_link_ffn_
joint_train``; lxx1991/pytorch-voxel-flow at f7eec89:
``core/models/voxel_flow.py``), converted, and loaded with ``strict=True``.
"""
import argparse
import hashlib
import importlib.util
import os.path as osp
import re
import sys
from collections import OrderedDict

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
KNET_R50 = osp.join(ROOT, 'configs', 'video_knet',
                    'video-knet_r50_8xb1-24e_kitti-step.py')
DVF = osp.join(ROOT, 'configs', 'deep_voxel_flow',
               'dvf_unet-ms3_1xb32-400e_ucf101-triplets.py')


def _tool(name):
    module_name = f'_model_converter_{name}'
    if module_name not in sys.modules:
        path = osp.join(ROOT, 'tools', 'model_converters', f'{name}.py')
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    return sys.modules[module_name]


def _build(config, **options):
    from mmvidseg.registry import MODELS
    from mmvidseg.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(options)
    return MODELS.build(cfg.model)


# ----------------------------------------------------------- Video K-Net
def _ln(prefix, c, out):
    out[f'{prefix}.weight'] = (c, )
    out[f'{prefix}.bias'] = (c, )


def _conv_gn(prefix, cin, cout, k, out):
    """mmcv ConvModule with GN: no conv bias."""
    out[f'{prefix}.conv.weight'] = (cout, cin, k, k)
    _ln(f'{prefix}.gn', cout, out)


def _mha(prefix, c, out):
    out[f'{prefix}.attn.in_proj_weight'] = (3 * c, c)
    out[f'{prefix}.attn.in_proj_bias'] = (3 * c, )
    out[f'{prefix}.attn.out_proj.weight'] = (c, c)
    out[f'{prefix}.attn.out_proj.bias'] = (c, )


def _ffn(prefix, c, ff, out):
    out[f'{prefix}.layers.0.0.weight'] = (ff, c)
    out[f'{prefix}.layers.0.0.bias'] = (ff, )
    out[f'{prefix}.layers.1.weight'] = (c, ff)
    out[f'{prefix}.layers.1.bias'] = (c, )


def _linear(prefix, cin, cout, out, bias=True):
    out[f'{prefix}.weight'] = (cout, cin)
    if bias:
        out[f'{prefix}.bias'] = (cout, )


def official_video_knet_shapes(num_classes=19, num_proposals=100, c=256,
                               ff=2048, num_stages=3):
    """Key -> shape of the official KITTI-STEP R50 model's heads."""
    out = OrderedDict()
    fpn = 'rpn_head.localization_fpn'
    # SemanticFPNWrapper(start_level=0, end_level=3, upsample_times=2):
    # level 0 one stride-2 conv, level i >= 1 i convs
    for level, convs in enumerate((1, 1, 2, 3)):
        for j in range(convs):
            _conv_gn(f'{fpn}.convs_all_levels.{level}.conv{j}', c, c, 3, out)
    _conv_gn(f'{fpn}.conv_pred', c, c, 1, out)
    _conv_gn(f'{fpn}.aux_convs.0', c, c, 1, out)  # num_aux_convs=1
    # ConvKernelHead: init_kernels (no bias), conv_seg, 1 loc / seg conv
    out['rpn_head.init_kernels.weight'] = (num_proposals, c, 1, 1)
    out['rpn_head.conv_seg.weight'] = (num_classes, c, 1, 1)
    out['rpn_head.conv_seg.bias'] = (num_classes, )
    _conv_gn('rpn_head.loc_convs.0', c, c, 1, out)
    _conv_gn('rpn_head.seg_convs.0', c, c, 1, out)
    for s in range(num_stages):
        h = f'roi_head.mask_head.{s}'
        _mha(f'{h}.attention', c, out)
        _ln(f'{h}.attention_norm', c, out)
        u = f'{h}.kernel_update_conv'  # KernelUpdator
        _linear(f'{u}.dynamic_layer', c, 2 * c, out)
        _linear(f'{u}.input_layer', c, 2 * c, out)
        _linear(f'{u}.input_gate', c, c, out)
        _linear(f'{u}.update_gate', c, c, out)
        for norm in ('norm_in', 'norm_out', 'input_norm_in',
                     'input_norm_out'):
            _ln(f'{u}.{norm}', c, out)
        _linear(f'{u}.fc_layer', c, c, out)
        _ln(f'{u}.fc_norm', c, out)
        # feat_transform: ConvModule(conv_cfg=Conv2d, act_cfg=None), no norm
        out[f'{h}.feat_transform.conv.weight'] = (c, c, 1, 1)
        out[f'{h}.feat_transform.conv.bias'] = (c, )
        _ffn(f'{h}.ffn', c, ff, out)
        _ln(f'{h}.ffn_norm', c, out)
        _linear(f'{h}.cls_fcs.0', c, c, out, bias=False)
        _ln(f'{h}.cls_fcs.1', c, out)
        _linear(f'{h}.fc_cls', c, num_classes, out)  # sigmoid focal loss
        _linear(f'{h}.mask_fcs.0', c, c, out, bias=False)
        _ln(f'{h}.mask_fcs.1', c, out)
        _linear(f'{h}.fc_mask', c, c, out)
        # previous_type='ffn': built in every stage
        _mha(f'{h}.attention_previous', c, out)
        _ln(f'{h}.attention_previous_norm', c, out)
        _ffn(f'{h}.link_ffn', c, ff, out)
        _ln(f'{h}.link_ffn_norm', c, out)
    # QuasiDenseMaskEmbedHeadGTMask(num_convs=0, num_fcs=2)
    _linear('track_head.fcs.0', c, c, out)
    _linear('track_head.fcs.1', c, c, out)
    _linear('track_head.fc_embed', c, c, out)
    # the detector's embed_fcs (Linear without bias, LN, ReLU) + fc_embed
    _linear('embed_fcs.0', c, c, out, bias=False)
    _ln('embed_fcs.1', c, out)
    _linear('fc_embed', c, c, out)
    return out


def official_video_knet_state_dict():
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
    for key, shape in official_video_knet_shapes().items():
        state[key] = torch.randn(shape)
    return state


def test_video_knet_official_loads_strict(tmp_path, capsys):
    tool = _tool('video_knet2mmvidseg')
    official = official_video_knet_state_dict()
    src, dst = str(tmp_path / 'official.pth'), str(tmp_path / 'ours.pth')
    torch.save(dict(state_dict=official, meta=dict(epoch=12)), src)
    dropped = tool.main([src, dst])
    converted = torch.load(dst, weights_only=True)['state_dict']
    model = _build(KNET_R50)
    model.load_state_dict(converted, strict=True)
    # dropped: the link layers of stages 0 and 1 only, 1,315,072 each
    assert {re.match(r'roi_head\.mask_head\.(\d)', k).group(1)
            for k in dropped} == {'0', '1'}
    assert sum(official[k].numel() for k in dropped) == 2 * 1315072
    assert '2630144 parameters' in capsys.readouterr().out
    ours = model.state_dict()
    pairs = {
        'semantic_fpn.loc_conv.conv.weight':
        'rpn_head.localization_fpn.conv_pred.conv.weight',
        'semantic_fpn.sem_conv.conv.weight':
        'rpn_head.localization_fpn.aux_convs.0.conv.weight',
        'iter_head.stages.1.feat_transform.weight':
        'roi_head.mask_head.1.feat_transform.conv.weight',
        'iter_head.stages.2.link_attention.attn.in_proj_weight':
        'roi_head.mask_head.2.attention_previous.attn.in_proj_weight',
        'embed_head.fc_embed.weight': 'track_head.fc_embed.weight',
        'proposal_head.conv_seg.weight': 'rpn_head.conv_seg.weight',
    }
    for mine, theirs in pairs.items():
        assert torch.equal(ours[mine], official[theirs]), mine
    # BGR -> RGB input
    assert torch.equal(ours['backbone.conv1.weight'],
                       official['backbone.conv1.weight'].flip(1))
    kept, _ = tool.convert_video_knet(official, reverse_input_channels=False)
    assert torch.equal(kept['backbone.conv1.weight'],
                       official['backbone.conv1.weight'])


def test_video_knet_converter_errors():
    tool = _tool('video_knet2mmvidseg')
    with pytest.raises(ValueError, match='not an official Video K-Net'):
        tool.convert_video_knet({'backbone.conv1.weight': torch.zeros(1)})
    state = {'roi_head.mask_head.0.fc_cls.weight': torch.zeros(1),
             'rpn_head.extra_thing.weight': torch.zeros(1)}
    with pytest.raises(ValueError, match='1 official keys have no place in '
                       'this model: rpn_head.extra_thing.weight'):
        tool.convert_video_knet(state)
    # DataParallel prefixes are removed
    out, _ = tool.convert_video_knet(
        {'module.roi_head.mask_head.0.fc_cls.weight': torch.zeros(1)})
    assert list(out) == ['iter_head.stages.0.fc_cls.weight']


def test_video_knet_cli_counts_dropped_dataparallel_keys(tmp_path, capsys):
    tool = _tool('video_knet2mmvidseg')
    src, dst = str(tmp_path / 'dp.pth'), str(tmp_path / 'ours.pth')
    torch.save({
        'module.roi_head.mask_head.0.link_ffn.layers.1.bias': torch.zeros(3),
        'module.roi_head.mask_head.1.link_ffn.layers.1.bias': torch.zeros(3)
    }, src)
    assert tool.main([src, dst]) == [
        'roi_head.mask_head.0.link_ffn.layers.1.bias']
    assert 'dropped 1 tensors (3 parameters)' in capsys.readouterr().out


# ------------------------------------------------------ Deep Voxel Flow
OFFICIAL_DVF = OrderedDict([  # name: (out, in, kernel) of VoxelFlow
    ('conv1', (64, 6, 5)), ('conv2', (128, 64, 5)), ('conv3', (256, 128, 3)),
    ('bottleneck', (256, 256, 3)), ('deconv1', (256, 512, 3)),
    ('deconv2', (128, 384, 5)), ('deconv3', (64, 192, 5))
])


def official_voxel_flow_state_dict(with_tracked=True):
    torch.manual_seed(0)
    state = OrderedDict()
    for name, (cout, cin, k) in OFFICIAL_DVF.items():
        state[f'{name}.weight'] = 0.05 * torch.randn(cout, cin, k, k)
        bn = f'{name}_bn'
        state[f'{bn}.weight'] = 1 + 0.1 * torch.randn(cout)
        state[f'{bn}.bias'] = 0.1 * torch.randn(cout)
        state[f'{bn}.running_mean'] = 0.1 * torch.randn(cout)
        state[f'{bn}.running_var'] = 1 + torch.rand(cout)
        if with_tracked:
            state[f'{bn}.num_batches_tracked'] = torch.tensor(100)
    state['conv4.weight'] = 0.05 * torch.randn(3, 64, 5, 5)
    state['conv4.bias'] = 0.1 * torch.randn(3)
    return state


def official_voxel_flow_tanh(state, x):
    """The release's ``VoxelFlow.forward`` up to ``tanh(conv4)``, in eval
    mode, written from its definition."""

    def block(name, t):
        t = F.conv2d(t, state[f'{name}.weight'],
                     padding=state[f'{name}.weight'].shape[-1] // 2)
        bn = f'{name}_bn'
        t = F.batch_norm(t, state[f'{bn}.running_mean'],
                         state[f'{bn}.running_var'], state[f'{bn}.weight'],
                         state[f'{bn}.bias'], False, 0.0, 1e-5)
        return F.relu(t)

    def up(t):
        return F.interpolate(t, scale_factor=2, mode='bilinear',
                             align_corners=False)

    conv1 = block('conv1', x)
    conv2 = block('conv2', F.max_pool2d(conv1, 2))
    conv3 = block('conv3', F.max_pool2d(conv2, 2))
    t = block('bottleneck', F.max_pool2d(conv3, 2))
    t = block('deconv1', torch.cat([up(t), conv3], 1))
    t = block('deconv2', torch.cat([up(t), conv2], 1))
    t = block('deconv3', torch.cat([up(t), conv1], 1))
    return torch.tanh(F.conv2d(t, state['conv4.weight'],
                               state['conv4.bias'], padding=2))


def test_voxel_flow_official_loads_strict_and_computes_the_same(tmp_path):
    tool = _tool('pytorch_voxel_flow2mmvidseg')
    official = official_voxel_flow_state_dict()
    src, dst = str(tmp_path / 'best.pth.tar'), str(tmp_path / 'ours.pth')
    torch.save(dict(epoch=400, state_dict=official, best_PSNR=35.0), src)
    assert tool.main([src, dst]) == []
    converted = torch.load(dst, weights_only=True)['state_dict']
    model = _build(DVF, **{'model.backbone.num_scales': 1})
    model.load_state_dict(converted, strict=True)
    model.eval()
    # the release's input: two BGR frames; ours: the same frames in RGB
    bgr = torch.randn(1, 6, 32, 48)
    rgb = bgr[:, [2, 1, 0, 5, 4, 3]]
    with torch.no_grad():
        ours = model.backbone(rgb)['voxel_flow']
    expected = official_voxel_flow_tanh(official, bgr)
    # the same sums in another channel order: float rounding only
    torch.testing.assert_close(ours, expected, atol=1e-4, rtol=1e-4)


def test_voxel_flow_converter_old_checkpoints_and_errors():
    tool = _tool('pytorch_voxel_flow2mmvidseg')
    old = official_voxel_flow_state_dict(with_tracked=False)
    converted, notes = tool.convert_voxel_flow(old)
    assert len(notes) == 7 and 'PyTorch < 0.4.1' in notes[0]
    assert int(converted['backbone.scales.0.encoder.0.bn.'
                         'num_batches_tracked']) == 0
    bad = official_voxel_flow_state_dict()
    del bad['deconv2.weight']
    with pytest.raises(ValueError, match='deconv2.weight is missing'):
        tool.convert_voxel_flow(bad)
    extra = official_voxel_flow_state_dict()
    extra['conv5.weight'] = torch.zeros(1)
    with pytest.raises(ValueError, match='no place in this model: '
                       'conv5.weight'):
        tool.convert_voxel_flow(extra)


def test_refuses_unsafe_pickle_without_trust(tmp_path):
    tool = _tool('video_knet2mmvidseg')
    path = str(tmp_path / 'unsafe.pth')

    # a config object, as the release stores under 'arch': a weights-only
    # load refuses it
    torch.save(dict(state_dict={}, arch=argparse.Namespace(lr=1)), path)
    with pytest.raises(ValueError, match='--trust-pickle'):
        tool.load_state_dict(path)
    assert tool.load_state_dict(path, trust_pickle=True) == {}


# -------------------------------------------------------- publish_model
def test_publish_model(tmp_path):
    from mmengine.logging import MessageHub
    tool = _tool('publish_model')
    hub = MessageHub.get_instance('publish_test')
    hub.update_scalar('train/loss', 1.0)
    src = str(tmp_path / 'epoch_12.pth')
    weights = OrderedDict(w=torch.ones(2, 2))
    torch.save(
        dict(meta=dict(epoch=12, seed=0), state_dict=weights,
             optimizer=dict(state={}, param_groups=[dict(lr=0.1)]),
             param_schedulers=[dict(last_epoch=12)],
             message_hub=hub.state_dict()), src)
    out = tool.main([src, str(tmp_path / 'pub' / 'model.pth'), '--date',
                     '20260101'])
    name = osp.basename(out)
    assert re.fullmatch(r'model_20260101-[0-9a-f]{8}\.pth', name)
    with open(out, 'rb') as f:
        assert hashlib.sha256(f.read()).hexdigest()[:8] == name[-12:-4]
    published = torch.load(out, weights_only=True)
    assert sorted(published) == ['meta', 'state_dict']
    assert torch.equal(published['state_dict']['w'], weights['w'])
    with pytest.raises(ValueError, match='YYYYMMDD'):
        tool.publish(src, str(tmp_path / 'x.pth'), date='2026-01-01')
    with pytest.raises(ValueError, match='must end with .pth'):
        tool.publish(src, str(tmp_path / 'x.ckpt'))
    with pytest.raises(FileNotFoundError, match='does not exist'):
        tool.publish(str(tmp_path / 'none.pth'), str(tmp_path / 'x.pth'))
    with pytest.raises(ValueError, match='no "state_dict"'):
        tool.strip_checkpoint(dict(meta={}))
