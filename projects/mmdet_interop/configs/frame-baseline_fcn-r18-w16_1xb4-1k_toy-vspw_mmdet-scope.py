# An mmdet project that uses mmvidseg components, trained with mmdet's own
# tools/train.py:
#   MMDET=$(python -c "import mmdet,os;print(os.path.dirname(mmdet.__file__))")
#   python $MMDET/.mim/tools/train.py projects/mmdet_interop/configs/\
# frame-baseline_fcn-r18-w16_1xb4-1k_toy-vspw_mmdet-scope.py
# default_scope stays 'mmdet' (mmdet's runtime, hooks and samplers are used
# unprefixed); mmvidseg modules are imported by custom_imports and named
# with the 'mmvidseg.' prefix, mmseg modules with 'mmseg.'.
_base_ = ['mmdet::_base_/default_runtime.py']
custom_imports = dict(imports=['mmvidseg'], allow_failed_imports=False)

num_classes = 6
data_root = 'data/toy_vspw/'
load_mask = dict(
    type='mmvidseg.LoadSemSegMap',
    num_classes=num_classes,
    reduce_zero_label=True,
    ignore_values=(0, 253, 255))
train_pipeline = [
    dict(type='mmvidseg.VideoFrameSample', num_frames=2, mode='random',
         frame_range=(-3, 3)),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            load_mask,
            dict(type='RandomResize', scale=(96, 64), ratio_range=(0.75, 1.5),
                 keep_ratio=True),
            dict(type='RandomCrop', crop_size=(64, 64)),
            dict(type='RandomFlip', prob=0.5),
        ]),
    dict(type='mmvidseg.PackVideoInputs'),
]
test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=(96, 64), keep_ratio=True),
            load_mask,
        ]),
    dict(type='mmvidseg.PackVideoInputs'),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='TrackImgSampler'),  # mmdet's own sampler
    dataset=dict(
        type='mmvidseg.VSPWDataset',
        data_root=data_root,
        ann_file='train.txt',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='TrackImgSampler'),
    dataset=dict(
        type='mmvidseg.VSPWDataset',
        data_root=data_root,
        ann_file='val.txt',
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='mmvidseg.VSSMetric', windows=(8, 16))
test_evaluator = val_evaluator

model = dict(
    type='mmvidseg.FrameSegmentor',
    data_preprocessor=dict(
        type='mmvidseg.VideoDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=8),
    segmentor=dict(
        type='mmseg.EncoderDecoder',
        # mmdet's ResNet inside an mmseg segmentor inside an mmvidseg model
        backbone=dict(
            type='mmdet.ResNet',
            depth=18,
            base_channels=16,
            out_indices=(3, ),
            strides=(1, 2, 1, 1),
            dilations=(1, 1, 2, 4),
            norm_cfg=dict(type='BN', requires_grad=True)),
        decode_head=dict(
            type='mmseg.FCNHead',
            in_channels=128,
            channels=64,
            num_convs=1,
            concat_input=False,
            dropout_ratio=0.0,
            num_classes=num_classes,
            norm_cfg=dict(type='BN', requires_grad=True),
            loss_decode=dict(
                type='mmseg.CrossEntropyLoss', avg_non_ignore=True)),
        train_cfg=dict(),
        test_cfg=dict(mode='whole')))

max_iters = 1000
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-3, weight_decay=1e-4),
    clip_grad=dict(max_norm=10.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='PolyLR', eta_min=1e-5, power=1.0, by_epoch=False, begin=50,
         end=max_iters),
]
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=200,
                    max_keep_ckpts=2))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
