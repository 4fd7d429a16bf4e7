# Copyright (c) OpenMMLab. All rights reserved.
"""get_flops.py and benchmark_fps.py on the tiny Video K-Net config."""
import importlib.util
import os.path as osp

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY = osp.join(ROOT, 'configs', 'video_knet',
                'video-knet_r18-w16_1xb2-6k_toy-kitti-step.py')
R50 = osp.join(ROOT, 'configs', 'video_knet',
               'video-knet_r50_8xb1-24e_kitti-step.py')


def _load_tool(name):
    path = osp.join(ROOT, 'tools', 'analysis_tools', f'{name}.py')
    spec = importlib.util.spec_from_file_location(f'_knet_{name}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_get_flops_counts_params_and_flops(capsys):
    from mmengine.config import Config

    from mmvidseg.registry import MODELS
    from mmvidseg.utils import register_all_modules
    tool = _load_tool('get_flops')
    res = tool.main([TINY, '--shape', '32', '48', '--device', 'cpu'])
    out = capsys.readouterr().out
    assert 'device: cpu (CPU)' in out and 'params:' in out
    register_all_modules(init_default_scope=True)
    model = MODELS.build(Config.fromfile(TINY).model)
    assert res['params'] == sum(p.numel() for p in model.parameters())
    assert res['flops'] > 0
    # two frames cost about twice one frame
    res2 = tool.main([TINY, '--shape', '32', '48', '--num-frames', '2',
                      '--device', 'cpu'])
    assert res2['flops'] == pytest.approx(2 * res['flops'], rel=0.01)


def test_r50_kitti_step_builds_and_counts():
    """The R50 KITTI-STEP model: parameter count of the README."""
    tool = _load_tool('get_flops')
    from mmengine.config import Config
    cfg = Config.fromfile(R50)
    res = tool.count(cfg, (64, 192), 1, 'cpu')
    assert res['params'] == 39063948  # + embed_fcs, fc_embed (issue 11)


def test_benchmark_fps_runs_on_cpu(capsys):
    tool = _load_tool('benchmark_fps')
    res = tool.main([
        TINY, '--shape', '32', '48', '--frames', '2', '--warmup', '1',
        '--threads', '1', '--device', 'cpu'
    ])
    out = capsys.readouterr().out
    assert 'device: cpu' in out
    assert res['fps'] > 0 and res['network_fps'] > 0
    assert res['predict_over_network_time'] > 0


DVF_TOY = 'dvf_unet-tiny-ms2_1xb8-1k_toy-triplets.py'


def _model_configs():
    import glob
    return sorted(
        p for p in glob.glob(osp.join(ROOT, 'configs', '*', '*.py'))
        if '_base_' not in p)


@pytest.mark.parametrize('config', [
    pytest.param(
        c,
        id=osp.basename(c),
        # one fast case: Deep Voxel Flow, which used to traceback
        marks=[] if osp.basename(c) == DVF_TOY else [pytest.mark.slow])
    for c in _model_configs()
])
def test_every_config_gives_flops(config):
    """Toy configs at the shape from their pipelines, the others at a small
    shape (their full size is slow on the CPU; the default shapes are
    checked in test_shapes_from_the_pipelines)."""
    from mmengine.config import Config
    tool = _load_tool('get_flops')
    argv = [config, '--device', 'cpu']
    if '_toy' not in osp.basename(config):
        argv += ['--shape', '64', '128']
    res = tool.main(argv)
    assert res['flops'] > 0 and res['params'] > 0
    if '_toy' in osp.basename(config):
        shape, _ = tool.shape_from_config(Config.fromfile(config))
        assert tuple(res['input_shape'][-2:]) == shape


def test_shapes_from_the_pipelines():
    from mmengine.config import Config
    tool = _load_tool('get_flops')

    def shape(name):
        method = dict(dvf='deep_voxel_flow')[name.split('_')[0]] \
            if name.startswith('dvf') else 'video_knet'
        return tool.shape_from_config(
            Config.fromfile(osp.join(ROOT, 'configs', method, name)))

    assert shape('video-knet_r50_8xb1-24e_kitti-step.py') == (
        (384, 1248), "the test pipeline's Resize scale=(1248, 384)")
    cityscapes = shape('video-knet_r50_8xb1-12e_cityscapes-vps.py')
    assert cityscapes[0] == (1024, 2048)
    assert shape('video-knet_r50_8xb2-80k_vspw.py')[0] == (480, 853)
    # Deep Voxel Flow tests frames at their stored size: the training
    # resize (UCF-101) or crop (toy) gives the shape
    assert shape('dvf_unet-ms3_1xb32-400e_ucf101-triplets.py') == (
        (256, 256), "the train pipeline's TripletResize scale=(256, 256)")
    assert shape('dvf_unet-tiny-ms2_1xb8-1k_toy-triplets.py')[0] == (64, 64)
    # keep_ratio=False: exactly the scale
    cfg = Config(
        dict(test_dataloader=dict(dataset=dict(pipeline=[
            dict(type='mmdet.TransformBroadcaster', transforms=[
                dict(type='mmseg.Resize', scale=(200, 100), keep_ratio=False)
            ])
        ]))))
    assert tool.shape_from_config(cfg)[0] == (100, 200)
    with pytest.raises(ValueError, match='pass --shape H W'):
        tool.shape_from_config(Config(dict(test_dataloader=dict(
            dataset=dict(pipeline=[dict(type='LoadImageFromFile')])))))
    # no size in the pipelines: the model's test patch size (VS-ReID)
    assert tool.shape_from_config(Config(dict(
        model=dict(test_cfg=dict(patch_size=(48, 40))),
        test_dataloader=dict(dataset=dict(
            pipeline=[dict(type='LoadImageFromFile')])))))[0] == (48, 40)


def test_shape_option_overrides(capsys):
    tool = _load_tool('get_flops')
    res = tool.main([TINY, '--shape', '32', '64', '--device', 'cpu'])
    assert res['input_shape'] == [1, 1, 3, 32, 64]
    assert res['shape_from'] == '--shape'
    assert 'H and W from --shape' in capsys.readouterr().out
