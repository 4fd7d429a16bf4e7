# Copyright (c) OpenMMLab. All rights reserved.
"""VideoSegTTAModel: the same views for every frame, one online state per
view, flips undone, views merged."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.structures import PixelData

from mmvidseg.models.tta import VideoSegTTAModel, default_tta_pipeline
from mmvidseg.models.tta.video_seg_tta import merge_frame
from mmvidseg.structures import DetDataSample

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
KNET_VSS = osp.join(ROOT, 'configs', 'video_knet',
                    'video-knet_r18-w16_1xb2-2k_toy-vspw.py')


def test_default_pipeline_scales_every_resize():
    test = [
        dict(type='TransformBroadcaster', transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='mmdet.Resize', scale=(96, 64), keep_ratio=True),
        ]),
        dict(type='PackVideoInputs'),
    ]
    tta, = default_tta_pipeline(test, (1.0, 0.5))
    assert tta['type'] == 'TestTimeAug'
    branches, packs = tta['transforms']
    assert packs == [dict(type='PackVideoInputs')]
    assert [b['transforms'][1]['scale'] for b in branches] == [(96, 64),
                                                               (48, 32)]
    assert test[0]['transforms'][1]['scale'] == (96, 64)  # not modified
    with pytest.raises(ValueError, match='no Resize'):
        default_tta_pipeline([dict(type='LoadImageFromFile'),
                              dict(type='PackVideoInputs')])


def _frame(pred, logits=None):
    frame = DetDataSample()
    frame.pred_sem_seg = PixelData(data=torch.tensor([pred]))
    if logits is not None:
        frame.seg_logits = PixelData(data=torch.tensor(logits))
    return frame


def test_merge_votes_and_averages():
    # votes per pixel; the tie (pixel 1: 1 vs 2) goes to the first view
    views = [_frame([[0, 1, 255]]), _frame([[0, 2, 255]]),
             _frame([[3, 1, 3]]), _frame([[3, 2, 3]]), _frame([[0, 4, 3]])]
    assert merge_frame(views).tolist() == [[[0, 1, 3]]]
    # with logits: mean of the probabilities, whatever the labels say
    a = _frame([[0]], [[[2.0]], [[0.0]]])
    b = _frame([[1]], [[[0.0]], [[2.5]]])
    assert merge_frame([a, b]).tolist() == [[[1]]]
    with pytest.raises(ValueError, match='different sizes'):
        merge_frame([_frame([[0]]), _frame([[0, 0]])])


def _knet_batch(root, ratios=(1.0, )):
    from mmvidseg.registry import DATASETS, MODELS
    from mmvidseg.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(KNET_VSS)
    dataset = cfg.test_dataloader.dataset
    dataset.data_root = root
    dataset.pipeline = default_tta_pipeline(dataset.pipeline, ratios)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).eval()
    return model, pseudo_collate([DATASETS.build(dataset)[0]])


def _plain(model, batch, flip=False):
    view = {key: value[0] for key, value in batch.items()}
    if flip:
        view['inputs'] = [x.flip(-1) for x in view['inputs']]
    model.reset_state()
    with torch.no_grad():
        preds = model.test_step(view)
    frames = preds[0].video_data_samples
    labels = [f.pred_sem_seg.data.flip(-1) if flip else f.pred_sem_seg.data
              for f in frames]
    return labels, getattr(model, '_prev_kernels', None)


def test_views_keep_their_own_state(toy_vspw_root):
    """Video K-Net VSS links each frame to the previous frame's kernels:
    with a plain and a flipped view, each view's state is that of a plain
    run over its own frames, and the merge (a tie of two views) is the
    plain prediction."""
    model, batch = _knet_batch(toy_vspw_root)
    plain, plain_kernels = _plain(model, batch)
    flipped, flipped_kernels = _plain(model, batch, flip=True)
    assert any((a != b).any() for a, b in zip(plain, flipped))
    tta = VideoSegTTAModel(module=model, flip=True)
    with torch.no_grad():
        merged, = tta.test_step(batch)
    assert len(merged.video_data_samples) == len(plain) > 1
    for frame, expected in zip(merged.video_data_samples, plain):
        assert torch.equal(frame.pred_sem_seg.data, expected)
    assert torch.equal(tta._states[0]['_prev_kernels'], plain_kernels)
    assert torch.equal(tta._states[1]['_prev_kernels'], flipped_kernels)


def test_frame_baseline_single_view_is_the_plain_model(toy_vspw_root,
                                                       baseline_config):
    from mmvidseg.registry import DATASETS, MODELS
    from mmvidseg.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(baseline_config)
    dataset = cfg.test_dataloader.dataset
    dataset.data_root = toy_vspw_root
    dataset.pipeline = default_tta_pipeline(dataset.pipeline, (1.0, ))
    batch = pseudo_collate([DATASETS.build(dataset)[0]])
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).eval()
    plain, _ = _plain(model, batch)
    with torch.no_grad():
        merged, = VideoSegTTAModel(module=model,
                                   flip=False).test_step(batch)
    for frame, expected in zip(merged.video_data_samples, plain):
        assert torch.equal(frame.pred_sem_seg.data, expected)


def test_refuses_models_with_a_tracker():
    from mmvidseg.registry import MODELS
    from mmvidseg.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(osp.join(
        ROOT, 'configs', 'video_knet',
        'video-knet_r18-w16_1xb2-6k_toy-kitti-step.py'))
    with pytest.raises(ValueError, match='has a tracker'):
        VideoSegTTAModel(module=MODELS.build(cfg.model))
