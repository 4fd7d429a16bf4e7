# Tiny TransVOD Lite on degraded toy ImageNet VID (see the single-frame
# config for the data): sequence to sequence, a clip of 5 consecutive frames
# in, one detection set per frame out. Three stages of hard query mining
# (12 / 8 / 6 of the 20 queries per frame; official 80 / 50 / 30 of 300),
# each a temporal query encoder layer over the clip's kept queries and a
# one-layer deformable decoder per frame, batched over the clip; no
# temporal encoder. The single-frame Deformable DETR starts from stage 1's
# checkpoint and stays fixed, so only the temporal modules train:
#   python tools/train.py \
#       configs/transvod/transvod-single_r18-w16_1xb4-2k_toy-imagenet-vid.py
#   python tools/train.py \
#       configs/transvod/transvod-lite_r18-w16_1xb1-1k_toy-imagenet-vid.py
# Testing reads whole videos (DefaultSampler), detected 5 frames at a time.
_base_ = [
    '../_base_/datasets/toy_imagenet_vid.py',
    './_base_/deformable-detr_r18-w16.py'
]
load_from = 'work_dirs/transvod-single_r18-w16_1xb4-2k_toy-imagenet-vid/' \
    'iter_2000.pth'
data_root = 'data/toy_transvod/imagenet_vid_degraded/'
dims = _base_.dims
num_frames = 5
model = dict(
    type='TransVODLite',
    num_frames=num_frames,
    query_encoder=dict(
        num_heads=4, feedforward_channels=4 * dims, dropout=0.1),
    query_topk=(12, 8, 6),
    temporal_decoder=dict(
        num_layers=1,
        return_intermediate=True,
        layer_cfg=dict(
            self_attn_cfg=dict(
                embed_dims=dims, num_heads=4, dropout=0.1, batch_first=True),
            cross_attn_cfg=dict(
                embed_dims=dims, num_heads=4, num_levels=1,
                batch_first=True),
            ffn_cfg=dict(
                embed_dims=dims, feedforward_channels=4 * dims,
                ffn_drop=0.1)),
        post_norm_cfg=None),
    temporal_head=dict(
        type='mmdet.DeformableDETRHead',
        num_classes=_base_.num_classes,
        sync_cls_avg_factor=True,
        loss_cls=dict(
            type='mmdet.FocalLoss',
            use_sigmoid=True,
            gamma=2.0,
            alpha=0.25,
            loss_weight=2.0),
        loss_bbox=dict(type='mmdet.L1Loss', loss_weight=5.0),
        loss_iou=dict(type='mmdet.GIoULoss', loss_weight=2.0),
        # at most the last stage's 6 queries x 3 classes
        test_cfg=dict(max_per_img=18)),
    freeze_detector=True)

train_pipeline = [
    dict(type='VideoFrameSample', num_frames=num_frames, mode='consecutive'),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadVideoInstances'),
            dict(
                type='RandomResize',
                scale=(96, 64),
                ratio_range=(0.8, 1.25),
                keep_ratio=True),
            dict(type='RandomFlip', prob=0.5),
        ]),
    dict(type='PackVideoInputs'),
]
train_dataloader = dict(
    batch_size=1,
    num_workers=1,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
# whole videos per sample, detected num_frames at a time
val_dataloader = dict(
    num_workers=1,
    sampler=dict(_delete_=True, type='DefaultSampler', shuffle=False),
    dataset=dict(data_root=data_root))
test_dataloader = val_dataloader

max_iters = 1000
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=5e-4, weight_decay=1e-4),
    clip_grad=dict(max_norm=1.0, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0,
         end=50),
    dict(type='MultiStepLR', by_epoch=False, milestones=[800], gamma=0.1),
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=500)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    checkpoint=dict(
        type='CheckpointHook', interval=500, by_epoch=False,
        max_keep_ckpts=1))
randomness = dict(seed=0)
