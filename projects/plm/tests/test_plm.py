# Copyright (c) OpenMMLab. All rights reserved.
"""PLM: the feature compressor, the pixel-level matching, the model's loss,
first-frame fine-tuning, video inference, bad inputs, and its config
training with tools/train.py."""
import copy
import os
import os.path as osp
import re
import sys

import pytest
import torch
import torch.nn.functional as F
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData

from mmvidseg.testing.cli import run_checked, short_run_options
from mmvidseg.testing.toy_formats import write_small_davis

PROJECT = osp.dirname(osp.dirname(osp.abspath(__file__)))
ROOT = osp.dirname(osp.dirname(PROJECT))
CONFIG = osp.join(PROJECT, 'configs', 'plm_r18-w16_1xb4-1k_toy-davis.py')


def _plm():
    sys.path.insert(0, ROOT)
    import projects.plm.plm as plm
    return plm


def _model(**test_cfg):
    _plm()
    cfg = Config.fromfile(CONFIG)
    init_default_scope('mmvidseg')
    from mmvidseg.registry import MODELS
    cfg.model.test_cfg.update(test_cfg)
    torch.manual_seed(0)
    return MODELS.build(cfg.model)


def _video(num_frames=3, h=32, w=48, objects=(1, 2)):
    """A (1, T, 3, H, W) clip and its sample: object 1 a box moving right,
    object 2 a fixed box."""
    torch.manual_seed(1)
    frames = []
    for t in range(num_frames):
        s = DetDataSample()
        s.set_metainfo(dict(frame_id=t, video_id=0, img_shape=(h, w),
                            ori_shape=(h, w)))
        seg = torch.zeros(1, h, w, dtype=torch.long)
        if 1 in objects:
            seg[0, 4:16, 4 + 2 * t:16 + 2 * t] = 1
        if 2 in objects:
            seg[0, 20:28, 30:44] = 2
        seg[0, 0, 0] = 255
        s.gt_sem_seg = PixelData(data=seg)
        frames.append(s)
    sample = TrackDataSample()
    sample.video_data_samples = frames
    return torch.randn(1, num_frames, 3, h, w), [sample]


def test_compressor_concatenates_levels_and_normalises():
    plm = _plm()
    comp = plm.FeatureCompressor([4, 8], ratio=2)
    assert comp.out_channels == 6 and comp.conv.in_channels == 12
    feats = [torch.randn(2, 4, 8, 12), torch.randn(2, 8, 4, 6)]
    out = comp(feats)
    assert out.shape == (2, 6, 8, 12)
    norm = out.norm(dim=1)
    assert torch.allclose(norm[norm > 0], torch.ones_like(norm[norm > 0]),
                          atol=1e-5)
    up = F.interpolate(feats[1], size=(8, 12), mode='bilinear',
                       align_corners=False)
    raw = F.relu(comp.conv(torch.cat([feats[0], up], 1)))
    expect = raw / raw.norm(dim=1, keepdim=True).clamp(min=1e-6)
    assert torch.allclose(out, expect, atol=1e-6)
    with pytest.raises(ValueError, match='levels'):
        comp([feats[0]])
    with pytest.raises(ValueError, match='out_channels'):
        plm.FeatureCompressor([4], ratio=8)


def test_masked_topk_mean():
    plm = _plm()
    sim = torch.tensor([[[0.9, 0.1, 0.5, -0.2], [0.0, 0.3, 0.8, 0.7]]])
    valid = torch.tensor([[True, True, False, True]])
    out = plm.masked_topk_mean(sim, valid, 2)
    assert torch.allclose(out, torch.tensor([[0.5, 0.5]]))
    # fewer valid pixels than k: only the valid ones are averaged
    one = torch.tensor([[False, False, True, False]])
    assert torch.allclose(plm.masked_topk_mean(sim, one, 3),
                          torch.tensor([[0.5, 0.8]]))
    none = torch.zeros(1, 4, dtype=torch.bool)
    assert torch.equal(plm.masked_topk_mean(sim, none, 2),
                       torch.tensor([[-1.0, -1.0]]))


def test_matching_scores_a_pixel_like_the_target_as_target():
    plm = _plm()
    head = plm.PixelMatchingHead(3, channels=8, topk=1)
    query = torch.zeros(1, 3, 2, 2)
    query[0, 0, 0, 0] = 1  # target pixel: direction e0
    query[0, 1, 0, 1] = query[0, 1, 1, 0] = query[0, 1, 1, 1] = 1  # e1
    target = torch.zeros(1, 1, 2, 2)
    target[0, 0, 0, 0] = 1
    search = torch.zeros(1, 3, 1, 2)
    search[0, 0, 0, 0] = 1  # like the target
    search[0, 1, 0, 1] = 1  # like the background
    scores, products = head.match(search, query, target)
    assert torch.allclose(scores[0, :, 0, 0], torch.tensor([1.0, 0.0]))
    assert torch.allclose(scores[0, :, 0, 1], torch.tensor([0.0, 1.0]))
    # products with the target's and the background's mean features
    assert torch.allclose(products[0, :3, 0, 0], torch.tensor([1., 0, 0]))
    assert torch.allclose(products[0, 3:, 0, 1], torch.tensor([0., 1, 0]))
    assert head(search, query, target).shape == (1, 2, 1, 2)
    with pytest.raises(ValueError, match='channels'):
        head(torch.zeros(1, 4, 1, 2), query, target)
    with pytest.raises(ValueError, match='share N and C'):
        head(search, query, torch.zeros(1, 1, 3, 3))


def test_loss_reaches_the_shared_encoder_and_compressor():
    model = _model()
    inputs, samples = _video()
    losses = model(inputs, samples, mode='loss')
    assert set(losses) == {'loss_match', 'acc_match'}
    assert 0 <= float(losses['acc_match']) <= 100
    losses['loss_match'].backward()
    for part in (model.backbone, model.compressor, model.head):
        assert any(p.grad is not None and p.grad.abs().sum() > 0
                   for p in part.parameters())
    # pairs: 2 objects of frame 0 x 2 later frames
    masks, search, targets = model._clip_pairs(
        inputs[0], samples[0].video_data_samples)
    assert search == [1, 2, 1, 2] and len(masks) == len(targets) == 4
    assert targets[0][0, 0] == 255 and targets[0][4, 6] == 1


def test_predict_writes_object_ids_and_merges_like_vs_reid():
    from mmvidseg.models.video_models.vs_reid import VSReID
    model = _model(finetune_iters=0).eval()
    inputs, samples = _video()
    with torch.no_grad():
        model(inputs, samples, mode='predict')
    frames = samples[0].video_data_samples
    assert torch.equal(frames[0].pred_sem_seg.data,
                       torch.where(frames[0].gt_sem_seg.data == 255, 0,
                                   frames[0].gt_sem_seg.data))
    for frame in frames:
        assert frame.pred_sem_seg.data.shape == (1, 32, 48)
        assert set(frame.pred_sem_seg.data.unique().tolist()) <= {0, 1, 2}
    probs = torch.rand(3, 5, 6)
    assert torch.equal(model.merge(probs), VSReID.merge(model, probs))
    assert model.merge(torch.full((2, 1, 1), 0.4)).item() == 0


def test_finetuning_changes_the_prediction_then_restores_weights():
    model = _model(finetune_iters=3, finetune_lr=1e-2).eval()
    before = copy.deepcopy(model.state_dict())
    inputs, samples = _video()
    with torch.no_grad():
        model(inputs, samples, mode='predict')
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k
    # fine-tuning itself moves the weights
    first, ids = model._first_labels(samples[0].video_data_samples, 'cpu')
    model.finetune(inputs[0, 0], first, len(ids))
    assert any(not torch.equal(v, before[k])
               for k, v in model.state_dict().items())


def test_random_affine_identity_and_flip():
    plm = _plm()
    img = torch.randn(2, 3, 8, 10)
    lab = torch.randint(0, 3, (2, 8, 10))
    out, out_lab = plm.random_affine(img, lab, 0.0, (1.0, 1.0), False)
    assert torch.allclose(out, img, atol=1e-5) and torch.equal(out_lab, lab)
    torch.manual_seed(0)
    out, out_lab = plm.random_affine(img, lab, 0.2, (0.8, 1.2), True)
    assert out.shape == img.shape and out_lab.shape == lab.shape
    assert set(out_lab.unique().tolist()) <= {0, 1, 2, 255}


def test_bad_inputs_raise():
    model = _model()
    inputs, samples = _video()
    with pytest.raises(ValueError, match='T >= 2'):
        model(inputs[:, :1], samples, mode='loss')
    with pytest.raises(ValueError, match='whole videos'):
        model(inputs[:, 0], samples, mode='predict')
    inputs, samples = _video(objects=())
    with pytest.raises(ValueError, match='has no object'):
        model(inputs, samples, mode='predict')
    del samples[0].video_data_samples[1].gt_sem_seg
    with pytest.raises(ValueError, match='gt_sem_seg'):
        model(inputs, samples, mode='loss')
    with pytest.raises(ValueError, match='finetune_iters'):
        _model(finetune_iters=-1)
    with pytest.raises(ValueError, match='bg_thr'):
        _model(bg_thr=1.5)
    # no object in any query frame: a zero loss that still back-propagates
    inputs, samples = _video(objects=())
    loss = model(inputs, samples, mode='loss')['loss_match']
    assert float(loss.detach()) == 0 and loss.requires_grad


def test_tensor_mode_logits():
    model = _model()
    inputs, _ = _video(num_frames=2)
    assert model(inputs, mode='tensor').shape == (2, 2, 32, 48)


@pytest.fixture(scope='module')
def toy_davis(tmp_path_factory):
    """3 train and 2 val toy videos in DAVIS' layout, 48x64, 5 frames."""
    return write_small_davis(
        str(tmp_path_factory.mktemp('toy_davis')), with_flow=False)


@pytest.mark.slow
def test_config_trains_and_tests_with_tools_train(tmp_path, toy_davis):
    work = tmp_path / 'work'
    env = dict(os.environ, OMP_NUM_THREADS='1')
    cmd = [sys.executable, osp.join(ROOT, 'tools', 'train.py'), CONFIG,
           '--work-dir', str(work)]
    opts = short_run_options(
        toy_davis, 4, extra=['model.test_cfg.finetune_iters=2'])
    proc = run_checked(cmd + opts, cwd=ROOT, timeout=600, env=env)
    log = proc.stdout + proc.stderr
    assert (work / 'iter_4.pth').is_file()
    assert 'loss_match' in log
    jf = float(re.findall(r'J&F: ([0-9.]+)', log)[-1])
    assert 0.0 <= jf <= 1.0
