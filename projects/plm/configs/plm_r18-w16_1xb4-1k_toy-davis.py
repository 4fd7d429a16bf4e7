# Tiny PLM (pixel-level matching) pre-trained from scratch on the CPU on toy
# videos in DAVIS 2017's format (64x96 frames, 32 train + 6 val videos of
# 8 frames), tested with first-frame fine-tuning. Data:
#   python tools/misc/generate_toy_data.py davis data/toy_davis \
#       --num-train 32 --num-val 6
# Run from the repository root:
#   python tools/train.py projects/plm/configs/plm_r18-w16_1xb4-1k_toy-davis.py
# Without fine-tuning: --cfg-options model.test_cfg.finetune_iters=0
_base_ = [
    '../../../configs/_base_/datasets/toy_davis.py',
    '../../../configs/_base_/default_runtime.py'
]
custom_imports = dict(
    imports=['projects.plm.plm'], allow_failed_imports=False)

data_root = 'data/toy_davis/'
model = dict(
    type='PLM',
    data_preprocessor=dict(
        type='VideoDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=1),
    # the shared (Siamese) encoder: ResNet-18 V1c of width 16, four levels
    # (strides 4, 8, 16, 16)
    backbone=dict(
        type='mmseg.ResNetV1c',
        depth=18,
        stem_channels=16,
        base_channels=16,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 2),
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        init_cfg=None),
    # 16 + 32 + 64 + 128 = 240 channels at stride 4 -> 30 (the paper: 16x)
    compressor=dict(
        type='FeatureCompressor', in_channels=[16, 32, 64, 128], ratio=8),
    head=dict(
        type='PixelMatchingHead',
        in_channels=30,
        channels=64,
        num_decoder_convs=2,
        topk=4),
    train_cfg=dict(min_pixels=4),
    test_cfg=dict(
        bg_thr=0.5,
        finetune_iters=50,
        finetune_lr=1e-4,
        finetune_batch=2,
        finetune_shift=0.1,
        finetune_scale=(0.9, 1.1),
        finetune_flip=True))

# no flow: PLM matches appearance only
data_prefix = dict(
    _delete_=True,
    img_path='JPEGImages/480p',
    seg_map_path='Annotations/480p')
loaders = [dict(type='LoadImageFromFile'), dict(type='LoadVOSAnnotation')]
# a query frame and a search frame of one video, up to 7 frames apart
train_pipeline = [
    dict(
        type='VideoFrameSample',
        num_frames=2,
        mode='random',
        frame_range=(-7, 7)),
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
    dataset=dict(
        data_root=data_root,
        data_prefix=data_prefix,
        pipeline=train_pipeline))
# whole videos per sample: each is fine-tuned on and matched with frame 0
val_dataloader = dict(
    num_workers=1,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        data_root=data_root,
        data_prefix=data_prefix,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

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
