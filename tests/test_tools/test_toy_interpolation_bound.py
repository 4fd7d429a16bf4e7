# Copyright (c) OpenMMLab. All rights reserved.
"""tools/analysis_tools/toy_interpolation_bound.py on tiny hard videos."""
import importlib.util
import os.path as osp

import numpy as np
import pytest

from mmvidseg.testing import toy_video

TOOL = osp.join(
    osp.dirname(__file__), '..', '..', 'tools', 'analysis_tools',
    'toy_interpolation_bound.py')


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location('toy_bound', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


KW = dict(num_frames=4, height=32, width=48)


def test_linear_middle_moves_only_the_shaken_camera(tool, monkeypatch):
    original = toy_video._hard_camera
    real = toy_video.generate_toy_video(3, difficulty='hard', noise=0.0, **KW)
    oracle = tool.linear_middle(3, 1, **KW)
    assert toy_video._hard_camera is original  # restored
    # frames other than t + 1 are the real ones; t + 1 differs by the shake
    for t in (0, 1, 3):
        np.testing.assert_array_equal(oracle.images[t], real.images[t])
    assert not np.array_equal(oracle.images[2], real.images[2])

    # a camera on a straight line: the oracle is the real frame
    def linear(rng, num_frames, width, camera_speed):
        original(rng, num_frames, width, camera_speed)  # same draws
        return [(0.7 * t, 0.0) for t in range(num_frames)]

    monkeypatch.setattr(toy_video, '_hard_camera', linear)
    real = toy_video.generate_toy_video(3, difficulty='hard', noise=0.0, **KW)
    oracle = tool.linear_middle(3, 1, **KW)
    np.testing.assert_array_equal(oracle.images, real.images)


def test_interpolation_bound(tool):
    out = tool.interpolation_bound([1000], (0.0, 0.5), **KW)
    assert set(out) == {'average', 'oracle_sigma0', 'oracle_sigma0.5'}
    assert all(np.isfinite(v) and 10 < v < 60 for v in out.values())
    assert toy_video._hard_camera.__name__ == '_hard_camera'
    with pytest.raises(ValueError, match='num_frames >= 3'):
        tool.interpolation_bound([0], num_frames=2)
    with pytest.raises(ValueError, match='sigmas'):
        tool.interpolation_bound([0], (-1.0, ), **KW)
    with pytest.raises(ValueError, match='num-videos'):
        tool.main(['--num-videos', '0'])
