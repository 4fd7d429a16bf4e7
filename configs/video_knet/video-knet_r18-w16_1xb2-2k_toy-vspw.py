# Tiny Video K-Net for VSS (semantic K-Net: one kernel per class, no thing
# proposals, no tracking; kernel fusion with the previous frame's kernels)
# trained from scratch on the CPU on toy videos in VSPW's format.
# Data (64x96 frames, 32 train + 4 val videos of 8 frames):
#   python tools/misc/generate_toy_data.py vspw data/toy_knet/vspw \
#       --num-train 32 --num-val 4
_base_ = ['../_base_/datasets/toy_vspw.py', '../_base_/default_runtime.py']
data_root = 'data/toy_knet/vspw/'
num_classes = 6
channels = 64

model = dict(
    type='VideoKNet',
    task='vss',
    num_classes=num_classes,
    thing_classes=[],
    data_preprocessor=dict(
        type='VideoDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32,
        seg_pad_value=255),
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
        norm_cfg=dict(type='GN', num_groups=16, requires_grad=True)),
    proposal_head=dict(
        type='KernelProposalHead',
        in_channels=channels,
        norm_cfg=dict(type='GN', num_groups=16, requires_grad=True)),
    iter_head=dict(
        type='KernelIterHead',
        num_stages=3,
        with_fusion=True,  # ablation switch: kernel fusion
        stage_head=dict(
            type='KernelUpdateHead',
            in_channels=channels,
            feedforward_channels=4 * channels,
            num_heads=4)),
    mask_assign_stride=4)

train_dataloader = dict(batch_size=2, dataset=dict(data_root=data_root))
# whole videos per sample: the model runs them frame by frame, online
val_dataloader = dict(
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(data_root=data_root))
test_dataloader = val_dataloader

max_iters = 2000
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
    clip_grad=dict(max_norm=1.0, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=100),
    dict(type='MultiStepLR', by_epoch=False, milestones=[1600, 1800],
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
# the toy videos have 8 frames: VC over windows of 4 and 6 frames
val_evaluator = dict(type='VSSMetric', windows=(4, 6))
test_evaluator = val_evaluator
