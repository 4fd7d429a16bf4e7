# Tiny FusionSeg (appearance + motion streams, three-branch fusion)
# trained from scratch on the CPU on toy videos in DAVIS 2017's format,
# scored as DAVIS 2016 unsupervised (all objects = one foreground, no
# first-frame mask). Data (64x96 frames, exact .flo flow):
#   python tools/misc/generate_toy_data.py davis data/toy_davis \
#       --num-train 32 --num-val 6
_base_ = [
    '../../../configs/_base_/datasets/toy_davis.py',
    '../../../configs/_base_/default_runtime.py'
]
custom_imports = dict(
    imports=['projects.fusionseg.fusionseg'], allow_failed_imports=False)

data_root = 'data/toy_davis/'
model = dict(
    type='FusionSeg',
    data_preprocessor=dict(
        type='VideoDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=1),
    # a dilated ResNet-18 V1c of width 16 (output stride 8), per stream
    backbone=dict(
        type='mmseg.ResNetV1c',
        depth=18,
        stem_channels=16,
        base_channels=16,
        num_stages=4,
        out_indices=(3, ),
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        contract_dilation=True,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        init_cfg=None),
    # the paper's (6, 12, 18, 24) scaled to 8x12 feature maps
    head=dict(
        type='DilatedClassifierHead',
        in_channels=128,
        num_classes=2,
        dilations=(1, 2, 3, 4)),
    streams=('appearance', 'motion'),
    stream_loss_weight=0.5)

loaders = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadVOSAnnotation'),
    dict(type='BinarizeVOSAnnotation'),
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
val_dataloader = dict(
    num_workers=1,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader

max_iters = 200
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
