# Copyright (c) OpenMMLab. All rights reserved.
"""DMM-Net's model: losses, gradients through the matching layer, video
inference, and its config training with tools/train.py."""
import copy
import os
import os.path as osp
import re
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

from mmvidseg.testing.cli import run_checked, short_run_options
from mmvidseg.testing.toy_formats import write_small_davis

PROJECT = osp.dirname(osp.dirname(osp.abspath(__file__)))
ROOT = osp.dirname(osp.dirname(PROJECT))
CONFIG = osp.join(PROJECT, 'configs',
                  'dmm-net_mask-rcnn-r18-w16_1xb2-600_toy-davis.py')


@pytest.fixture(scope='module')
def toy_davis(tmp_path_factory):
    """3 train and 2 val toy videos in DAVIS' layout, 48x64, 5 frames."""
    return write_small_davis(
        str(tmp_path_factory.mktemp('toy_davis')), with_flow=False)


def _cfg(root):
    sys.path.insert(0, ROOT)
    cfg = Config.fromfile(CONFIG)
    init_default_scope('mmvidseg')
    for split in ('train', 'val'):
        cfg[f'{split}_dataloader'].dataset.data_root = root
    return cfg


def _model_and_data(root, split):
    from mmvidseg.registry import DATASETS, MODELS
    cfg = _cfg(root)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    dataset = DATASETS.build(cfg[f'{split}_dataloader'].dataset)
    indices = [0, 1] if split == 'train' else [0]
    data = model.data_preprocessor(
        pseudo_collate([dataset[i] for i in indices]), split == 'train')
    return model, data


def test_loss_trains_the_cost_through_the_matching_layer(toy_davis):
    model, data = _model_and_data(toy_davis, 'train')
    model.train()
    losses = model(**data, mode='loss')
    assert {'loss_match', 'loss_refine', 'det_loss_mask',
            'det_loss_rpn_cls'} <= set(losses)
    loss, _ = model.parse_losses(losses)
    assert torch.isfinite(loss)
    # the matching loss alone reaches the cost head only through the
    # differentiable matching layer (the proposals are ground truth)
    losses['loss_match'].backward()
    grads = [p.grad for p in model.cost_head.parameters()]
    assert any(g is not None and g.abs().sum() > 0 for g in grads)
    assert all(p.grad is None for p in model.detector.parameters())


def test_predict_labels_every_frame_with_first_frame_ids(toy_davis):
    model, data = _model_and_data(toy_davis, 'val')
    model.eval()
    with torch.no_grad():
        out = model(**copy.deepcopy(data), mode='predict')
    frames = out[0].video_data_samples
    first = frames[0].gt_sem_seg.data[0]
    ids = set(first.unique().tolist()) - {0, 255}
    assert ids
    for frame in frames:
        pred = frame.pred_sem_seg.data
        assert pred.shape == (1, 48, 64)
        assert set(pred.unique().tolist()) <= ids | {0}
    # the first frame is the reference mask itself
    assert torch.equal(frames[0].pred_sem_seg.data[0],
                       torch.where(first == 255, 0, first))


def test_match_assigns_templates_to_their_proposals():
    """With untrained heads the IoU term alone decides: every object picks
    the proposal that overlaps its previous mask."""
    from mmvidseg.registry import MODELS
    cfg = _cfg(ROOT)
    cfg.model.cost_head.iou_weight = 1.0
    cfg.model.matching.update(num_steps=100, num_proj_iters=20, lr=1.0)
    model = MODELS.build(cfg.model).eval()
    prev = torch.zeros(2, 16, 16)
    prev[0, :6, :6] = 1
    prev[1, 8:, 8:] = 1
    props = torch.zeros(3, 16, 16)
    props[0, 9:, 9:] = 1  # object 2 moved by one pixel
    props[1, 5:10, 0:4] = 1  # a distractor
    props[2, 1:7, 1:7] = 1  # object 1
    feats = model.encoder(torch.randn(1, 3, 16, 16))
    templates = torch.randn(2, cfg.model.cost_head.channels)
    with torch.no_grad():
        x, matched = model.match(feats, templates, prev, props)
    assert x.argmax(1).tolist() == [2, 0]
    assert matched.shape == (2, 16, 16)
    # no proposal at all: empty matches
    x, matched = model.match(feats, templates, prev, props[:0])
    assert x.shape == (2, 0) and matched.abs().sum() == 0


def test_bad_inputs_raise(toy_davis):
    model, data = _model_and_data(toy_davis, 'train')
    with pytest.raises(ValueError, match='clips'):
        model(data['inputs'][:, 0], data['data_samples'], mode='loss')
    with pytest.raises(ValueError, match='whole videos'):
        model(data['inputs'][:, 0], data['data_samples'], mode='predict')
    with pytest.raises(ValueError, match='iou_weight'):
        from mmvidseg.registry import MODELS
        MODELS.build(dict(type='MatchingCostHead', in_channels=8,
                          iou_weight=2.0))


@pytest.mark.slow
def test_config_trains_and_tests_with_tools_train(tmp_path, toy_davis):
    work = tmp_path / 'work'
    env = dict(os.environ, OMP_NUM_THREADS='1')
    cmd = [sys.executable, osp.join(ROOT, 'tools', 'train.py'), CONFIG,
           '--work-dir', str(work)]
    opts = short_run_options(toy_davis, 6)
    proc = run_checked(cmd + opts, cwd=ROOT, timeout=600, env=env)
    log = proc.stdout + proc.stderr
    assert (work / 'iter_6.pth').is_file()
    jf = float(re.findall(r'J&F: ([0-9.]+)', log)[-1])
    assert 0.0 <= jf <= 1.0
