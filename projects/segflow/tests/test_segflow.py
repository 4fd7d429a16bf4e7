# Copyright (c) OpenMMLab. All rights reserved.
"""SegFlow: branch shapes, the two-way feature joining, losses, alternating
training, first-frame fine-tuning, the EPE metric and bad inputs."""
import os
import os.path as osp
import re
import sys

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData

from mmvidseg.testing.cli import run_checked, short_run_options
from mmvidseg.testing.toy_formats import write_small_davis

PROJECT = osp.dirname(osp.dirname(osp.abspath(__file__)))
ROOT = osp.dirname(osp.dirname(PROJECT))
CONFIGS = osp.join(PROJECT, 'configs')
CONFIG = osp.join(CONFIGS, 'segflow_r18-w16_1xb4-1k_toy-davis.py')
PER_OBJECT = osp.join(CONFIGS,
                      'segflow_r18-w16_1xb4-1k_toy-davis-per-object.py')


def _model(**kwargs):
    sys.path.insert(0, ROOT)
    cfg = Config.fromfile(CONFIG)
    init_default_scope('mmvidseg')
    from mmvidseg.registry import MODELS
    cfg.model.update(kwargs)
    torch.manual_seed(0)
    return MODELS.build(cfg.model)


def _clip(num_frames=2, h=32, w=64, ids=(1, ), flow=True):
    """One video: objects (squares) moving 1 pixel right per frame."""
    torch.manual_seed(1)
    frames = []
    for i in range(num_frames):
        s = DetDataSample()
        s.set_metainfo(dict(frame_id=i, video_id=0, img_shape=(h, w),
                            ori_shape=(h, w), video_length=num_frames,
                            flow_valid=i < num_frames - 1))
        seg = torch.zeros(1, h, w, dtype=torch.long)
        for k, obj in enumerate(ids):
            seg[0, 4:12, 4 + 20 * k + i:14 + 20 * k + i] = obj
        s.gt_sem_seg = PixelData(data=seg)
        if flow:
            f = torch.zeros(2, h, w)
            f[0][seg[0] > 0] = 1.0 if i < num_frames - 1 else 0.0
            s.gt_flow = PixelData(data=f)
        frames.append(s)
    sample = TrackDataSample()
    sample.video_data_samples = frames
    return torch.randn(1, num_frames, 3, h, w), [sample]


def test_flownets_encoder_levels():
    model = _model()
    enc = model.flow_encoder
    feats = enc(torch.randn(2, 6, 64, 96))
    assert enc.strides == (2, 4, 8, 16, 32)
    assert [tuple(f.shape) for f in feats] == [(2, c, 64 // s, 96 // s)
                                               for c, s in zip(
                                                   enc.channels, enc.strides)]
    from projects.segflow.segflow import FlowNetSEncoder
    with pytest.raises(ValueError, match='one kernel size per level'):
        FlowNetSEncoder(channels=(8, 16), kernel_sizes=(3, ))


def test_pair_shapes_and_bad_sizes():
    model = _model()
    a, b = torch.randn(2, 3, 64, 96), torch.randn(2, 3, 64, 96)
    logits, flows = model.forward_pair(a, b)
    assert logits.shape == (2, 2, 64, 96)
    assert list(flows) == [32, 16, 8, 4]  # coarse to fine
    assert all(f.shape == (2, 2, 64 // s, 96 // s) for s, f in flows.items())
    with pytest.raises(ValueError, match='multiples of 32'):
        model.forward_pair(torch.randn(1, 3, 48, 64), torch.randn(1, 3, 48,
                                                                  64))
    with pytest.raises(ValueError, match="detach must be"):
        model.forward_pair(a, b, detach='both')


def test_features_are_joined_both_ways():
    """The segmentation logits depend on the second frame (only the flow
    branch sees it: flow -> seg), the flows on the segmentation backbone
    (seg -> flow), and each direction can be cut by ``detach``."""
    model = _model().eval()
    a, b = torch.randn(1, 3, 64, 64), torch.randn(1, 3, 64, 64)
    logits, flows = model.forward_pair(a, b)
    logits2, _ = model.forward_pair(a, torch.randn(1, 3, 64, 64))
    assert not torch.allclose(logits, logits2)  # flow -> segmentation
    with torch.no_grad():
        for p in model.backbone.parameters():
            p.add_(0.1 * torch.randn_like(p))
    _, flows2 = model.forward_pair(a, b)
    assert not torch.allclose(flows[4], flows2[4])  # segmentation -> flow
    model.train()

    def grads(loss_of, detach):
        model.zero_grad()
        logits, flows = model.forward_pair(a, b, detach=detach)
        loss_of(logits, flows).backward()
        return [
            sum(float(p.grad.abs().sum()) for p in m.parameters()
                if p.grad is not None)
            for m in (model.backbone, model.flow_encoder)
        ]

    def seg_loss(lg, _):
        return lg[:, 1].mean()

    def flow_loss(_, fl):
        return fl[4].abs().mean()

    assert all(g > 0 for g in grads(seg_loss, None))
    assert grads(seg_loss, 'flow') == [pytest.approx(grads(seg_loss, 'flow')
                                                     [0]), 0.0]
    assert grads(seg_loss, 'flow')[0] > 0
    assert all(g > 0 for g in grads(flow_loss, None))
    seg_g, flow_g = grads(flow_loss, 'seg')
    assert seg_g == 0.0 and flow_g > 0


def test_separate_branches_ablation():
    sys.path.insert(0, ROOT)
    cfg = Config.fromfile(
        osp.join(CONFIGS, 'segflow-separate_r18-w16_1xb4-1k_toy-davis.py'))
    model = _model(decoder=cfg.model.decoder).eval()
    assert len(model.decoder.seg_to_flow) == 0
    a, b = torch.randn(1, 3, 64, 64), torch.randn(1, 3, 64, 64)
    logits, flows = model.forward_pair(a, b)
    logits2, _ = model.forward_pair(a, torch.randn(1, 3, 64, 64))
    assert torch.equal(logits, logits2)  # no flow -> segmentation
    with torch.no_grad():
        for p in model.backbone.parameters():
            p.add_(0.1 * torch.randn_like(p))
    assert torch.equal(model.forward_pair(a, b)[1][4], flows[4])
    from projects.segflow.segflow import BidirectionalDecoder
    with pytest.raises(ValueError, match='joins must be'):
        BidirectionalDecoder((8, ), (8, ), (4, 4, 8), joins=('both', ))


def test_balanced_cross_entropy_and_epe_by_hand():
    from projects.segflow import segflow
    balanced_cross_entropy = segflow.balanced_cross_entropy
    endpoint_error = segflow.endpoint_error
    logits = torch.randn(1, 2, 2, 2)
    target = torch.tensor([[[1, 0], [0, 255]]])
    logp = logits.log_softmax(1)[0]
    w = 1 / 3  # one foreground pixel of three labelled ones
    expect = -((1 - w) * logp[1, 0, 0] + w *
               (logp[0, 0, 1] + logp[0, 1, 0])) / 3
    assert torch.allclose(balanced_cross_entropy(logits, target), expect)
    with pytest.raises(ValueError, match='logits must be'):
        balanced_cross_entropy(torch.randn(1, 3, 2, 2), target)
    flow = torch.zeros(1, 2, 2, 2)
    gt = torch.zeros(1, 2, 2, 2)
    gt[0, 0, 0, 0], gt[0, 1, 0, 0] = 3.0, 4.0  # EPE 5 there
    valid = torch.ones(1, 2, 2, dtype=torch.bool)
    assert float(endpoint_error(flow, gt, valid)) == pytest.approx(5 / 4)
    valid[0, 1] = False
    assert float(endpoint_error(flow, gt, valid)) == pytest.approx(5 / 2)
    # a coarse prediction is resized to the target
    assert float(endpoint_error(torch.ones(1, 2, 1, 1), torch.ones(
        1, 2, 2, 2), valid)) == pytest.approx(0.0)


def test_alternate_and_joint_training_steps():
    model = _model()
    inputs, samples = _clip()
    seg_step = model(inputs, samples, mode='loss')
    assert seg_step['loss_seg'].requires_grad
    assert not seg_step['loss_flow'].requires_grad  # logged only
    flow_step = model(inputs, samples, mode='loss')
    assert flow_step['loss_flow'].requires_grad
    assert not flow_step['loss_seg'].requires_grad
    joint = _model(train_mode='joint')
    losses = joint(inputs, samples, mode='loss')
    assert all(v.requires_grad for v in losses.values())
    sum(losses.values()).backward()
    assert all(p.grad is not None for p in joint.flow_encoder.parameters())


def test_bad_training_inputs_raise():
    model = _model()
    inputs, samples = _clip(ids=(1, 2))
    with pytest.raises(ValueError, match='binary=True'):
        model(inputs, samples, mode='loss')
    inputs, samples = _clip(flow=False)
    with pytest.raises(ValueError, match='LoadOpticalFlow'):
        model(inputs, samples, mode='loss')
    with pytest.raises(ValueError, match='>= 2 consecutive'):
        model(inputs[:, :1], samples, mode='loss')
    with pytest.raises(ValueError, match='train_mode'):
        _model(train_mode='iterative')
    with pytest.raises(ValueError, match='flow_level_weights'):
        _model(flow_level_weights=(1.0, ))


def test_predict_with_and_without_finetuning():
    model = _model(test_cfg=dict(finetune_iters=0)).eval()
    inputs, samples = _clip(num_frames=3)
    with torch.no_grad():
        model(inputs, samples, mode='predict')
    frames = samples[0].video_data_samples
    for t, frame in enumerate(frames):
        assert frame.pred_sem_seg.data.shape == (1, 32, 64)
        assert set(frame.pred_sem_seg.data.unique().tolist()) <= {0, 1}
        assert ('pred_flow' in frame) == (t < 2)
    assert frames[0].pred_flow.data.shape == (2, 32, 64)
    # two objects need first-frame fine-tuning, which leaves the model as is
    inputs, samples = _clip(num_frames=2, ids=(3, 5))
    with pytest.raises(ValueError, match='finetune_iters=0'):
        model(inputs, samples, mode='predict')
    model.test_cfg['finetune_iters'] = 2
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        model(inputs, samples, mode='predict')
    assert all(torch.equal(v, before[k])
               for k, v in model.state_dict().items())
    for frame in samples[0].video_data_samples:
        assert set(frame.pred_sem_seg.data.unique().tolist()) <= {0, 3, 5}


def test_finetuning_fits_the_first_frame():
    model = _model(test_cfg=dict(finetune_iters=10,
                                 finetune_lr=1e-2)).eval()
    torch.manual_seed(2)
    frames, nxt = torch.randn(1, 3, 32, 64), torch.randn(1, 3, 32, 64)
    target = torch.zeros(1, 32, 64, dtype=torch.long)
    target[0, 8:24, 16:40] = 1
    frames[:, :, target[0] > 0] += 2  # a brighter object
    tuned = model.finetune(frames, nxt, target)
    iou = []
    for m in (model, tuned):
        with torch.no_grad():
            fg = m.foreground(frames, nxt)[0] > 0.5
        gt = target[0] > 0
        iou.append(float((fg & gt).sum() / (fg | gt).sum()))
    assert iou[1] > 0.75 and iou[0] < 0.5
    # the flow branch is fixed while fine-tuning
    for p, q in zip(model.flow_encoder.parameters(),
                    tuned.flow_encoder.parameters()):
        assert torch.equal(p, q)


def test_bad_test_inputs_raise():
    model = _model().eval()
    inputs, samples = _clip(ids=())
    with pytest.raises(ValueError, match='has no object'):
        model(inputs, samples, mode='predict')
    del samples[0].video_data_samples[0].gt_sem_seg
    with pytest.raises(ValueError, match='semi-supervised'):
        model(inputs, samples, mode='predict')
    with pytest.raises(ValueError, match='whole videos'):
        model(inputs[0], samples, mode='predict')


def test_flow_epe_metric():
    sys.path.insert(0, ROOT)
    from projects.segflow.segflow import FlowEPEMetric
    _, samples = _clip(num_frames=3, h=4, w=4)
    frames = samples[0].video_data_samples
    for f in frames:
        f.pred_flow = PixelData(data=torch.zeros(2, 4, 4))
    frames[0].pred_flow.data[1] = 1.0  # EPE sqrt(2) on the object, 1 off
    metric = FlowEPEMetric()
    metric.process({}, [samples[0].to_dict()])
    # one result per video: mmengine keeps only len(dataset) results, so
    # per-frame results of a one-video dataset would lose all but one frame
    assert len(metric.results) == 1
    metric.dataset_meta = {}
    res = metric.evaluate(size=1)
    gt0 = frames[0].gt_flow.data
    on = int((gt0[0] > 0).sum())
    epe0 = (on * np.sqrt(2) + (16 - on)) / 16
    epe1 = on / 16  # zero prediction, 1 pixel motion on the object
    assert res['EPE'] == pytest.approx((epe0 + epe1) / 2)
    assert res['EPE-zero'] == pytest.approx(on / 16)
    del frames[1].pred_flow
    with pytest.raises(ValueError, match='no pred_flow'):
        FlowEPEMetric().process({}, [samples[0]])
    with pytest.raises(ValueError, match='scored no frame'):
        FlowEPEMetric().compute_metrics([dict(epe=0.0, zero=0.0, pixels=0)])


def test_per_object_config_reads_object_ids():
    cfg = Config.fromfile(PER_OBJECT)
    loaders = cfg.test_dataloader.dataset.pipeline[0].transforms
    assert not any(t.get('binary') for t in loaders)
    train = Config.fromfile(CONFIG).train_pipeline[1].transforms
    assert [t.get('binary') for t in train
            if t.type == 'LoadVOSAnnotation'] == [True]
    assert cfg.model.test_cfg.finetune_iters > 0


@pytest.fixture(scope='module')
def toy_davis(tmp_path_factory):
    """3 train and 2 val toy videos in DAVIS' layout with flow, 48x64 (padded
    to 64x64), 5 frames."""
    return write_small_davis(
        str(tmp_path_factory.mktemp('toy_davis')), with_flow=True)


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
    jf = float(re.findall(r'J&F: ([0-9.]+)', log)[-1])
    epe = float(re.findall(r'EPE: ([0-9.]+)', log)[-1])
    assert 0.0 <= jf <= 1.0 and epe >= 0.0
    assert 'loss_seg' in log and 'loss_flow' in log
