# Copyright (c) OpenMMLab. All rights reserved.
"""Deep Voxel Flow: network, losses, model modes and configs."""
import copy
import os.path as osp

import pytest
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.config import Config

from mmvidseg.models import DeepVoxelFlow, TotalVariationLoss, VoxelFlowNet
from mmvidseg.registry import MODELS
from mmvidseg.utils import register_all_modules

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
CFG_DIR = osp.join(ROOT, 'configs', 'deep_voxel_flow')
TOY_CFG = osp.join(CFG_DIR, 'dvf_unet-tiny-ms2_1xb8-1k_toy-triplets.py')
UCF_CFG = osp.join(CFG_DIR, 'dvf_unet-ms3_1xb32-400e_ucf101-triplets.py')
EXTRA_CFG = osp.join(CFG_DIR,
                     'dvf-extra_unet-tiny-ms2_1xb8-1k_toy-triplets.py')

register_all_modules()


def tiny_model(**kwargs):
    cfg = dict(
        type='DeepVoxelFlow',
        backbone=dict(type='VoxelFlowNet', channels=(4, 8, 8), num_scales=2),
        max_flow=4.0,
        data_preprocessor=dict(
            type='VideoDataPreprocessor',
            mean=[127.5] * 3,
            std=[127.5] * 3,
            bgr_to_rgb=True))
    cfg.update(kwargs)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def packed_batch(n=2, h=24, w=40, key=1, seed=0):
    g = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for _ in range(n):
        inputs.append(torch.randint(0, 256, (3, 3, h, w), generator=g,
                                    dtype=torch.uint8))
        frames = [
            DetDataSample(metainfo=dict(img_shape=(h, w), ori_shape=(h, w)))
            for _ in range(3)
        ]
        track = TrackDataSample()
        track.video_data_samples = frames
        track.set_metainfo(
            dict(key_frames_inds=[key],
                 ref_frames_inds=[i for i in range(3) if i != key]))
        samples.append(track)
    return dict(inputs=inputs, data_samples=samples)


# ------------------------------------------------------------------ network
@pytest.mark.parametrize('num_scales', [1, 3])
def test_voxel_flow_net(num_scales):
    net = VoxelFlowNet(channels=(4, 8, 8), num_scales=num_scales)
    net.init_weights()
    assert net.size_divisor == 2**(3 + num_scales - 1)
    d = net.size_divisor
    out = net(torch.randn(2, 6, 2 * d, 3 * d))
    assert out['voxel_flow'].shape == (2, 3, 2 * d, 3 * d)
    assert out['voxel_flow'].abs().max() <= 1
    assert [u.shape[-1] for u in out['pyramid']] == [
        3 * d // 2**s for s in range(num_scales)
    ]
    with pytest.raises(ValueError, match='divisible'):
        net(torch.randn(1, 6, d + 1, d))
    with pytest.raises(ValueError, match='channels'):
        VoxelFlowNet(channels=(4, 8), enc_kernels=(5, 5, 3))


def test_total_variation_loss():
    x = torch.tensor([[[[0., 1., 3.], [0., 1., 3.]]]])
    # horizontal diffs 1, 2, 1, 2: mean 1.5; vertical 0; times the weight
    assert TotalVariationLoss(loss_weight=2.0)(x).item() == pytest.approx(3.0)
    assert TotalVariationLoss()(torch.zeros(1, 1, 1, 1)).item() == 0
    with pytest.raises(ValueError, match='N, C, H, W'):
        TotalVariationLoss()(torch.zeros(3, 3))


# -------------------------------------------------------------------- model
def test_loss_predict_tensor_modes():
    model = tiny_model(pyramid_loss_weight=0.5)
    data = model.data_preprocessor(packed_batch(), True)
    assert data['inputs'].shape == (2, 3, 3, 24, 40)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_rec', 'loss_tv_flow', 'loss_tv_mask',
                           'loss_rec_s1'}
    assert all(torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    assert model.backbone.fusion.weight.grad is not None

    model.eval()
    data = model.data_preprocessor(packed_batch(), False)
    with torch.no_grad():
        samples = model(**data, mode='predict')
        frame, vflow = model(data['inputs'], mode='tensor')
        frame2, _ = model(data['inputs'][:, [0, 2]], mode='tensor')
    pred = samples[0].video_data_samples[1].pred_frame.data
    assert pred.shape == (3, 24, 40)
    assert 0 <= pred.min() and pred.max() <= 255
    assert 'pred_frame' not in samples[0].video_data_samples[0]
    assert samples[1].video_data_samples[1].pred_voxel_flow.data.shape == (
        3, 24, 40)
    assert frame.shape == (2, 3, 24, 40) and vflow.shape == (2, 3, 24, 40)
    # T = 2 (inputs only) gives the same frame as the triplet's inputs
    torch.testing.assert_close(frame, frame2)
    torch.testing.assert_close(
        model.denormalize(frame)[0].clamp(0, 255), pred)


def test_prediction_is_cropped_and_padded_input():
    """Any frame size works (replicate padding to the size divisor); the
    prediction is cropped to the frame's img_shape."""
    model = tiny_model().eval()
    batch = packed_batch(n=1, h=21, w=35)
    batch['data_samples'][0].video_data_samples[1].set_metainfo(
        dict(img_shape=(20, 30)))
    data = model.data_preprocessor(batch, False)
    with torch.no_grad():
        out = model(**data, mode='predict')
    assert out[0].video_data_samples[1].pred_frame.data.shape == (3, 20, 30)


def test_zero_flow_blends_the_inputs():
    """With the output convs zeroed, u = 0: the frame average."""
    model = tiny_model().eval()
    for conv in (model.backbone.fusion, *model.backbone.heads):
        torch.nn.init.zeros_(conv.weight)
        torch.nn.init.zeros_(conv.bias)
    img0, img1 = torch.rand(2, 1, 3, 16, 16).unbind(0)
    out = model.synthesize(img0, img1)
    torch.testing.assert_close(out['frame'], (img0 + img1) / 2)
    assert out['voxel_flow'].abs().max() == 0


def test_training_steps_reduce_the_loss():
    torch.manual_seed(0)
    model = tiny_model()
    optim = torch.optim.Adam(model.parameters(), lr=3e-3)
    data = model.data_preprocessor(packed_batch(n=2, h=16, w=16), True)
    first = None
    for _ in range(25):
        losses = model(**data, mode='loss')
        loss = sum(losses.values())
        first = loss.item() if first is None else first
        optim.zero_grad()
        loss.backward()
        optim.step()
    assert loss.item() < first


def test_extrapolation_and_key_checks():
    model = tiny_model(synthesis='extra')
    data = model.data_preprocessor(packed_batch(key=2), True)
    losses = model(**data, mode='loss')
    assert torch.isfinite(losses['loss_rec'])
    # the samples' key frame must agree with the model's synthesis
    data = model.data_preprocessor(packed_batch(key=1), True)
    with pytest.raises(ValueError, match='synthesis'):
        model(**data, mode='loss')
    with pytest.raises(ValueError, match=r'T = 3'):
        model(torch.zeros(1, 4, 3, 16, 16), mode='tensor')
    with pytest.raises(ValueError, match='triplets'):
        model.loss(torch.zeros(1, 2, 3, 16, 16))
    with pytest.raises(ValueError, match='synthesis'):
        tiny_model(synthesis='both')
    with pytest.raises(ValueError, match='invalid mode'):
        model(torch.zeros(1, 3, 3, 16, 16), mode='train')


# ------------------------------------------------------------------ configs
@pytest.mark.parametrize('path', [TOY_CFG, EXTRA_CFG, UCF_CFG])
def test_configs_build(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmvidseg'
    model = MODELS.build(copy.deepcopy(cfg.model))
    assert isinstance(model, DeepVoxelFlow)
    assert cfg.train_dataloader.dataset.synthesis == model.synthesis
    assert cfg.val_dataloader.dataset.synthesis == model.synthesis
    if path == UCF_CFG:
        # the paper's sizes: 3 scales of 64/128/256 channels, batch 32
        assert model.backbone.num_scales == 3
        assert cfg.train_dataloader.batch_size == 32
        assert cfg.optim_wrapper.optimizer.type == 'Adam'
        params = sum(p.numel() for p in model.parameters())
        assert 5e6 < params < 2e7
        model.eval()
        with torch.no_grad():
            frame, _ = model(torch.zeros(1, 3, 3, 64, 64), mode='tensor')
        assert frame.shape == (1, 3, 64, 64)


@pytest.fixture(scope='module')
def toy_ucf_layout(tmp_path_factory):
    """Toy triplets in the layouts the configs expect: the release's lists
    for 'train', 'val' and 'test', videos and a train_motion.txt list."""
    import shutil

    from mmvidseg.testing import generate_toy_video
    from mmvidseg.testing.toy_formats import write_triplets
    root = str(tmp_path_factory.mktemp('dvf_layout'))
    splits = {
        split: [generate_toy_video(seed, num_frames=4, height=64, width=64)]
        for seed, split in enumerate(('train', 'val', 'test'))
    }
    write_triplets(root, splits)
    shutil.copy(osp.join(root, 'videos_train.txt'),
                osp.join(root, 'train_motion.txt'))
    return root


@pytest.mark.parametrize('path', [TOY_CFG, EXTRA_CFG, UCF_CFG])
def test_config_pipelines_train_and_predict(path, toy_ucf_layout):
    """The configs' datasets and pipelines load the layouts they document,
    and one training / one validation step runs on what they produce."""
    from mmengine.dataset import pseudo_collate

    from mmvidseg.registry import DATASETS
    cfg = Config.fromfile(path)
    model = MODELS.build(copy.deepcopy(cfg.model))
    model.init_weights()
    for split in ('train', 'val'):
        ds_cfg = copy.deepcopy(cfg[f'{split}_dataloader'].dataset)
        ds_cfg.data_root = toy_ucf_layout
        dataset = DATASETS.build(ds_cfg)
        assert len(dataset) == 2
        batch = pseudo_collate([dataset[0], dataset[1]])
        if split == 'train':
            model.train()
            data = model.data_preprocessor(batch, True)
            losses = model(**data, mode='loss')
            assert torch.isfinite(sum(losses.values()))
        else:
            model.eval()
            data = model.data_preprocessor(batch, False)
            with torch.no_grad():
                out = model(**data, mode='predict')
            key = out[0].key_frames_inds[0]
            assert 'pred_frame' in out[0].video_data_samples[key]
            assert 'gt_frame' in out[0].video_data_samples[key]
