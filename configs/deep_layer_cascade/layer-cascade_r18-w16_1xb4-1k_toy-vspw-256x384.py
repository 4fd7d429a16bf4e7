# Deep Layer Cascade on toy videos in VSPW's layout, frame by frame, on the
# CPU. The frames are 256x384 (4x the default toy size, so that the region
# stages have enough pixels for sparse computation to pay off); write them
# once with
#   python tools/misc/generate_toy_data.py vspw data/toy_vspw_256x384 \
#       --height 256 --width 384 --num-train 8 --num-val 4
# A narrow dilated ResNet-18 (base width 16, output stride 8) is cut into
# stem..layer2 | layer3 | layer4, each stage ending in a classifier.
_base_ = [
    '../_base_/datasets/toy_vspw.py', '../_base_/schedules/schedule_toy_1k.py',
    '../_base_/default_runtime.py'
]
num_classes = 6
data_root = 'data/toy_vspw_256x384/'
load_mask = _base_.load_mask  # as in toy_vspw.py
train_pipeline = [
    dict(
        type='VideoFrameSample',
        num_frames=2,
        mode='random',
        frame_range=(-3, 3)),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            load_mask,
            dict(
                type='mmdet.RandomResize',
                scale=(384, 256),
                ratio_range=(0.75, 1.5),
                keep_ratio=True),
            dict(type='mmdet.RandomCrop', crop_size=(256, 256)),
            dict(type='mmdet.RandomFlip', prob=0.5),
        ]),
    dict(type='PackVideoInputs'),
]
test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='mmdet.Resize', scale=(384, 256), keep_ratio=True),
            load_mask,
        ]),
    dict(type='PackVideoInputs'),
]
train_dataloader = dict(
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader

norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    type='LayerCascadeSegmentor',
    data_preprocessor=dict(
        type='VideoDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=8,
        seg_pad_value=255),
    backbone=dict(
        type='mmseg.ResNetV1c',
        depth=18,
        stem_channels=16,
        base_channels=16,
        num_stages=4,
        out_indices=(3, ),
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        norm_cfg=norm_cfg,
        contract_dilation=True),
    # stage 1: stem..layer2 (32 ch), stage 2: layer3 (64), stage 3: layer4
    split_after=('layer2', 'layer3'),
    stage_heads=[
        dict(
            type='CascadeStageHead',
            in_channels=in_channels,
            channels=channels,
            num_classes=num_classes,
            dropout_ratio=0.0,  # no stochastic layer: resume is exact
            norm_cfg=norm_cfg)
        for in_channels, channels in ((32, 32), (64, 32), (128, 64))
    ],
    rho=0.95,
    channels_last=True,  # faster on the CPU
    loss_decode=dict(
        type='mmseg.CrossEntropyLoss',
        use_sigmoid=False,
        avg_non_ignore=True,
        loss_weight=1.0))

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=500, max_keep_ckpts=2))
log_processor = dict(by_epoch=False)
