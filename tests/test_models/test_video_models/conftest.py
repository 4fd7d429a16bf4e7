# Copyright (c) OpenMMLab. All rights reserved.
"""Tiny Video K-Net models and synthetic toy clips for the unit tests."""
import copy
import os.path as osp

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData, PixelData

from mmvidseg.testing import generate_toy_video

TOY_VPS_CONFIG = osp.join(
    osp.dirname(osp.abspath(__file__)), '..', '..', '..', 'configs',
    'video_knet', 'video-knet_r18-w16_1xb2-6k_toy-kitti-step.py')
C = 32


def _toy_embed_head():
    """The toy VPS config's association head, narrowed to ``C`` channels
    and one fc layer."""
    head = Config.fromfile(TOY_VPS_CONFIG).model.embed_head.to_dict()
    head.update(num_fcs=1, in_channels=C, fc_out_channels=C, embed_channels=C)
    return head


TINY = dict(
    type='VideoKNet',
    task='vps',
    num_classes=6,
    thing_classes=[3, 4, 5],
    backbone=dict(
        type='mmdet.ResNet',
        depth=18,
        base_channels=8,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        norm_cfg=dict(type='BN')),
    neck=dict(
        type='mmdet.FPN',
        in_channels=[8, 16, 32, 64],
        out_channels=C,
        num_outs=4),
    semantic_fpn=dict(
        type='KNetSemanticFPN',
        in_channels=C,
        feat_channels=C,
        out_channels=C,
        out_level=0,
        positional_encoding=dict(
            type='mmdet.SinePositionalEncoding',
            num_feats=C // 2,
            normalize=True),
        norm_cfg=dict(type='GN', num_groups=8)),
    proposal_head=dict(
        type='KernelProposalHead',
        num_proposals=8,
        in_channels=C,
        norm_cfg=dict(type='GN', num_groups=8)),
    iter_head=dict(
        type='KernelIterHead',
        num_stages=2,
        with_link=True,
        with_fusion=True,
        stage_head=dict(
            type='KernelUpdateHead',
            in_channels=C,
            feedforward_channels=2 * C,
            num_heads=4)),
    embed_head=_toy_embed_head(),
    tracker=dict(type='KernelQuasiDenseTracker'),
    mask_assign_stride=4)


def tiny_cfg(**overrides):
    """The tiny config with top-level keys (or nested dicts) replaced."""
    cfg = copy.deepcopy(TINY)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(cfg.get(key), dict):
            cfg[key].update(value)
        else:
            cfg[key] = value
    return cfg


def build_tiny(**overrides):
    """Build (and seed) a tiny VideoKNet in the mmvidseg scope."""
    init_default_scope('mmvidseg')
    from mmvidseg.registry import MODELS
    torch.manual_seed(0)
    return MODELS.build(tiny_cfg(**overrides))


def toy_clip(seed, frames, key=0, height=32, width=48, with_sem=True):
    """A normalised toy clip (1, T, 3, H, W) and its ``TrackDataSample``.

    Frames ``frames`` of toy video ``seed`` with ground-truth instances
    (dataset class ids 3..5, track ids) and, optionally, semantic maps;
    ``key`` is the index of the key frame in ``frames``.
    """
    video = generate_toy_video(
        seed, num_frames=max(frames) + 1, height=height, width=width)
    images = torch.from_numpy(video.images[frames]).permute(0, 3, 1, 2)
    samples = []
    for t in frames:
        sample = DetDataSample(
            metainfo=dict(
                img_shape=(height, width),
                ori_shape=(height, width),
                pad_shape=(height, width),
                frame_id=t,
                video_id=seed,
                video_length=video.num_frames))
        ids = [i for i in np.unique(video.instance[t]) if i > 0]
        masks = np.stack([video.instance[t] == i for i in ids]) if ids \
            else np.zeros((0, height, width), bool)
        sample.gt_instances = InstanceData(
            masks=BitmapMasks(masks.astype(np.uint8), height, width),
            labels=torch.tensor([video.track_label(i) for i in ids],
                                dtype=torch.long),
            instances_ids=torch.tensor(ids, dtype=torch.long))
        if with_sem:
            sample.gt_sem_seg = PixelData(
                data=torch.from_numpy(video.semantic[t].astype(
                    np.int64))[None])
        samples.append(sample)
    clip = TrackDataSample()
    clip.video_data_samples = samples
    clip.set_metainfo(
        dict(
            key_frames_inds=[key],
            ref_frames_inds=[i for i in range(len(frames)) if i != key]))
    inputs = (images.float() - 120.) / 60.
    return inputs[None], clip


class _Helpers:
    """What the ``knet`` fixture gives: the helpers above."""
    tiny_cfg = staticmethod(tiny_cfg)
    build_tiny = staticmethod(build_tiny)
    toy_clip = staticmethod(toy_clip)


@pytest.fixture
def knet():
    """Helpers to build tiny models and toy clips."""
    return _Helpers
