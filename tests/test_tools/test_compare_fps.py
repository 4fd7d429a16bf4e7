# Copyright (c) OpenMMLab. All rights reserved.
"""compare_fps.py: TransVOD Lite against TransVOD on the tiny configs."""
import importlib.util
import os.path as osp

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = osp.join(ROOT, 'configs', 'transvod')
LITE = osp.join(CONFIGS, 'transvod-lite_r18-w16_1xb1-1k_toy-imagenet-vid.py')
TRANSVOD = osp.join(CONFIGS, 'transvod_r18-w16_1xb1-1k_toy-imagenet-vid.py')


def _tool():
    path = osp.join(ROOT, 'tools', 'analysis_tools', 'compare_fps.py')
    spec = importlib.util.spec_from_file_location('_compare_fps', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_lite_against_transvod_same_window(capsys):
    res = _tool().main([
        LITE, TRANSVOD, '--shape', '32', '48', '--frames', '2', '--warmup',
        '0', '--rounds', '1', '--threads', '1', '--device', 'cpu'
    ])
    # TransVOD: the key frame + 4 references; Lite: clips of 5 frames
    assert res['window'] == 5
    assert res['model']['frames_per_call'] == 5
    assert res['model']['timed_frames'] == 5
    assert res['compare']['frames_per_call'] == 1
    assert res['compare']['timed_frames'] == 2
    assert res['speed_ratio'] == pytest.approx(
        res['compare']['seconds_per_frame'] /
        res['model']['seconds_per_frame'])
    assert 'per-frame speed ratio' in capsys.readouterr().out


def test_variant_times_a_third_model(capsys):
    """``--variant-cfg-options``: TransVOD recomputing its references per
    key frame (the release's inference) timed in the same run."""
    res = _tool().main([
        LITE, TRANSVOD, '--shape', '32', '48', '--frames', '1', '--warmup',
        '0', '--rounds', '1', '--threads', '1', '--device', 'cpu',
        '--variant-cfg-options', 'model.test_cfg.reuse_ref_outputs=False'
    ])
    assert res['variant']['frames_per_call'] == 1
    assert res['variant']['cfg_options'] == {
        'model.test_cfg.reuse_ref_outputs': False
    }
    assert res['variant_speed_ratio'] == pytest.approx(
        res['variant']['seconds_per_frame'] /
        res['model']['seconds_per_frame'])
    assert 'first config / the variant' in capsys.readouterr().out
    with pytest.raises(ValueError, match=r'\(5 and 5 and 3\)'):
        _tool().main([
            LITE, TRANSVOD, '--shape', '32', '48', '--device', 'cpu',
            '--variant-cfg-options', 'model.num_ref_frames=2'
        ])


def test_different_windows_are_refused():
    with pytest.raises(ValueError, match=r'different numbers of frames '
                       r'\(5 and 4\).*model.num_ref_frames=4'):
        _tool().main([
            LITE, TRANSVOD, '--shape', '32', '48', '--frames', '1',
            '--device', 'cpu', '--compare-cfg-options',
            'model.num_ref_frames=3'
        ])
