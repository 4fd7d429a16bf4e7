# Copyright (c) OpenMMLab. All rights reserved.
"""Every Video K-Net config builds its model and its pipelines."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.dataset import Compose

from mmvidseg.registry import MODELS
from mmvidseg.utils import register_all_modules

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
CONFIGS = sorted(
    glob.glob(osp.join(ROOT, 'configs', 'video_knet', 'video-knet_*.py')))
TASKS = {'kitti-step': 'vps', 'vipseg': 'vps', 'cityscapes-vps': 'vps',
         'youtube-vis': 'vis', 'vspw': 'vss'}


def test_all_tasks_have_configs():
    names = [osp.basename(c) for c in CONFIGS]
    for key in TASKS:
        assert any(key in n and '_r50_' in n for n in names), key
    for key in ('toy-kitti-step', 'toy-youtube-vis', 'toy-vspw'):
        assert any(key in n and '_r18-' in n for n in names), key


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config_builds(path):
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(path)
    model = MODELS.build(cfg.model)
    task = next(t for k, t in TASKS.items() if k in osp.basename(path))
    assert model.task == task
    # R50 configs start from ImageNet weights (torchvision://resnet50, as
    # the official configs); building the model downloads nothing
    init = cfg.model.backbone.get('init_cfg')
    if '_r50_' in osp.basename(path):
        assert init == dict(
            type='Pretrained', checkpoint='torchvision://resnet50')
        # the official LR is for 16 clips: scaled to the real batch
        assert cfg.auto_scale_lr == dict(enable=True, base_batch_size=16)
    else:
        assert init is None
    Compose(cfg.train_dataloader.dataset.pipeline)
    Compose(cfg.val_dataloader.dataset.pipeline)
    if task == 'vis':  # clip-level inference needs whole videos
        assert cfg.val_dataloader.sampler.type == 'DefaultSampler'
