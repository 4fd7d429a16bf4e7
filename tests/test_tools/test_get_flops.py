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
