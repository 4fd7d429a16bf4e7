# Copyright (c) OpenMMLab. All rights reserved.
import argparse
import os
import os.path as osp

import pytest
from mmengine.config import Config, DictAction

from mmvidseg.testing.cli import last_json_line, short_run_options
from mmvidseg.testing.toy_formats import write_small_davis


def test_short_run_options_parse_into_a_config(tmp_path):
    opts = short_run_options('/data/x', 3, extra=['model.a=2'])
    assert opts[0] == '--cfg-options'
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    parsed = parser.parse_args(opts).cfg_options
    cfg = Config(
        dict(
            model=dict(a=1),
            train_cfg=dict(max_iters=100, val_interval=10),
            **{
                f'{s}_dataloader': dict(
                    num_workers=2, persistent_workers=True,
                    dataset=dict(data_root='data/'))
                for s in ('train', 'val', 'test')
            }))
    cfg.merge_from_dict(parsed)
    assert cfg.model.a == 2
    assert cfg.train_cfg == dict(max_iters=3, val_interval=3)
    for split in ('train', 'val', 'test'):
        assert cfg[f'{split}_dataloader'].dataset.data_root == '/data/x'
    for split in ('train', 'val'):
        assert cfg[f'{split}_dataloader'].num_workers == 0
        assert cfg[f'{split}_dataloader'].persistent_workers is False


def test_last_json_line():
    assert last_json_line('a\n{"x": 1}\nb\n{"y": 2}\n') == {'y': 2}
    with pytest.raises(AssertionError, match='no JSON'):
        last_json_line('a\nb')


@pytest.mark.parametrize('with_flow', [True, False])
def test_write_small_davis(tmp_path, with_flow):
    root = write_small_davis(str(tmp_path), with_flow=with_flow)
    sets = osp.join(root, 'ImageSets', '2017')
    train = open(osp.join(sets, 'train.txt')).read().split()
    val = open(osp.join(sets, 'val.txt')).read().split()
    assert (len(train), len(val)) == (3, 2)
    frames = osp.join(root, 'JPEGImages', '480p', val[0])
    assert len(os.listdir(frames)) == 5
    assert osp.isdir(osp.join(root, 'Flow', '480p')) == with_flow
