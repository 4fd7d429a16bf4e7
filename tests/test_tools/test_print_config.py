# Copyright (c) OpenMMLab. All rights reserved.
import importlib.util
import json
import os.path as osp

import pytest
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
_spec = importlib.util.spec_from_file_location(
    '_print_config', osp.join(ROOT, 'tools', 'misc', 'print_config.py'))
print_config = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(print_config)
CONFIG = osp.join(ROOT, 'configs', 'video_knet',
                  'video-knet_r18-w16_1xb2-6k_toy-kitti-step.py')


@pytest.mark.parametrize('suffix', ['.py', '.json'])
def test_print_and_save(tmp_path, capsys, suffix):
    saved = str(tmp_path / f'full{suffix}')
    cfg = print_config.main([
        CONFIG, '--cfg-options', 'train_dataloader.batch_size=7',
        'model.backbone.depth=34', '--save-path', saved
    ])
    text = capsys.readouterr().out
    # bases merged and options applied
    assert '_base_' not in text
    assert 'batch_size=7' in text and 'depth=34' in text
    assert cfg.train_dataloader.batch_size == 7
    assert cfg.default_scope == 'mmvidseg'   # from the runtime base
    # JSON has no tuples: compare as JSON
    back = Config.fromfile(saved)
    assert json.loads(json.dumps(back.to_dict())) == json.loads(
        json.dumps(cfg.to_dict()))


def test_errors(tmp_path):
    with pytest.raises(SystemExit, match='does not exist'):
        print_config.main([str(tmp_path / 'none.py')])
    with pytest.raises(SystemExit, match='must end with'):
        print_config.main([CONFIG, '--save-path', str(tmp_path / 'x.txt')])
