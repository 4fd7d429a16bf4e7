# Copyright (c) OpenMMLab. All rights reserved.
"""FusionSeg: flow image, stream head, three-branch fusion, losses,
inference and the DAVIS 2016 annotation transform."""
import os.path as osp
import sys

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData

PROJECT = osp.dirname(osp.dirname(osp.abspath(__file__)))
ROOT = osp.dirname(osp.dirname(PROJECT))
CONFIGS = osp.join(PROJECT, 'configs')
FUSED = osp.join(CONFIGS, 'fusionseg_r18-w16_1xb4-200_toy-davis.py')


def _model(config=FUSED, **kwargs):
    sys.path.insert(0, ROOT)
    cfg = Config.fromfile(config)
    init_default_scope('mmvidseg')
    from mmvidseg.registry import MODELS
    cfg.model.update(kwargs)
    torch.manual_seed(0)
    return MODELS.build(cfg.model)


def _clip(num_frames=2, h=24, w=32, binary=True, flow=True):
    torch.manual_seed(1)
    frames = []
    for i in range(num_frames):
        s = DetDataSample()
        s.set_metainfo(dict(frame_id=i, video_id=0, img_shape=(h, w),
                            ori_shape=(h, w), flow_valid=i < num_frames - 1))
        seg = torch.zeros(1, h, w, dtype=torch.long)
        seg[0, 5:15, 8 + i:20 + i] = 1 if binary else 3
        s.gt_sem_seg = PixelData(data=seg)
        if flow:
            f = torch.zeros(2, h, w)
            f[0, 5:15, 8 + i:20 + i] = 1.0
            s.gt_flow = PixelData(data=f)
        frames.append(s)
    sample = TrackDataSample()
    sample.video_data_samples = frames
    return torch.randn(1, num_frames, 3, h, w), [sample]


def test_flow_image_encodes_direction_and_relative_magnitude():
    from projects.fusionseg.fusionseg import flow_to_image
    flow = torch.zeros(1, 2, 4, 4)
    flow[0, 0, 0, 0] = 2.0  # right, largest
    flow[0, 0, 0, 1] = -2.0  # left, largest
    flow[0, 0, 0, 2] = 1.0  # right, half
    img = flow_to_image(flow)
    assert img.shape == (1, 3, 4, 4)
    assert img.min() >= 0 and img.max() <= 255
    assert torch.allclose(img[0, :, 3, 3], torch.full((3, ), 255.))  # still
    right, left, half = img[0, :, 0, 0], img[0, :, 0, 1], img[0, :, 0, 2]
    assert not torch.allclose(right, left)  # direction = hue
    assert right.min() < 1e-2  # full saturation
    assert torch.allclose(half, (right + 255) / 2, atol=1e-2)  # half
    with pytest.raises(ValueError, match='flow must be'):
        flow_to_image(torch.zeros(1, 3, 4, 4))


def test_head_sums_four_dilated_classifiers():
    from projects.fusionseg.fusionseg import DilatedClassifierHead
    head = DilatedClassifierHead(8, 2, dilations=(1, 2, 3, 4))
    x = torch.randn(1, 8, 10, 10)
    out = head(x)
    assert out.shape == (1, 2, 10, 10)
    expect = sum(c(x) for c in head.classifiers)
    assert torch.allclose(out, expect)
    assert [c.dilation[0] for c in head.classifiers] == [1, 2, 3, 4]


def test_fusion_is_the_max_of_three_branches():
    model = _model()
    a = torch.randn(1, 2, 3, 3)
    m = torch.randn(1, 2, 3, 3)
    fused = model.fuse_logits(dict(appearance=a, motion=m))
    ba = torch.relu(model.fuse['appearance'](a))
    bm = torch.relu(model.fuse['motion'](m))
    expect = torch.stack([ba, bm, ba * bm]).max(0)[0]
    assert torch.allclose(fused, expect)
    single = _model(streams=('motion', ))
    assert not hasattr(single, 'fuse') and set(single.backbones) == {
        'motion'
    }
    assert torch.equal(single.fuse_logits(dict(motion=m)), m)


def test_loss_backward_and_predict():
    model = _model()
    inputs, samples = _clip()
    losses = model(inputs, samples, mode='loss')
    assert set(losses) == {'loss_fused', 'loss_appearance', 'loss_motion'}
    sum(losses.values()).backward()
    for s in ('appearance', 'motion'):
        assert any(p.grad is not None and p.grad.abs().sum() > 0
                   for p in model.backbones[s].parameters())
    model.eval()
    with torch.no_grad():
        model(inputs, samples, mode='predict')
    for frame in samples[0].video_data_samples:
        assert frame.pred_sem_seg.data.shape == (1, 24, 32)
        assert set(frame.pred_sem_seg.data.unique().tolist()) <= {0, 1}
    # the last frame (no forward flow) reuses its predecessor's flow
    _, flows, _ = model._frames_and_flows(inputs, samples)
    assert torch.equal(flows[1], flows[0]) and flows[0].abs().sum() > 0


def test_appearance_only_needs_no_flow_and_bad_inputs_raise():
    model = _model(streams=('appearance', ))
    inputs, samples = _clip(flow=False)
    assert set(model(inputs, samples, mode='loss')) == {'loss_fused'}
    with pytest.raises(ValueError, match='gt_flow'):
        _model()(inputs, samples, mode='loss')
    inputs, samples = _clip(binary=False)
    with pytest.raises(ValueError, match='BinarizeVOSAnnotation'):
        _model()(inputs, samples, mode='loss')
    with pytest.raises(ValueError, match='streams'):
        _model(streams=('depth', ))


def test_binarize_annotation_merges_objects():
    sys.path.insert(0, ROOT)
    from projects.fusionseg.fusionseg import BinarizeVOSAnnotation
    ids = np.array([[0, 1, 2], [255, 3, 0]], np.uint8)
    out = BinarizeVOSAnnotation()(dict(gt_seg_map=ids,
                                       ref_object_ids=[1, 2, 3],
                                       gt_masks=None))
    assert out['gt_seg_map'].tolist() == [[0, 1, 1], [255, 1, 0]]
    assert out['ref_object_ids'] == [1]
    # the instances DAVISMetric reads first become the one foreground
    assert out['gt_masks'].masks.tolist() == [[[0, 1, 1], [0, 1, 0]]]
    assert out['gt_instances_ids'].tolist() == [1]
    assert out['gt_bboxes'].tolist() == [[1, 0, 3, 2]]
    with pytest.raises(KeyError, match='LoadVOSAnnotation'):
        BinarizeVOSAnnotation()(dict())


def test_ablation_configs_keep_one_stream():
    for s in ('appearance', 'motion'):
        cfg = Config.fromfile(
            osp.join(CONFIGS, f'fusionseg-{s}_r18-w16_1xb4-200_toy-davis.py'))
        assert tuple(cfg.model.streams) == (s, )


def test_fusion_starts_as_the_identity():
    """Untrained, the fusion is the paper's rule on the raw stream scores."""
    model = _model()
    model.init_weights()
    a = torch.randn(1, 2, 3, 3)
    m = torch.randn(1, 2, 3, 3)
    ra, rm = a.relu(), m.relu()
    expect = torch.stack([ra, rm, ra * rm]).max(0)[0]
    assert torch.allclose(model.fuse_logits(dict(appearance=a, motion=m)),
                          expect)


def test_staged_recipe_loads_streams_and_trains_the_fusion_only(tmp_path):
    paths = {}
    for s in ('appearance', 'motion'):
        single = _model(streams=(s, ))
        for p in single.parameters():
            p.data.normal_()
        paths[s] = str(tmp_path / f'{s}.pth')
        torch.save(dict(state_dict=single.state_dict()), paths[s])
    model = _model(frozen_streams=True, stream_checkpoints=paths)
    model.init_weights()
    for s in ('appearance', 'motion'):
        saved = torch.load(paths[s], weights_only=False)['state_dict']
        for k, v in model.state_dict().items():
            if k.startswith((f'backbones.{s}.', f'heads.{s}.')):
                assert torch.equal(v, saved[k]), k
    model.train()
    assert not model.backbones.training and not model.heads.training
    assert model.fuse.training
    inputs, samples = _clip()
    losses = model(inputs, samples, mode='loss')
    assert set(losses) == {'loss_fused'}
    losses['loss_fused'].backward()
    assert all(p.grad is None for p in model.backbones.parameters())
    assert all(p.grad is None for p in model.heads.parameters())
    assert all(p.grad is not None for p in model.fuse.parameters())


def test_staged_recipe_bad_settings_raise(tmp_path):
    with pytest.raises(ValueError, match='needs both streams'):
        _model(streams=('motion', ), frozen_streams=True)
    with pytest.raises(ValueError, match='stream_checkpoints'):
        _model(streams=('motion', ),
               stream_checkpoints=dict(appearance='a.pth'))
    # a motion-only checkpoint given as the appearance stream's
    path = str(tmp_path / 'motion.pth')
    torch.save(dict(state_dict=_model(streams=('motion', )).state_dict()),
               path)
    model = _model(stream_checkpoints=dict(appearance=path))
    with pytest.raises(KeyError, match='appearance stream'):
        model.init_weights()


def test_staged_config_freezes_the_streams():
    cfg = Config.fromfile(
        osp.join(CONFIGS, 'fusionseg-staged_r18-w16_1xb4-200_toy-davis.py'))
    assert cfg.model.frozen_streams
    assert set(cfg.model.stream_checkpoints) == {'appearance', 'motion'}
    # its appearance stream is the one trained with photometric distortion
    photometric = 'fusionseg-appearance-photometric_r18-w16_1xb4-200_toy-davis'
    assert photometric in cfg.model.stream_checkpoints['appearance']
    app = Config.fromfile(osp.join(CONFIGS, photometric + '.py'))
    assert tuple(app.model.streams) == ('appearance', )
    steps = app.train_dataloader.dataset.pipeline[1].transforms
    assert steps[-1].type == 'mmdet.PhotoMetricDistortion'


def test_photometric_pipeline_shares_the_draw_across_frames():
    """The appearance stream's training clip: both frames get the same
    distortion, masks and flow are untouched."""
    sys.path.insert(0, ROOT)
    init_default_scope('mmvidseg')
    import mmvidseg.datasets  # noqa: F401
    from mmvidseg.registry import TRANSFORMS
    cfg = Config.fromfile(osp.join(
        CONFIGS,
        'fusionseg-appearance-photometric_r18-w16_1xb4-200_toy-davis.py'))
    broadcast = cfg.train_dataloader.dataset.pipeline[1]
    broadcast.transforms = broadcast.transforms[-1:]  # distortion only
    step = TRANSFORMS.build(broadcast)
    img = np.full((4, 6, 3), 100, np.uint8)
    seg = np.zeros((4, 6), np.uint8)
    np.random.seed(3)
    outs = [step(dict(img=[img.copy(), img.copy()],
                      gt_seg_map=[seg.copy(), seg.copy()]))
            for _ in range(4)]
    assert all(np.array_equal(o['img'][0], o['img'][1]) for o in outs)
    assert any(not np.allclose(o['img'][0], 100) for o in outs)
    assert all((m == 0).all() for o in outs for m in o['gt_seg_map'])


def test_stream_dropout_keeps_one_branch_per_dropped_frame():
    model = _model(stream_dropout=1.0)
    torch.manual_seed(2)
    logits = dict(appearance=torch.randn(4, 2, 3, 5),
                  motion=torch.randn(4, 2, 3, 5))
    keep = model._dropout_mask(4, 'cpu')
    # every frame dropped: exactly one branch each, both streams drawn
    assert keep.sum(1).tolist() == [1.0] * 4
    assert 0 < keep[:, 0].sum() < 4
    fused = model.fuse_logits(logits, keep)
    for i, s in enumerate(('appearance', 'motion')):
        alone = torch.relu(model.fuse[s](logits[s]))
        rows = keep[:, i] == 1
        assert torch.allclose(fused[rows], alone[rows])
    # both kept is the plain fusion; no dropout at test time or p = 0
    both = torch.ones(4, 2)
    assert torch.equal(model.fuse_logits(logits, both),
                       model.fuse_logits(logits))
    model.eval()
    assert model._dropout_mask(4, 'cpu') is None
    assert _model()._dropout_mask(4, 'cpu') is None
    model.train()
    inputs, samples = _clip()
    losses = model(inputs, samples, mode='loss')
    sum(losses.values()).backward()


def test_stream_dropout_bad_settings_raise():
    with pytest.raises(ValueError, match='stream_dropout'):
        _model(stream_dropout=1.5)
    with pytest.raises(ValueError, match='stream_dropout'):
        _model(streams=('motion', ), stream_dropout=0.5)
