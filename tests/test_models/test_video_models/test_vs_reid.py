# Copyright (c) OpenMMLab. All rights reserved.
"""VS-ReID: two-stream mask propagation, flow sources, bad input."""
import copy
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate

from mmvidseg.models import VSReID
from mmvidseg.models.utils.flow_warp import motion_fields
from mmvidseg.registry import DATASETS, MODELS
from mmvidseg.testing import generate_toy_videos
from mmvidseg.testing.toy_formats._io import save_palette_png, write_flo
from mmvidseg.testing.toy_formats.davis import DAVIS_PALETTE, write_davis
from mmvidseg.utils import register_all_modules

register_all_modules()
H, W, T = 32, 48, 4

BACKBONE = dict(
    type='mmseg.ResNetV1c',
    depth=18,
    stem_channels=8,
    base_channels=8,
    out_indices=(3, ),
    strides=(1, 2, 1, 1),
    dilations=(1, 1, 2, 4),
    contract_dilation=True,
    init_cfg=None)
HEAD = dict(type='MaskPropagationHead', in_channels=64, channels=8)


def tiny_model(with_flow=True, **kwargs):
    cfg = dict(
        type='VSReID',
        data_preprocessor=dict(
            type='VideoDataPreprocessor',
            mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375],
            bgr_to_rgb=True),
        backbone=BACKBONE,
        head=HEAD,
        flow_backbone=BACKBONE if with_flow else None,
        flow_head=HEAD if with_flow else None,
        train_cfg=dict(patch_size=(32, 32)),
        test_cfg=dict(patch_size=(32, 32)))
    cfg.update(kwargs)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


@MODELS.register_module(force=True)
class ExactFlowStub(torch.nn.Module):
    """Stands in for torchvision's RAFT: returns known flows, checking the
    wrapper's input scaling and padding to a multiple of 8."""

    def __init__(self, flows):
        super().__init__()
        self.register_buffer('flows', torch.as_tensor(np.asarray(flows)))
        self.calls = 0

    def forward(self, img1, img2, num_flow_updates=12):
        assert img1.shape == img2.shape
        assert img1.shape[-2] % 8 == 0 and img1.shape[-1] % 8 == 0
        assert img1.min() >= -1 and img1.max() <= 1
        self.calls += 1
        out = torch.zeros(img1.shape[0], 2, *img1.shape[-2:])
        flows = self.flows.permute(0, 3, 1, 2)  # (T-1, H, W, 2) -> 2, H, W
        out[..., :flows.shape[-2], :flows.shape[-1]] = flows
        return [out * 0.5, out]


@pytest.fixture(scope='module')
def toy():
    videos = generate_toy_videos(2, 0, num_frames=T, height=H, width=W)
    return videos


def write_toy(root, videos):
    return write_davis(str(root), {'train': videos})


def dataset(root, test_mode=True, flow=True):
    loaders = [dict(type='LoadImageFromFile'), dict(type='LoadVOSAnnotation')]
    prefix = dict(img_path='JPEGImages/480p', seg_map_path='Annotations/480p')
    if flow:
        loaders.append(dict(type='LoadOpticalFlow'))
        prefix['flow_path'] = 'Flow/480p'
    pipeline = [dict(type='TransformBroadcaster', transforms=loaders),
                dict(type='PackVideoInputs')]
    if not test_mode:
        pipeline.insert(0, dict(type='VideoFrameSample', num_frames=3,
                                mode='consecutive'))
    return DATASETS.build(
        dict(type='DAVISDataset', data_root=str(root), data_prefix=prefix,
             ann_file='ImageSets/2017/train.txt', test_mode=test_mode,
             pipeline=pipeline))


def batch(model, ds, indices, training=False):
    return model.data_preprocessor(
        pseudo_collate([ds[i] for i in indices]), training)


def predict(model, data):
    model.eval()
    with torch.no_grad():
        out = model(**copy.deepcopy(data), mode='predict')
    return torch.stack([
        f.pred_sem_seg.data[0] for f in out[0].video_data_samples])


def test_loss_backward_and_modes(tmp_path, toy):
    write_toy(tmp_path, toy)
    for with_flow in (True, False):
        model = tiny_model(with_flow)
        data = batch(model, dataset(tmp_path, test_mode=False), [0, 1], True)
        model.train()
        losses = model(**data, mode='loss')
        assert set(losses) == {'loss_mask', 'acc_mask'}
        assert torch.isfinite(losses['loss_mask'])
        losses['loss_mask'].backward()
        grads = [p.grad for p in model.backbone.parameters()]
        assert any(g is not None and g.abs().sum() > 0 for g in grads)
        if with_flow:
            assert any(p.grad is not None and p.grad.abs().sum() > 0
                       for p in model.flow_backbone.parameters())
        logits = model(torch.zeros(1, 2, 3, H, W), mode='tensor')
        assert logits.shape == (2, 2, H, W)
    with pytest.raises(ValueError, match='flow_backbone and flow_head'):
        tiny_model(flow_backbone=BACKBONE, flow_head=None)


def test_predict_writes_first_frame_objects(tmp_path, toy):
    write_toy(tmp_path, toy)
    model = tiny_model()
    ds = dataset(tmp_path)
    data = batch(model, ds, [0])
    labels = predict(model, data)
    assert labels.shape == (T, H, W)
    first = data['data_samples'][0].video_data_samples[0]
    assert torch.equal(labels[0], first.gt_sem_seg.data[0])
    objects = set(first.metainfo['ref_object_ids'])
    assert set(labels.unique().tolist()) <= objects | {0}


def _moving_boxes(pan=False):
    """Two boxes moving by whole pixels: labels (T, H, W) and flows; with
    ``pan`` everything moves as the first box (no occlusion)."""
    boxes = [((4, 6), (6, 8), (2, 1)), ((16, 30), (8, 10), (-3, 0))]
    if pan:
        boxes[1] = ((16, 20), (8, 10), (2, 1))
    labels = torch.zeros(T, H, W, dtype=torch.long)
    flows = torch.zeros(T - 1, 2, H, W)
    if pan:
        flows[:, 0], flows[:, 1] = 2, 1
    for k, ((y, x), (h, w), (dx, dy)) in enumerate(boxes, 1):
        for t in range(T):
            y0, x0 = y + dy * t, x + dx * t
            labels[t, y0:y0 + h, x0:x0 + w] = k
            if t < T - 1:
                flows[t, 0, y0:y0 + h, x0:x0 + w] = dx
                flows[t, 1, y0:y0 + h, x0:x0 + w] = dy
    return labels, flows


def test_propagation_follows_the_guide():
    """With a network that copies the guide (object logit 8 (guide - 0.5),
    background 0), propagation is pure flow warping: exact for whole-pixel
    motion, for every object, forward in time (objects moving apart) and
    backward (a pan: backward warping with forward flow is exact only
    where nothing gets occluded), with and without flip averaging."""
    def video(flows):
        return dict(frames=torch.zeros(T, 3, H, W), flows=flows,
                    motion=torch.cat([flows, flows[-1:]]), num_objects=2)

    for flip in (True, False):
        gt, flows = _moving_boxes()
        vid = video(flows)
        model = tiny_model(with_flow=False, test_cfg=dict(
            patch_size=(24, 24), flip=flip, context=2.0))
        model.segment = lambda img, flow, guide: torch.cat(
            [torch.zeros_like(guide), 8 * (guide - 0.5)], 1)
        labels = torch.zeros_like(gt)
        labels[0] = gt[0]
        model.propagate(vid, 0, T - 1, labels)
        assert torch.equal(labels, gt)
        # propagating only object 2 leaves object 1's labels alone
        only = gt.clone()
        only[1:][only[1:] == 2] = 0
        model.propagate(vid, 0, T - 1, only, objects=[2])
        assert torch.equal(only, gt)
        gt, flows = _moving_boxes(pan=True)
        back = torch.zeros_like(gt)
        back[T - 1] = gt[T - 1]
        model.propagate(video(flows), T - 1, 0, back)
        assert torch.equal(back, gt)
    assert torch.equal(model.merge(torch.tensor(
        [[[0.2, 0.7]], [[0.4, 0.6]]])), torch.tensor([[0, 1]]))


def test_precomputed_flow_and_raft_stub_agree(tmp_path, toy):
    write_toy(tmp_path, toy)
    flow_model = tiny_model()
    ds = dataset(tmp_path)
    data = batch(flow_model, ds, [0])
    labels_flo = predict(flow_model, data)
    raft_model = tiny_model(flow=dict(
        type='RAFTFlowEstimator',
        network=dict(type='ExactFlowStub', flows=toy[0].flow)))
    raft_model.load_state_dict(flow_model.state_dict(), strict=False)
    labels_raft = predict(raft_model, batch(raft_model, dataset(
        tmp_path, flow=False), [0]))
    assert raft_model.flow_source.net.calls == 1
    assert torch.equal(labels_flo, labels_raft)
    # the estimator stays frozen in eval mode when the model trains
    raft_model.train()
    assert not raft_model.flow_source.net.training
    assert not any(p.requires_grad
                   for p in raft_model.flow_source.parameters())


def test_bad_input_names_file_and_sequence(tmp_path, toy):
    write_toy(tmp_path, toy)
    model = tiny_model()
    # a frame without flow when the model reads precomputed flow
    data = batch(model, dataset(tmp_path, flow=False), [0])
    with pytest.raises(ValueError, match=r'00000\.jpg.*toy_0000.*no forward'):
        predict(model, data)
    # a missing or wrongly sized .flo file: the pipeline names it
    flo = osp.join(tmp_path, 'Flow', '480p', 'toy_0000', '00001.flo')
    os.remove(flo)
    with pytest.raises(FileNotFoundError, match='00001.flo'):
        dataset(tmp_path)[0]
    write_flo(flo, np.zeros((H // 2, W, 2), np.float32))
    with pytest.raises(ValueError, match=r'00001\.flo.*toy_0000'):
        dataset(tmp_path)[0]
    write_flo(flo, toy[0].flow[1])
    # a first-frame mask with no object
    save_palette_png(
        osp.join(tmp_path, 'Annotations', '480p', 'toy_0001', '00000.png'),
        np.zeros((H, W), np.uint8), DAVIS_PALETTE)
    data = batch(model, dataset(tmp_path), [1])
    with pytest.raises(ValueError, match=r'toy_0001.*00000.*no object'):
        predict(model, data)


def test_is_registered():
    assert MODELS.get('VSReID') is VSReID


def test_reid_embedding_loss_stage(tmp_path, toy):
    """``train_cfg.losses``: the embedding trains alone (propagation gets
    no gradient) or jointly; 'reid' needs a trainable embedder."""
    write_toy(tmp_path, toy)
    embedder = dict(
        type='ReIDEmbedHead',
        backbone=dict(type='mmseg.ResNetV1c', depth=18, in_channels=3,
                      stem_channels=8, base_channels=8, out_indices=(3, ),
                      init_cfg=None),
        in_channels=64, fc_channels=16, out_channels=8)
    reid = dict(type='VOSReIDTracker', proposal_file='unused.json',
                embedder=embedder, crop_size=(16, 16))
    ds = dataset(tmp_path, test_mode=False)
    for losses, expected in [(('reid', ), {'loss_reid', 'pos_gap_reid'}),
                             (('mask', 'reid'), {'loss_mask', 'acc_mask',
                                                 'loss_reid',
                                                 'pos_gap_reid'})]:
        model = tiny_model(False, reid=reid,
                           train_cfg=dict(patch_size=(32, 32),
                                          losses=losses))
        data = batch(model, ds, [0, 1], True)
        model.train()
        out = model(**data, mode='loss')
        assert set(out) == expected
        assert torch.isfinite(out['loss_reid']) and out['loss_reid'] > 0
        sum(v for k, v in out.items() if k.startswith('loss')).backward()
        assert any(p.grad is not None and p.grad.abs().sum() > 0
                   for p in model.reid.embedder.parameters())
        prop_grads = [p.grad for p in model.backbone.parameters()]
        if losses == ('reid', ):
            assert all(g is None for g in prop_grads)
        else:
            assert any(g is not None for g in prop_grads)
    with pytest.raises(ValueError, match='no trainable embedder'):
        tiny_model(False, reid=dict(reid, embedder=None),
                   train_cfg=dict(losses=('reid', )))
    with pytest.raises(ValueError, match='non-empty subset'):
        tiny_model(False, train_cfg=dict(losses=('mask', 'ce')))


def _copy_guide(img, flow, guide):
    """A network that copies its guide: object logit 8 (guide - 0.5)."""
    return torch.cat([torch.zeros_like(guide), 8 * (guide - 0.5)], 1)


def test_objects_start_at_their_reference_frame():
    """Object 2 enters at frame 2 (its reference mask is there): frames 0
    and 1 hold no mask of it, and from frame 2 on both objects follow the
    flow exactly (a guide-copying network)."""
    gt, flows = _moving_boxes()
    model = tiny_model(with_flow=False, test_cfg=dict(
        patch_size=(24, 24), flip=False, context=2.0, reid=False))
    model.segment = _copy_guide
    refs = {0: torch.where(gt[0] == 1, gt[0], 0),
            2: torch.where(gt[2] == 2, gt[2], 0)}
    video = dict(frames=torch.zeros(T, 3, H, W), flows=flows,
                 motion=torch.cat([flows, flows[-1:]]), num_objects=2,
                 ref_labels=refs, ref_frames=[0, 2])
    labels = model.segment_video(video, [None] * T)
    assert not (labels[:2] == 2).any()
    assert torch.equal(labels[:2], torch.where(gt[:2] == 1, gt[:2], 0))
    assert torch.equal(labels[2:], gt[2:])
    # a later reference replaces what propagation wrote there: object 2
    # starts in frame 0, object 1 in frame 2 with a reference that covers
    # where object 2 flowed to
    over = torch.zeros_like(gt[2])
    over[gt[2] == 2] = 1
    video = dict(video, ref_labels={0: (gt[0] == 2).long() * 2, 2: over},
                 ref_frames=[2, 0])
    labels = model.segment_video(video, [None] * T)
    assert not (labels[:2] == 1).any()
    assert torch.equal(labels[:2] == 2, gt[:2] == 2)
    assert torch.equal(labels[2], over)


def _youtube_vos(root, videos):
    from mmvidseg.testing.toy_formats import write_youtube_vos
    write_youtube_vos(str(root), {'val': videos})
    loaders = [dict(type='LoadImageFromFile'), dict(type='LoadVOSAnnotation'),
               dict(type='LoadOpticalFlow')]
    return DATASETS.build(
        dict(type='YouTubeVOSDataset', data_root=str(root),
             data_prefix=dict(img_path='valid/JPEGImages',
                              seg_map_path='valid/Annotations',
                              flow_path='valid/Flow'),
             test_mode=True,
             pipeline=[dict(type='TransformBroadcaster', transforms=loaders),
                       dict(type='PackVideoInputs')]))


def test_youtube_vos_objects_entering_later(tmp_path):
    """YouTube-VOS: each object starts from its reference frame (the frame
    whose ``ref_object_ids`` lists it) with its reference mask there, and
    no frame before holds it."""
    # seed 14: an object enters after the first frame
    videos = [generate_toy_videos(1, 14, num_frames=T, height=H,
                                  width=W)[0]]
    ds = _youtube_vos(tmp_path, videos)
    model = tiny_model(test_cfg=dict(patch_size=(32, 32), reid=False))
    model.segment = _copy_guide
    data = batch(model, ds, [0])
    samples = data['data_samples'][0].video_data_samples
    video = model._video_inputs(data['inputs'][0], samples)
    assert max(video['ref_frames']) > 0
    labels = predict(model, data)
    for t, frame in enumerate(samples):
        ref = frame.gt_sem_seg.data[0]
        for obj in frame.metainfo['ref_object_ids']:
            assert not (labels[:t] == obj).any()
            assert torch.equal(labels[t] == obj, ref == obj)
            if t < T - 1:  # propagated on
                assert (labels[t + 1] == obj).any()
    assert set(labels.unique().tolist()) - {0} == {
        o for f in samples for o in f.metainfo['ref_object_ids']}


def test_frame0_only_videos_keep_their_labels(tmp_path):
    """DAVIS (every reference in frame 0): ``predict`` gives exactly the
    labels of the frame-0-only algorithm (frame 0's objects propagated
    forward, re-identification with first-frame templates) on a random
    tiny model, re-identification on."""
    n = 8
    videos = generate_toy_videos(2, 0, num_frames=n, height=H, width=W)
    write_davis(str(tmp_path), {'train': videos}, occlude_frames=3)
    # a random model grows its masks: verify_th removes them (the object
    # is lost) and reid_th=0 re-starts it from any candidate
    reid = dict(type='VOSReIDTracker', embedder=None, reid_th=0.0,
                lost_area_ratio=0.9, verify_th=0.99, crop_size=(16, 16),
                proposal_file=osp.join(str(tmp_path), 'Proposals', '480p',
                                       'train.json'))
    model = tiny_model(reid=reid)
    ds = dataset(tmp_path)
    restarts = 0
    for index in range(len(videos)):
        data = batch(model, ds, [index])
        labels = predict(model, data)
        samples = data['data_samples'][0].video_data_samples
        first = samples[0].gt_sem_seg.data[0]
        objects = samples[0].metainfo['ref_object_ids']
        old = torch.zeros((n, ) + first.shape, dtype=torch.long)
        for k, obj in enumerate(objects, 1):
            old[0][first == obj] = k
        frames = data['inputs'][0]
        flows = model._frame_flows(frames, samples)
        video = dict(frames=frames, flows=flows, motion=motion_fields(flows),
                     num_objects=len(objects),
                     name=samples[0].metainfo['video_name'])
        model.eval()
        with torch.no_grad():
            model.propagate(video, 0, n - 1, old)
            restarts += len(model.reid.refine(model, video, samples, old))
        lut = torch.tensor([0] + objects)
        assert torch.equal(labels, lut[old])
    assert restarts > 0  # the re-identification pass did re-start objects
