# Tiny Video K-Net shared by the toy configs (trained from scratch on the
# CPU): a ResNet-18 of base width 16 + FPN, 64 channels, 3 kernel-update
# stages, masks assigned at stride 4, and a 6k-iteration AdamW schedule.
# The configs set the task, the classes, the thing proposals (VPS, VIS),
# the positional encoding, the tracking heads and the data.
_base_ = ['../../_base_/default_runtime.py']
channels = 64

model = dict(
    type='VideoKNet',
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
        out_level=0,  # stride 4: the toy things are a few pixels wide
        norm_cfg=dict(type='GN', num_groups=16, requires_grad=True)),
    proposal_head=dict(
        type='KernelProposalHead',
        in_channels=channels,
        norm_cfg=dict(type='GN', num_groups=16, requires_grad=True)),
    iter_head=dict(
        type='KernelIterHead',
        num_stages=3,
        stage_head=dict(
            type='KernelUpdateHead',
            in_channels=channels,
            feedforward_channels=4 * channels,
            num_heads=4)),
    mask_assign_stride=4)

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
# some heads see no positive in a batch: let DDP skip their gradients
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
randomness = dict(seed=0)
