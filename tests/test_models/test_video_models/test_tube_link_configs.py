# Copyright (c) OpenMMLab. All rights reserved.
"""An mmdet 3.x Mask2Former checkpoint loads into Tube-Link's R50 model
through ``load_from`` without renaming."""
import os.path as osp

import mmdet
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint

ROOT = osp.join(osp.dirname(osp.abspath(__file__)), '..', '..', '..')
VIPSEG = osp.join(ROOT, 'configs', 'tube_link',
                  'tube-link_r50_16xb1-8e_vipseg.py')
M2F = osp.join(
    osp.dirname(mmdet.__file__), '.mim', 'configs', 'mask2former',
    'mask2former_r50_8xb2-lsj-50e_coco-panoptic.py')


def _build(model_cfg, scope):
    init_default_scope(scope)
    from mmengine.registry import MODELS as ROOT_MODELS
    model_cfg.backbone.init_cfg = None
    return ROOT_MODELS.build(model_cfg)


@pytest.mark.slow  # two R50 Mask2Formers: ~30 s on a loaded CPU
def test_mask2former_checkpoint_loads_into_every_shared_key(tmp_path):
    import mmdet.models  # noqa: F401 (registers mmdet's Mask2Former)

    import mmvidseg.models  # noqa: F401
    torch.manual_seed(0)
    m2f = _build(Config.fromfile(M2F).model, 'mmdet')
    ckpt = m2f.state_dict()
    path = str(tmp_path / 'mask2former_r50_coco-panoptic.pth')
    torch.save(dict(state_dict=ckpt), path)

    cfg = Config.fromfile(VIPSEG)
    cfg.load_from = path
    model = _build(cfg.model, 'mmvidseg')
    load_checkpoint(model, cfg.load_from, map_location='cpu', strict=False)
    ours = model.state_dict()
    missing = sorted(set(ckpt) - set(ours))
    assert not missing, missing
    resized = [k for k in ckpt if ours[k].shape != ckpt[k].shape]
    # only the class layer (133 COCO classes + 1 vs 124 VIPSeg + 1)
    assert sorted(resized) == ['panoptic_head.cls_embed.bias',
                               'panoptic_head.cls_embed.weight']
    for key, value in ckpt.items():
        if key not in resized:
            assert torch.equal(ours[key], value), key
    # the Tube-Link parts the checkpoint does not hold
    new = {k.split('.')[0] for k in set(ours) - set(ckpt)}
    assert new == {'link', 'embed_fcs', 'fc_embed', 'embed_head'}
