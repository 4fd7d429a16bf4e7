# Copyright (c) OpenMMLab. All rights reserved.
"""Every config builds the model it built before (state-dict names, shapes
and parameter count), so existing checkpoints keep loading.

A change that renames or reshapes parameters on purpose updates
``tests/data/model_fingerprints.json`` and ships a checkpoint converter under
``tools/model_converters/``, or, when it adds layers that no converter can
fill (issue 11: Video K-Net's ``embed_fcs``), says so in the method README.
"""
import glob
import hashlib
import json
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
with open(osp.join(ROOT, 'tests', 'data', 'model_fingerprints.json')) as f:
    FINGERPRINTS = json.load(f)
CONFIGS = sorted(
    osp.relpath(p, ROOT)
    for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                       recursive=True) if '_base_' not in p)


def _without_init_cfg(cfg):
    """Drop every ``init_cfg`` (pretrained weights are not downloaded)."""
    if isinstance(cfg, dict):
        cfg.pop('init_cfg', None)
        for value in cfg.values():
            _without_init_cfg(value)
    elif isinstance(cfg, list):
        for value in cfg:
            _without_init_cfg(value)
    return cfg


def fingerprint(model):
    """Type, parameter count and a hash of the state-dict names/shapes."""
    entries = sorted(f'{name}:{tuple(value.shape)}'
                     for name, value in model.state_dict().items())
    return dict(
        type=type(model).__name__,
        params=sum(p.numel() for p in model.parameters()),
        state_dict_entries=len(entries),
        state_dict_sha1=hashlib.sha1('\n'.join(entries).encode()).hexdigest())


def test_every_config_has_a_fingerprint():
    assert CONFIGS == sorted(FINGERPRINTS)


@pytest.mark.parametrize('config', CONFIGS)
def test_config_builds_the_same_model(config):
    init_default_scope('mmvidseg')
    from mmvidseg.registry import MODELS
    cfg = Config.fromfile(osp.join(ROOT, config))
    model = MODELS.build(_without_init_cfg(cfg.model))
    assert fingerprint(model) == FINGERPRINTS[config]
