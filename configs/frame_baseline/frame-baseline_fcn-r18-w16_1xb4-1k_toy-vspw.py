# The single-frame baseline on toy VSPW-format videos: an mmseg FCN with a
# narrow ResNet-18 (base width 16), applied to every frame. Trains on the CPU.
_base_ = [
    '../_base_/datasets/toy_vspw.py', '../_base_/schedules/schedule_toy_1k.py',
    '../_base_/default_runtime.py'
]
num_classes = 6
model = dict(
    type='FrameSegmentor',
    data_preprocessor=dict(
        type='VideoDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=8,
        seg_pad_value=255),
    segmentor=dict(
        type='mmseg.EncoderDecoder',
        backbone=dict(
            type='mmseg.ResNetV1c',
            depth=18,
            stem_channels=16,
            base_channels=16,
            num_stages=4,
            out_indices=(3, ),
            strides=(1, 2, 1, 1),
            dilations=(1, 1, 2, 4),
            norm_cfg=dict(type='BN', requires_grad=True),
            contract_dilation=True),
        decode_head=dict(
            type='mmseg.FCNHead',
            in_channels=128,
            channels=64,
            num_convs=1,
            concat_input=False,
            dropout_ratio=0.0,  # no stochastic layer: resume is exact
            num_classes=num_classes,
            norm_cfg=dict(type='BN', requires_grad=True),
            align_corners=False,
            loss_decode=dict(
                type='mmseg.CrossEntropyLoss',
                use_sigmoid=False,
                avg_non_ignore=True,
                loss_weight=1.0)),
        train_cfg=dict(),
        test_cfg=dict(mode='whole')))

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=200, max_keep_ckpts=2))
log_processor = dict(by_epoch=False)
