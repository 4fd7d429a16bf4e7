# Deep Layer Cascade with a dilated ResNet-50-V1c (output stride 8) cut into
# stem..layer2 | layer3 | layer4, on mmseg's 80k-iteration poly schedule.
# The paper uses an Inception-ResNet; this reuses mmseg's ResNetV1c and its
# ImageNet weights. The configs add the dataset, its crop size
# (model.data_preprocessor.size) and, where it is not 19, num_classes.
_base_ = ['../../_base_/default_runtime.py']
num_classes = 19
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    type='LayerCascadeSegmentor',
    data_preprocessor=dict(
        type='mmseg.SegDataPreProcessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_val=0,
        seg_pad_val=255),
    backbone=dict(
        type='mmseg.ResNetV1c',
        depth=50,
        num_stages=4,
        out_indices=(3, ),
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch',
        contract_dilation=True,
        init_cfg=dict(
            type='Pretrained', checkpoint='open-mmlab://resnet50_v1c')),
    split_after=('layer2', 'layer3'),
    stage_heads=[
        dict(
            type='CascadeStageHead',
            in_channels=in_channels,
            channels=channels,
            num_classes=num_classes,
            dropout_ratio=0.1,
            norm_cfg=norm_cfg)
        for in_channels, channels in ((512, 256), (1024, 256), (2048, 512))
    ],
    rho=0.95,
    loss_decode=dict(
        type='mmseg.CrossEntropyLoss',
        use_sigmoid=False,
        avg_non_ignore=True,
        loss_weight=1.0))

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0005),
    clip_grad=None)
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=1e-4,
        power=0.9,
        begin=0,
        end=80000,
        by_epoch=False)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=80000, val_interval=8000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=8000))
log_processor = dict(by_epoch=False)
