# Copyright (c) OpenMMLab. All rights reserved.
import copy
import os.path as osp

import pytest
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.config import Config
from mmengine.structures import InstanceData

from mmvidseg.datasets.transforms import VideoFrameSample
from mmvidseg.registry import MODELS
from mmvidseg.utils import register_all_modules

register_all_modules()
CONFIGS = osp.join(
    osp.dirname(osp.abspath(__file__)), '..', '..', '..', 'configs',
    'transvod')
SINGLE = osp.join(CONFIGS,
                  'transvod-single_r18-w16_1xb4-2k_toy-imagenet-vid.py')
TEMPORAL = osp.join(CONFIGS, 'transvod_r18-w16_1xb1-1k_toy-imagenet-vid.py')


def _shrink(model):
    """The toy config's model, narrower (ResNet-18 of width 8)."""
    model = copy.deepcopy(model)
    model.detector.backbone.base_channels = 8
    model.detector.neck.in_channels = [64]
    return model


def _model(path=TEMPORAL, **kwargs):
    cfg = _shrink(Config.fromfile(path).model)
    cfg.update(kwargs)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()  # Deformable DETR's level embedding is empty before
    return model


def _clips(n=1, t=3, h=40, w=56, key=1, boxes=True):
    """Packed clips as the data loader gives them (uint8 BGR)."""
    inputs, samples = [], []
    for i in range(n):
        inputs.append(torch.randint(0, 256, (t, 3, h, w), dtype=torch.uint8))
        frames = []
        for k in range(t):
            f = DetDataSample(
                metainfo=dict(
                    img_shape=(h, w), ori_shape=(h, w), video_id=i,
                    frame_id=k, scale_factor=(1.0, 1.0)))
            f.gt_instances = InstanceData(
                bboxes=torch.tensor([[4., 6., 20., 30.], [25., 5., 50., 20.]]
                                    if boxes else []).reshape(-1, 4),
                labels=torch.tensor([0, 2] if boxes else [],
                                    dtype=torch.long))
            frames.append(f)
        clip = TrackDataSample()
        clip.video_data_samples = frames
        clip.set_metainfo(
            dict(key_frames_inds=[key],
                 ref_frames_inds=[j for j in range(t) if j != key]))
        samples.append(clip)
    return dict(inputs=inputs, data_samples=samples)


def test_single_frame_loss_and_predict():
    model = _model(SINGLE)
    data = model.data_preprocessor(_clips(n=2, t=2), training=True)
    losses = model(**data, mode='loss')
    assert {'loss_cls', 'loss_bbox', 'loss_iou', 'd0.loss_cls'} <= set(losses)
    sum(losses.values()).backward()
    model.eval()
    with torch.no_grad():
        out = model(**model.data_preprocessor(_clips(n=1, t=2)),
                    mode='predict')
    for frame in out[0].video_data_samples:
        pred = frame.pred_instances
        assert pred.bboxes.shape == (20, 4) and pred.scores.shape == (20, )


@pytest.mark.parametrize('key', [0, 2, 4])
def test_transvod_loss_backward(key):
    model = _model()
    num_ref = model.num_ref_frames
    data = model.data_preprocessor(
        _clips(n=2, t=num_ref + 1, key=key), training=True)
    losses = model(**data, mode='loss')
    assert {'loss_cls', 'loss_bbox', 'loss_iou'} <= set(losses)
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    total.backward()
    for module in (model.temporal_encoder, model.query_encoder,
                   model.temporal_decoder, model.temporal_head):
        grads = [p.grad for p in module.parameters() if p.requires_grad]
        assert grads and all(g is not None for g in grads)
    # the frozen single-frame model gets no gradient
    assert model.freeze_detector
    assert all(p.grad is None for p in model.detector.parameters())
    assert not model.detector.training


def test_transvod_trainable_detector_has_frame_losses():
    model = _model(freeze_detector=False, frame_loss_weight=0.5)
    data = model.data_preprocessor(
        _clips(n=1, t=model.num_ref_frames + 1, boxes=False), training=True)
    losses = model(**data, mode='loss')
    assert {'frame_loss_cls', 'frame_d0.loss_cls'} <= set(losses)
    sum(losses.values()).backward()
    assert model.detector.backbone.conv1.weight.grad is not None


def test_transvod_predict_online_buffer():
    model = _model()
    model.eval()
    seen = []
    for t in range(4):
        data = model.data_preprocessor(_clips(n=1, t=1))
        data['data_samples'][0].video_data_samples[0].set_metainfo(
            dict(frame_id=t))
        with torch.no_grad():
            out = model(**data, mode='predict')
        pred = out[0].video_data_samples[0].pred_instances
        assert pred.bboxes.shape == (20, 4)
        assert pred.labels.max() < 3 and (pred.scores <= 1).all()
        seen.append(len(model._buffer))
    assert seen == [1, 2, 3, 4]
    # a new video empties the buffer
    data = model.data_preprocessor(_clips(n=1, t=1))
    with torch.no_grad():
        model(**data, mode='predict')
    assert len(model._buffer) == 1
    with pytest.raises(ValueError, match='online'):
        model(**model.data_preprocessor(_clips(n=1, t=3)), mode='predict')


def test_transvod_forward_tensor_shapes():
    model = _model()
    data = model.data_preprocessor(_clips(n=2, t=model.num_ref_frames + 1))
    scores, boxes = model(**data, mode='tensor')
    assert scores.shape == (1, 2, 20, 3) and boxes.shape == (1, 2, 20, 4)


def test_transvod_rejects_bad_input():
    model = _model()
    data = model.data_preprocessor(_clips(n=1, t=2))
    with pytest.raises(ValueError, match='reference'):
        model(**data, mode='loss')
    with pytest.raises(ValueError, match='query_topk'):
        _model(query_topk=(61, ))
    with pytest.raises(ValueError, match='num_feature_levels'):
        cfg = _shrink(Config.fromfile(TEMPORAL).model)
        cfg.detector.with_box_refine = False
        MODELS.build(cfg)


@pytest.mark.parametrize('mode,kwargs', [
    ('random', dict(frame_range=(-6, 0))),
    ('random', dict(frame_range=(-6, 6))),
    ('consecutive', dict()),
    ('strided', dict()),
])
def test_transvod_trains_on_each_sampling_mode(mode, kwargs):
    """Clips from each ``VideoFrameSample`` mode: the key frame's flag
    tells TransVOD which frame is the key frame."""
    model = _model()
    num = model.num_ref_frames + 1
    sampler = VideoFrameSample(num_frames=num, mode=mode, **kwargs)
    inds = sampler.sample(16, 7)
    assert len(inds) == num and inds[0] == 7
    order = sorted(range(num), key=lambda i: (inds[i], i))
    key = order.index(0)
    data = model.data_preprocessor(_clips(n=1, t=num, key=key),
                                   training=True)
    losses = model(**data, mode='loss')
    assert torch.isfinite(sum(losses.values()))


LITE = osp.join(CONFIGS, 'transvod-lite_r18-w16_1xb1-1k_toy-imagenet-vid.py')


def test_lite_loss_every_stage_and_frozen_detector():
    model = _model(LITE)
    num = model.num_frames
    data = model.data_preprocessor(_clips(n=2, t=num), training=True)
    losses = model(**data, mode='loss')
    stages = len(model.query_topk)
    expected = {f'd{i}.loss_{n}' for i in range(stages - 1)
                for n in ('cls', 'bbox', 'iou')}
    assert expected | {'loss_cls', 'loss_bbox', 'loss_iou'} == set(losses)
    total = sum(losses.values())
    assert torch.isfinite(total)
    total.backward()
    for module in (model.query_encoder, model.temporal_decoder,
                   model.temporal_head):
        grads = [p.grad for p in module.parameters()]
        assert grads and all(g is not None for g in grads)
    assert all(p.grad is None for p in model.detector.parameters())
    with pytest.raises(ValueError, match='num_frames=5'):
        model(**model.data_preprocessor(_clips(n=1, t=3), training=True),
              mode='loss')


def test_lite_trainable_detector_has_frame_losses():
    model = _model(LITE, freeze_detector=False, frame_loss_weight=0.5)
    data = model.data_preprocessor(
        _clips(n=1, t=model.num_frames, boxes=False), training=True)
    losses = model(**data, mode='loss')
    assert {'frame_loss_cls', 'frame_d0.loss_cls'} <= set(losses)
    sum(losses.values()).backward()
    assert model.detector.backbone.conv1.weight.grad is not None


def _predict(model, data):
    with torch.no_grad():
        out = model(**model.data_preprocessor(data), mode='predict')
    return [f.pred_instances for f in out[0].video_data_samples]


def test_lite_predicts_whole_videos_clip_by_clip():
    """A video of 7 frames is two clips (5 + 2): the first clip's
    detections are those of the 5 frames alone, and within a clip every
    frame's detections depend on the other frames."""
    model = _model(LITE)
    model.eval()
    torch.manual_seed(1)
    video = _clips(n=1, t=7)
    preds = _predict(model, video)
    assert len(preds) == 7
    for pred in preds:
        assert pred.bboxes.shape == (18, 4) and pred.labels.max() < 3
    first = copy.deepcopy(video)
    first['inputs'][0] = first['inputs'][0][:5]
    first['data_samples'][0].video_data_samples = \
        first['data_samples'][0].video_data_samples[:5]
    alone = _predict(model, first)
    for a, b in zip(alone, preds[:5]):
        assert torch.allclose(a.bboxes, b.bboxes, atol=1e-4)
    changed = copy.deepcopy(first)
    changed['inputs'][0][4] = 255 - changed['inputs'][0][4]
    moved = _predict(model, changed)
    assert not torch.allclose(moved[0].scores, alone[0].scores)
    # a frame-level test loader gives one frame of a longer video
    single = _clips(n=1, t=1)
    single['data_samples'][0].video_data_samples[0].set_metainfo(
        dict(ori_video_length=16))
    with pytest.raises(ValueError, match='whole videos'):
        _predict(model, single)


def test_lite_forward_tensor_and_bad_config():
    model = _model(LITE)
    data = model.data_preprocessor(_clips(n=2, t=model.num_frames))
    scores, boxes = model(**data, mode='tensor')
    k = model.query_topk[-1]
    assert scores.shape == (10, k, 3) and boxes.shape == (10, k, 4)
    with pytest.raises(ValueError, match='decreasing'):
        _model(LITE, query_topk=(6, 8))
    with pytest.raises(ValueError, match='max_per_img'):
        cfg = _shrink(Config.fromfile(LITE).model)
        cfg.temporal_head.test_cfg = dict(max_per_img=19)
        MODELS.build(cfg)


PLUSPLUS = osp.join(CONFIGS,
                    'transvod-plusplus_r18-w16_1xb1-1k_toy-imagenet-vid.py')


@pytest.mark.parametrize('key', [0, 3])
def test_plusplus_loss_every_stage(key):
    model = _model(PLUSPLUS)
    assert model.temporal_encoder is None  # no TDTE, as the release
    data = model.data_preprocessor(
        _clips(n=2, t=model.num_ref_frames + 1, key=key), training=True)
    losses = model(**data, mode='loss')
    assert {'loss_cls', 'd0.loss_bbox', 'd1.loss_iou'} <= set(losses)
    assert not any(k.startswith('frame_') for k in losses)
    total = sum(losses.values())
    assert torch.isfinite(total)
    total.backward()
    for module in (model.query_fusion, model.query_encoder,
                   model.temporal_decoder, model.temporal_head):
        grads = [p.grad for p in module.parameters()]
        assert grads and all(g is not None for g in grads)
    assert all(p.grad is None for p in model.detector.parameters())


def test_plusplus_stages_chain_from_the_key_boxes():
    """Three stages, each from the key frame's single-frame boxes; the
    references' fused queries change the key frame's output."""
    model = _model(PLUSPLUS)
    model.eval()
    data = model.data_preprocessor(_clips(n=1, t=model.num_ref_frames + 1))
    frames, samples = model.to_frames(data['inputs'],
                                      data['data_samples'], True)
    with torch.no_grad():
        out = model.frame_transformer(frames, samples)
        key = model.split_frames(out, torch.tensor([0]))
        refs = [model.split_frames(out, torch.tensor([i]))
                for i in range(1, 5)]
        hidden, references = model.temporal_forward(key, refs)
        assert hidden.shape == (3, 1, 20, 64) and len(references) == 3
        assert all(r is key['boxes'] for r in references)
        other = [dict(r, query=r['query'] + 1) for r in refs]
        moved, _ = model.temporal_forward(key, other)
    assert not torch.allclose(hidden[-1], moved[-1], atol=1e-4)


def test_plusplus_predicts_online_and_optional_tdte():
    model = _model(PLUSPLUS, temporal_encoder=dict(num_heads=4))
    assert model.temporal_encoder is not None
    model.eval()
    for t in range(2):
        data = model.data_preprocessor(_clips(n=1, t=1))
        data['data_samples'][0].video_data_samples[0].set_metainfo(
            dict(frame_id=t))
        with torch.no_grad():
            out = model(**data, mode='predict')
        pred = out[0].video_data_samples[0].pred_instances
        assert pred.bboxes.shape == (20, 4) and pred.labels.max() < 3


def test_plusplus_passes_its_test_cfg_on():
    """TransVOD++ takes TransVOD's ``test_cfg`` (release-style references,
    reference fusion) and rejects unknown keys the same way."""
    model = _model(
        PLUSPLUS,
        test_cfg=dict(reuse_ref_outputs=False,
                      ref_fusion=dict(num_frames=3)))
    assert model.test_cfg['reuse_ref_outputs'] is False
    assert model.test_cfg['ref_fusion']['num_frames'] == 3
    with pytest.raises(ValueError, match='TransVODPlusPlus: unknown test_cfg'):
        _model(PLUSPLUS, test_cfg=dict(fusion=None))


def _same(a, b):
    return all(
        torch.equal(x, y)
        for x, y in zip(a.state_dict().values(), b.state_dict().values()))


@pytest.mark.parametrize('path', [TEMPORAL, LITE, PLUSPLUS])
def test_init_from_detector_copies_once_at_the_first_step(path):
    model = _model(path, init_from_detector=True)
    det, head = model.detector, model.temporal_head
    decoders = model.temporal_decoder
    if not isinstance(decoders, torch.nn.ModuleList):
        decoders = [decoders]
    layers = [layer for d in decoders for layer in d.layers]
    assert not _same(det.bbox_head.cls_branches[-1], head.cls_branches[0])
    assert float(model.temporal_from_detector) == 0
    # stage 1's checkpoint has no flag: loading it keeps the copy pending
    single = {k: v for k, v in model.state_dict().items()
              if k.startswith('detector.')}
    model.load_state_dict(single, strict=False)
    frames = model.num_frames if path == LITE else model.num_ref_frames + 1
    data = model.data_preprocessor(_clips(n=1, t=frames), training=True)
    model(**data, mode='loss')
    assert float(model.temporal_from_detector) == 1
    assert 'temporal_from_detector' in model.state_dict()
    for layer in layers:
        assert _same(det.decoder.layers[-1], layer)
    for name in ('cls_branches', 'reg_branches'):
        for branch in getattr(head, name):
            assert _same(getattr(det.bbox_head, name)[-1], branch)
    # later steps (and resumed stage-2 models) keep their own weights
    with torch.no_grad():
        head.cls_branches[0].bias.add_(1.0)
    model(**data, mode='loss')
    assert not _same(det.bbox_head.cls_branches[-1], head.cls_branches[0])


def test_init_from_detector_rejects_other_shapes():
    cfg = Config.fromfile(TEMPORAL).model
    model = _model(
        init_from_detector=True,
        temporal_decoder=dict(
            cfg.temporal_decoder,
            layer_cfg=dict(
                cfg.temporal_decoder.layer_cfg,
                ffn_cfg=dict(embed_dims=64, feedforward_channels=32))))
    data = model.data_preprocessor(
        _clips(n=1, t=model.num_ref_frames + 1), training=True)
    with pytest.raises(ValueError, match='init_from_detector needs every '
                       'temporal decoder layer'):
        model(**data, mode='loss')


def _online(model, frames, predict):
    """``predict`` on the frames of one video, one frame per call."""
    model.reset_state()
    preds = []
    for t, frame in enumerate(frames):
        data = model.data_preprocessor(frame)
        data['data_samples'][0].video_data_samples[0].set_metainfo(
            dict(frame_id=t))
        with torch.no_grad():
            out = predict(data['inputs'], data['data_samples'])
        preds.append(out[0].video_data_samples[0].pred_instances)
    return preds


def test_pass_through_starts_as_the_single_frame_detector():
    """With ``pass_through`` the temporal stage's detections before any
    training are exactly the single-frame detector's; the gates get a
    gradient at the first step and open."""
    from mmvidseg.models.video_models.transvod import FrameDetector
    with pytest.raises(ValueError, match='needs init_from_detector'):
        _model(pass_through=True)
    model = _model(init_from_detector=True, pass_through=True)
    model.init_from_detector()  # as the first training step does
    model.eval()
    torch.manual_seed(1)
    frames = [_clips(n=1, t=1) for _ in range(3)]
    temporal = _online(model, frames, model.predict)
    single = _online(model, frames,
                     lambda x, s: FrameDetector.predict(model, x, s))
    for a, b in zip(temporal, single):
        for key in ('bboxes', 'scores', 'labels'):
            assert torch.equal(a[key], b[key]), key
    # without the gates the random temporal modules change the detections
    plain = _model(init_from_detector=True)
    plain.load_state_dict(model.state_dict(), strict=False)
    plain.eval()
    other = _online(plain, frames, plain.predict)
    assert not torch.equal(other[-1].scores, single[-1].scores)
    model.train()
    data = model.data_preprocessor(
        _clips(n=1, t=model.num_ref_frames + 1), training=True)
    losses = model(**data, mode='loss')
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert set(model.gates) == {'memory', 'decoder', 'query0', 'query1',
                                'query2'}
    grads = {k: g.gate.grad.abs().sum() for k, g in model.gates.items()}
    # the TDTE's memory only reaches the output through the decoder's gate
    assert grads.pop('memory') == 0 and min(grads.values()) > 0
    with torch.no_grad():
        model.gates['decoder'].gate.fill_(0.1)
    model.zero_grad()
    losses = model(**data, mode='loss')
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert model.gates['memory'].gate.grad.abs().sum() > 0


def test_recomputed_references_give_the_buffered_detections():
    """``test_cfg.reuse_ref_outputs=False`` (the release's inference: the
    key frame and all its references through the single-frame model for
    every key frame) detects as the buffered online mode."""
    with pytest.raises(ValueError, match=r"unknown test_cfg keys \['reuse'\]"):
        _model(test_cfg=dict(reuse=False))
    model = _model(test_cfg=dict(reuse_ref_outputs=False))
    model.eval()
    torch.manual_seed(2)
    frames = [_clips(n=1, t=1) for _ in range(model.num_ref_frames + 2)]
    sizes = []
    recomputed = _online(model, frames, model.predict)
    assert len(model._buffer) == 0
    assert len(model._frames) == model.num_ref_frames
    model.test_cfg['reuse_ref_outputs'] = True
    buffered = _online(model, frames, model.predict)
    assert len(model._frames) == 0
    for a, b in zip(recomputed, buffered):
        assert torch.equal(a.labels, b.labels)
        assert torch.allclose(a.scores, b.scores, atol=1e-5)
        assert torch.allclose(a.bboxes, b.bboxes, atol=1e-3)
        sizes.append(len(a.scores))
    assert sizes == [20] * len(frames)
    # frames of one video padded to different sizes cannot be batched
    model.test_cfg['reuse_ref_outputs'] = False
    _online(model, frames[:1], model.predict)
    frame, sample = model._frames[0]
    with pytest.raises(ValueError, match='padded to one size'):
        model.recomputed_refs(frame[:, :-8], sample)


def test_ref_fusion_adds_the_previous_frames_detections():
    """``ref_fusion``: each online frame's detections are fused with the
    previous frames' own ones (decayed scores, class-wise NMS)."""
    from mmvidseg.models.utils.detection_fusion import (
        check_fusion_cfg, fuse_reference_detections)
    for bad, match in [(dict(frames=2), 'unknown ref_fusion keys'),
                       (dict(num_frames=0), 'num_frames'),
                       (dict(decay=0.0), 'decay'),
                       (dict(iou_threshold=1.5), 'iou_threshold')]:
        with pytest.raises(ValueError, match=match):
            _model(test_cfg=dict(ref_fusion=bad))
    key = InstanceData(
        bboxes=torch.tensor([[0., 0., 10., 10.]]), scores=torch.tensor([.1]),
        labels=torch.tensor([0]))
    prev = InstanceData(
        bboxes=torch.tensor([[1., 0., 10., 10.], [20., 20., 30., 30.]]),
        scores=torch.tensor([.9, .5]), labels=torch.tensor([0, 1]))
    fused = fuse_reference_detections(key, [prev], decay=0.5)
    # the occluded key box is replaced by the neighbour's, decayed
    assert torch.equal(fused.bboxes, prev.bboxes)
    assert torch.allclose(fused.scores, torch.tensor([.45, .25]))
    assert fuse_reference_detections(key, []) is key
    assert check_fusion_cfg({}, 'x') == dict(
        num_frames=2, decay=0.6, iou_threshold=0.5)
    model = _model(test_cfg=dict(ref_fusion=dict(num_frames=1, decay=0.5)))
    model.eval()
    torch.manual_seed(3)
    frames = [_clips(n=1, t=1) for _ in range(3)]
    cfg, model.test_cfg['ref_fusion'] = model.test_cfg['ref_fusion'], None
    plain = _online(model, frames, model.predict)
    model.test_cfg['ref_fusion'] = cfg
    fused = _online(model, frames, model.predict)
    assert len(model._dets) == 1
    assert torch.equal(fused[0].scores, plain[0].scores)
    # the kept frames follow a test_cfg edited after the build
    model.test_cfg['ref_fusion'] = dict(num_frames=2, decay=0.5)
    _online(model, frames, model.predict)
    assert len(model._dets) == 2
    model.test_cfg['ref_fusion'] = cfg
    for t in (1, 2):
        want = fuse_reference_detections(plain[t], [plain[t - 1]], 0.5)
        for name in ('bboxes', 'scores', 'labels'):
            assert torch.equal(fused[t][name], want[name]), name
