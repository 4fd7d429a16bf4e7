# Tiny Video K-Net (clip-level VIS) trained from scratch on the CPU on toy
# videos in YouTube-VIS 2019's format (3 classes: car, person, ball).
# Data (128x192 frames, 32 train + 4 val videos of 8 frames; at 64x96 the
# balls are a few pixels wide and no mask reaches the high IoUs of AP):
#   python tools/misc/generate_toy_data.py youtube_vis \
#       data/toy_knet/youtube_vis_128x192 --num-train 32 --num-val 4 \
#       --height 128 --width 192
_base_ = [
    '../_base_/datasets/youtube_vis_2019.py', '../_base_/default_runtime.py'
]
data_root = 'data/toy_knet/youtube_vis_128x192/'
num_classes = 3
num_proposals = 20
channels = 64
loss_rank = dict(type='mmdet.CrossEntropyLoss', loss_weight=0.1)
stage_head = dict(
    type='KernelUpdateHead',
    in_channels=channels,
    feedforward_channels=4 * channels,
    num_heads=4)

model = dict(
    type='VideoKNet',
    task='vis',
    num_classes=num_classes,
    thing_classes=[0, 1, 2],
    data_preprocessor=dict(
        type='VideoDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        type='mmdet.ResNet',
        depth=18,
        base_channels=16,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        init_cfg=None),
    neck=dict(
        type='mmdet.FPN',
        in_channels=[16, 32, 64, 128],
        out_channels=channels,
        num_outs=4),
    semantic_fpn=dict(
        type='KNetSemanticFPN',
        in_channels=channels,
        feat_channels=channels,
        out_channels=channels,
        out_level=0,
        positional_encoding=dict(
            type='mmdet.SinePositionalEncoding',
            num_feats=channels // 2,
            normalize=True),
        positional_encoding_level=0,
        norm_cfg=dict(type='GN', num_groups=16, requires_grad=True)),
    proposal_head=dict(
        type='KernelProposalHead',
        num_proposals=num_proposals,
        in_channels=channels,
        norm_cfg=dict(type='GN', num_groups=16, requires_grad=True),
        loss_rank=loss_rank),
    iter_head=dict(
        type='KernelIterHead',
        num_stages=3,
        stage_head=stage_head,
        loss_rank=loss_rank),
    # clip stages on the mean kernels of the clip's frames
    clip_head=dict(
        type='KernelIterHead',
        num_stages=2,
        stage_head=stage_head,
        loss_rank=loss_rank),
    mask_assign_stride=4,
    test_cfg=dict(max_per_video=10))

train_pipeline = [
    dict(type='VideoFrameSample', mode='consecutive', num_frames=3),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadVideoInstances', with_mask=True),
            dict(
                type='RandomResize',
                scale=(192, 128),
                ratio_range=(0.75, 1.5),
                keep_ratio=True),
            dict(
                type='RandomCrop',
                crop_size=(128, 128),
                allow_negative_crop=True),
            dict(type='RandomFlip', prob=0.5),
        ]),
    dict(type='PackVideoInputs'),
]
test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=(192, 128), keep_ratio=True),
            dict(type='LoadVideoInstances', with_mask=True),
        ]),
    dict(type='PackVideoInputs'),
]
train_dataloader = dict(
    batch_size=2,
    dataset=dict(
        dataset_version=None,  # classes from the JSON categories
        data_root=data_root,
        pipeline=train_pipeline))
# clip-level inference: one whole video per sample
val_dataloader = dict(
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        dataset_version=None, data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader

max_iters = 6000
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
    clip_grad=dict(max_norm=1.0, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=100),
    dict(type='MultiStepLR', by_epoch=False, milestones=[4800, 5600],
         gamma=0.1)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=1000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=1000,
        max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
randomness = dict(seed=0)
