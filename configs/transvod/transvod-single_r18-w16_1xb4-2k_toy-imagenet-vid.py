# Stage 1 of tiny TransVOD: the single-frame Deformable DETR trained from
# scratch on the CPU on degraded toy ImageNet VID (64x96 frames, 32 train +
# 8 val videos of 16 frames, half of the frames blurred, defocused or partly
# occluded):
#   python tools/misc/generate_toy_data.py imagenet_vid \
#       data/toy_transvod/imagenet_vid_degraded --num-train 32 --num-val 8 \
#       --frames 16 --degrade 0.5
# Stage 2 (transvod_r18-w16_*) starts from this config's last checkpoint.
_base_ = [
    '../_base_/datasets/toy_imagenet_vid.py',
    './_base_/deformable-detr_r18-w16.py'
]
data_root = 'data/toy_transvod/imagenet_vid_degraded/'
# single frames; the key frames as flagged, 4 per batch
train_pipeline = [
    dict(type='VideoFrameSample', num_frames=1, mode='random'),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadVideoInstances'),
            dict(
                type='RandomResize',
                scale=(96, 64),
                ratio_range=(0.8, 1.25),
                keep_ratio=True),
            dict(type='RandomFlip', prob=0.5),
        ]),
    dict(type='PackVideoInputs'),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=1,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(num_workers=1, dataset=dict(data_root=data_root))
test_dataloader = val_dataloader

max_iters = 2000
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4),
    clip_grad=dict(max_norm=1.0, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0,
         end=100),
    dict(type='MultiStepLR', by_epoch=False, milestones=[1600],
         gamma=0.1),
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=1000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    checkpoint=dict(
        type='CheckpointHook', interval=1000, by_epoch=False,
        max_keep_ckpts=1))
randomness = dict(seed=0)
