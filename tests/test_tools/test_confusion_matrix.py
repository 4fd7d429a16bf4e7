# Copyright (c) OpenMMLab. All rights reserved.
import importlib.util
import os.path as osp
import pickle

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
_spec = importlib.util.spec_from_file_location(
    '_confusion_matrix',
    osp.join(ROOT, 'tools', 'analysis_tools', 'confusion_matrix.py'))
cm = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cm)
VPS_CONFIG = osp.join(ROOT, 'configs', 'video_knet',
                      'video-knet_r18-w16_1xb2-6k_toy-kitti-step.py')


def _vss_frame(gt, pred, frame_id=0):
    sample = SegDataSample(metainfo=dict(video_id=0, frame_id=frame_id))
    sample.gt_sem_seg = PixelData(data=torch.tensor([gt]))
    sample.pred_sem_seg = PixelData(data=torch.tensor([pred]))
    return sample


def _vps_frame(gt, pred):
    # panoptic ids class * 1000 + track; void 255 * 1000; as dicts, as
    # the evaluator hands them to the metrics
    return dict(
        img_path='v/0.png',
        gt_panoptic_seg=dict(sem_seg=torch.tensor([gt])),
        pred_panoptic_seg=dict(sem_seg=torch.tensor([pred])),
        # a semantic head's output that --source sem_seg would read
        pred_sem_seg=dict(data=torch.zeros(1, *np.shape(gt))))


def test_counts_vss_and_vps():
    frames = [
        _vss_frame([[0, 0, 1], [2, 255, 1]], [[0, 1, 1], [255, 2, 0]]),
        _vss_frame([[2, 2, 2], [2, 2, 2]], [[2, 2, 2], [2, 2, 1]], 1),
    ]
    matrix = cm.confusion_matrix(frames, 3)
    # rows: gt 0..2; columns: pred 0..2 + void; gt void not counted
    assert matrix.tolist() == [[1, 1, 0, 0], [1, 1, 0, 0], [0, 1, 5, 1]]
    vps = [
        _vps_frame([[0, 1001, 1002], [255000, 2000, 2000]],
                   [[1003, 1001, 255000], [0, 2000, 1001]])
    ]
    assert cm.confusion_matrix(vps, 3).tolist() == [[0, 1, 0, 0],
                                                    [0, 1, 0, 1],
                                                    [0, 1, 1, 0]]
    # the sem_seg field instead: every prediction is class 0 there
    matrix = cm.confusion_matrix(vps, 3, source='sem_seg')
    assert matrix[:, 0].tolist() == [1, 2, 2]
    norm = cm.normalize(np.array([[1, 3, 0], [0, 0, 0]]))
    assert norm[0].tolist() == [25.0, 75.0, 0.0]
    assert np.isnan(norm[1]).all()


def test_errors():
    with pytest.raises(ValueError, match='ground-truth class 3 is beyond'):
        cm.confusion_matrix([_vss_frame([[3]], [[0]])], 3)
    with pytest.raises(ValueError, match='predicted class 7 is beyond'):
        cm.confusion_matrix([_vss_frame([[0]], [[7]])], 3)
    with pytest.raises(ValueError, match='ground truth has 2 pixels'):
        cm.confusion_matrix([_vss_frame([[0, 1]], [[0]])], 3)
    frame = dict(img_path='a.png', gt_sem_seg=dict(data=torch.zeros(1, 2)))
    with pytest.raises(ValueError, match='a.png: the frame has no '
                       'pred_panoptic_seg or pred_sem_seg'):
        cm.confusion_matrix([frame], 3)


def test_from_pickle_with_plot(tmp_path):
    frames = [_vss_frame([[0, 1], [5, 4]], [[0, 1], [4, 4]], i)
              for i in range(3)]
    pkl = tmp_path / 'preds.pkl'
    with open(pkl, 'wb') as f:
        pickle.dump([dict(video_data_samples=frames)], f)
    out = tmp_path / 'cm'
    matrix = cm.main([VPS_CONFIG, str(pkl), str(out), '--normalize'])
    assert matrix.shape == (6, 7)   # the toy KITTI-STEP classes + void
    assert matrix[5, 4] == 3 and np.trace(matrix) == 9
    assert (np.load(out / 'confusion_matrix.npy') == matrix).all()
    assert osp.getsize(out / 'confusion_matrix.png') > 0


def test_run_model_agrees_with_the_metric(tmp_path, toy_vspw_root,
                                          baseline_config):
    """Running a checkpoint counts every scored pixel: its accuracy and
    IoU equal VSSMetric's aAcc and mIoU (VSPW rule: classes with ground
    truth) of the same run."""
    from mmvidseg.registry import MODELS
    from mmvidseg.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(baseline_config)
    cfg.test_dataloader.dataset.data_root = toy_vspw_root
    torch.manual_seed(0)
    state = MODELS.build(cfg.model).state_dict()
    for key, value in state.items():
        # random classifier weights: several classes predicted
        if 'conv_seg.weight' in key:
            value.normal_(0, 1)
    ckpt = str(tmp_path / 'random.pth')
    torch.save(dict(state_dict=state), ckpt)
    matrix, metrics = cm.run_model(cfg, ckpt, str(tmp_path / 'work'), 6)
    # every pixel of the 2 x 10 val frames of 32 x 48 (the toy has no
    # void pixels), nothing predicted void, several classes predicted
    assert matrix.sum() == 20 * 32 * 48 and matrix[:, -1].sum() == 0
    assert (matrix.sum(0) > 0).sum() >= 3
    assert 100 * np.trace(matrix) / matrix.sum() == pytest.approx(
        metrics['aAcc'], abs=0.01)
    inter = np.diag(matrix[:, :6]).astype(float)
    union = matrix.sum(1) + matrix[:, :6].sum(0) - inter
    has_gt = matrix.sum(1) > 0
    miou = 100 * np.mean(inter[has_gt] / union[has_gt])
    assert miou == pytest.approx(metrics['mIoU'], abs=0.01)
