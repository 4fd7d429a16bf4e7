# Tiny SegFlow (fully convolutional ResNet-18 of width 16 + a FlowNetS-style
# flow branch, joined both ways in the up-sampling stage) trained from
# scratch on the CPU on toy videos in DAVIS 2017's format, alternating
# segmentation (all objects = one foreground) and flow (EPE on the exact
# .flo flow) steps; tested semi-supervised as DAVIS 2016 (one foreground,
# first-frame mask given, fine-tuned on it). Data (64x96 frames):
#   python tools/misc/generate_toy_data.py davis data/toy_davis \
#       --num-train 32 --num-val 6
_base_ = [
    '../../../configs/_base_/datasets/toy_davis.py',
    '../../../configs/_base_/default_runtime.py'
]
custom_imports = dict(
    imports=['projects.segflow.segflow'], allow_failed_imports=False)

data_root = 'data/toy_davis/'
model = dict(
    type='SegFlow',
    data_preprocessor=dict(
        type='VideoDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    # segmentation branch: features of strides 8, 16, 32
    backbone=dict(
        type='mmseg.ResNetV1c',
        depth=18,
        stem_channels=16,
        base_channels=16,
        num_stages=4,
        out_indices=(1, 2, 3),
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        init_cfg=None),
    # flow branch: FlowNetS's first five levels (strides 2..32), width 1/4
    flow_encoder=dict(
        type='FlowNetSEncoder',
        in_channels=6,
        channels=(16, 32, 64, 96, 128),
        kernel_sizes=(7, 5, 5, 3, 3)),
    decoder=dict(
        type='BidirectionalDecoder',
        seg_channels=(32, 64, 128),
        seg_strides=(8, 16, 32),
        dec_channels=32,
        join_channels=16,
        seg_mid_channels=32,
        num_classes=2,
        flow_out_stride=4,
        norm_cfg=dict(type='BN', requires_grad=True)),
    train_mode='alternate',
    flow_level_weights=(0.125, 0.25, 0.5, 1.0),
    # first-frame fine-tuning: 0 switches it off
    test_cfg=dict(finetune_iters=30, finetune_lr=1e-3, fg_thr=0.5))

# DAVIS 2016: every object is one foreground (binary masks)
loaders = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadVOSAnnotation', binary=True),
    dict(type='LoadOpticalFlow'),
]
train_pipeline = [
    dict(type='VideoFrameSample', num_frames=2, mode='consecutive'),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=loaders + [
            dict(type='RandomCrop', crop_size=(64, 64),
                 allow_negative_crop=True),
            dict(type='RandomFlip', prob=0.5),
        ]),
    dict(type='PackVideoInputs'),
]
test_pipeline = [
    dict(type='TransformBroadcaster', transforms=loaders),
    dict(type='PackVideoInputs'),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=1,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
# whole videos per sample: fine-tuning and inference run per video
val_dataloader = dict(
    num_workers=1,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = [dict(type='DAVISMetric'), dict(type='FlowEPEMetric')]
test_evaluator = val_evaluator

max_iters = 1000
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-3, weight_decay=1e-4),
    clip_grad=dict(max_norm=10.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(
        type='PolyLR', eta_min=1e-5, power=1.0, by_epoch=False, begin=50,
        end=max_iters),
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(checkpoint=dict(interval=max_iters, by_epoch=False))
randomness = dict(seed=0)
