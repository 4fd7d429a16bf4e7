# Copyright (c) OpenMMLab. All rights reserved.
import os
import os.path as osp
import subprocess

import mmdet
import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(
    ROOT, 'projects', 'mmdet_interop', 'configs',
    'frame-baseline_fcn-r18-w16_1xb4-1k_toy-vspw_mmdet-scope.py')
MMDET_TRAIN = osp.join(
    osp.dirname(mmdet.__file__), '.mim', 'tools', 'train.py')


@pytest.mark.slow
def test_mmdet_train_py_trains_with_mmvidseg_components(
        tmp_path, python, toy_vspw_root):
    assert osp.isfile(MMDET_TRAIN), 'mmdet ships tools/train.py in .mim'
    env = dict(os.environ, OMP_NUM_THREADS='1')
    # run from a folder outside the repo: only the installed package is used
    proc = subprocess.run([
        python, MMDET_TRAIN, CONFIG, '--work-dir',
        str(tmp_path / 'work'), '--cfg-options',
        f'train_dataloader.dataset.data_root={toy_vspw_root}',
        f'val_dataloader.dataset.data_root={toy_vspw_root}',
        f'test_dataloader.dataset.data_root={toy_vspw_root}',
        'train_cfg.max_iters=20', 'train_cfg.val_interval=20'
    ], cwd=str(tmp_path), env=env, capture_output=True, text=True,
        timeout=900)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    assert "default_scope = 'mmdet'" in log
    assert 'mIoU' in log and 'mVC8' in log
    assert (tmp_path / 'work' / 'iter_20.pth').is_file()
