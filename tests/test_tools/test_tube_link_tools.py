# Copyright (c) OpenMMLab. All rights reserved.
"""get_flops.py and benchmark_fps.py on the Tube-Link configs (every config
also goes through get_flops.py in test_get_flops.py's slow sweep, and the
R50 parameter counts are checked by test_real_resolution.py)."""
import glob
import importlib.util
import os.path as osp

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(
    glob.glob(osp.join(ROOT, 'configs', 'tube_link', 'tube-link_*.py')))
TINY = [c for c in CONFIGS if '_toy' in osp.basename(c)]
R50 = [c for c in CONFIGS if '_toy' not in osp.basename(c)]
VPS = osp.join(ROOT, 'configs', 'tube_link',
               'tube-link_r18-w16_1xb2-1k_toy-kitti-step.py')
VIPSEG = osp.join(ROOT, 'configs', 'tube_link',
                  'tube-link_r50_16xb1-8e_vipseg.py')


def _load_tool(name):
    path = osp.join(ROOT, 'tools', 'analysis_tools', f'{name}.py')
    spec = importlib.util.spec_from_file_location(f'_tube_{name}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _fps(config, shape=('32', '64'), frames='4', *extra):
    """benchmark_fps.py with the timed frames as one clip (cut into the
    test tubes by the model; VIS needs it)."""
    return _load_tool('benchmark_fps').main([
        config, '--shape', *shape, '--frames', frames, '--warmup', '1',
        '--threads', '1', '--device', 'cpu', '--clip', *extra
    ])


def test_config_lists():
    # VPS 1k and 3k, VIS 1k and 2k (stride-2 masks), VSS
    assert len(TINY) == 5 and len(R50) == 6


def test_tiny_vps_flops_and_fps(capsys):
    """A clip of 2 frames is one tube: the backbone and pixel decoder cost
    twice one frame's, the queries' decoder runs once."""
    flops = _load_tool('get_flops')
    one = flops.main([VPS, '--shape', '32', '64', '--device', 'cpu'])
    two = flops.main([VPS, '--shape', '32', '64', '--num-frames', '2',
                      '--device', 'cpu'])
    assert one['params'] == 1348727  # the README's 1.35 M
    assert one['flops'] < two['flops'] < 2 * one['flops']
    res = _fps(VPS)
    assert res['fps'] > 0 and res['network_fps'] > 0 and res['clip']
    out = capsys.readouterr().out
    assert 'device: cpu' in out and 'one clip per call' in out


def test_benchmark_fps_vis_needs_clip():
    vis = [c for c in TINY if 'youtube-vis' in c][0]
    with pytest.raises(ValueError, match='pass --clip'):
        _load_tool('benchmark_fps').main([
            vis, '--shape', '32', '64', '--frames', '1', '--warmup', '0',
            '--device', 'cpu'
        ])


@pytest.mark.slow  # ~10 s each on an idle CPU
@pytest.mark.parametrize(
    'config', [c for c in TINY if c != VPS], ids=osp.basename)
def test_tiny_vis_vss_flops_and_fps(config):
    from mmengine.config import Config

    from mmvidseg.registry import MODELS
    from mmvidseg.utils import register_all_modules
    res = _load_tool('get_flops').main(
        [config, '--shape', '32', '64', '--device', 'cpu'])
    register_all_modules(init_default_scope=True)
    model = MODELS.build(Config.fromfile(config).model)
    assert res['params'] == sum(p.numel() for p in model.parameters())
    assert res['flops'] > 0 and _fps(config)['fps'] > 0


@pytest.mark.slow  # an R50 Mask2Former: ~15 s
def test_r50_vipseg_fps_in_tubes():
    # no ImageNet download: the backbone keeps its random initialisation
    res = _fps(VIPSEG, ('64', '96'), '2', '--cfg-options',
               'model.backbone.init_cfg=None')
    assert res['fps'] > 0 and res['network_fps'] > 0
