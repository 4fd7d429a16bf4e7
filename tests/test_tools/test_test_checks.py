# Copyright (c) OpenMMLab. All rights reserved.
"""tools/test.py refuses a bad checkpoint path before reading the config."""
import importlib.util
import os.path as osp
import subprocess

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs', 'frame_baseline',
                  'frame-baseline_fcn-r18-w16_1xb4-1k_toy-vspw.py')


@pytest.fixture(scope='module')
def test_tool():
    spec = importlib.util.spec_from_file_location(
        'mmvidseg_test_tool', osp.join(ROOT, 'tools', 'test.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_missing_checkpoint_fails_before_the_config(python, tmp_path):
    missing = str(tmp_path / 'nope.pth')
    out = subprocess.run([python, 'tools/test.py', CONFIG, missing],
                         cwd=ROOT,
                         capture_output=True,
                         text=True,
                         timeout=120)
    assert out.returncode == 2
    assert f"checkpoint '{missing}' does not exist" in out.stderr
    # nothing built or printed: no config dump, no runner log
    assert out.stdout == ''
    assert 'model = dict' not in out.stderr and 'mmengine' not in out.stderr
    assert len(out.stderr.splitlines()) < 15


def test_checkpoint_problems(test_tool, tmp_path):
    problem = test_tool.checkpoint_problem
    assert 'does not exist' in problem(str(tmp_path / 'x.pth'))
    assert 'is a directory' in problem(str(tmp_path))
    empty = tmp_path / 'empty.pth'
    empty.write_bytes(b'')
    assert 'is empty' in problem(str(empty))
    good = tmp_path / 'good.pth'
    good.write_bytes(b'PK')
    assert problem(str(good)) is None
    # remote checkpoints are left to mmengine's loader
    assert problem('https://example.com/model.pth') is None


def test_unreadable_checkpoint(test_tool, tmp_path, monkeypatch):
    path = tmp_path / 'locked.pth'
    path.write_bytes(b'PK')
    real_open = open

    def deny(name, *args, **kwargs):
        if str(name) == str(path):
            raise PermissionError(13, 'Permission denied')
        return real_open(name, *args, **kwargs)

    # root reads any file whatever its mode: simulate the refusal
    monkeypatch.setattr('builtins.open', deny)
    assert test_tool.checkpoint_problem(str(path)) == (
        f"checkpoint '{path}' cannot be read: Permission denied")


def test_use_tta_wraps_model_and_pipeline(test_tool):
    from mmengine.config import Config
    cfg = Config.fromfile(CONFIG)
    model = cfg.model.to_dict()
    test_tool.use_tta(cfg)
    assert cfg.model.type == 'VideoSegTTAModel'
    assert cfg.model.module == model
    pipeline = cfg.test_dataloader.dataset.pipeline
    assert [p['type'] for p in pipeline] == ['TestTimeAug']
    assert len(pipeline[0]['transforms'][0]) == 3  # scales x0.75 x1 x1.25
    # a config's own tta_model / tta_pipeline win
    cfg = Config.fromfile(CONFIG)
    cfg.tta_model = dict(type='VideoSegTTAModel', flip=False)
    cfg.tta_pipeline = [dict(type='LoadImageFromFile')]
    test_tool.use_tta(cfg)
    assert cfg.model.flip is False
    assert cfg.test_dataloader.dataset.pipeline == cfg.tta_pipeline


@pytest.mark.slow
def test_tta_end_to_end(python, tmp_path, toy_vspw_root):
    """tools/test.py --tta loads the checkpoint into the wrapped model and
    scores the merged predictions."""
    import json

    import torch
    from mmengine.config import Config

    from mmvidseg.registry import MODELS
    from mmvidseg.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    ckpt = str(tmp_path / 'init.pth')
    torch.manual_seed(0)
    torch.save(dict(state_dict=MODELS.build(
        Config.fromfile(CONFIG).model).state_dict()), ckpt)
    out = subprocess.run([
        python, 'tools/test.py', CONFIG, ckpt, '--tta', '--work-dir',
        str(tmp_path / 'work'), '--cfg-options',
        f'test_dataloader.dataset.data_root={toy_vspw_root}'
    ], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    metrics = json.loads(out.stdout.strip().splitlines()[-1])
    assert set(metrics) >= {'mIoU', 'mVC8'}
    assert 'missing keys' not in out.stderr + out.stdout
