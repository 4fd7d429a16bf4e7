# PolyphonicFormer R50, image stage, on Cityscapes-DVPS (the official
# configs/polyphonic_image/poly_r50_cityscapes_2x.py): single frames,
# 8 GPUs x 1 frame, AdamW 1e-4 (backbone x0.25, clip 1), the 2x schedule
# (24 epochs, LR x0.1 at epochs 16 and 22, 1000 warm-up iterations) over
# the training set repeated 8 times (the official RepeatDataset(times=8)):
# 192 epochs here, LR steps at 128 and 176. Rescale x1..2 of 2048x1024,
# crop 1024x2048 (h x w). The official recipe starts from a K-Net R50
# checkpoint (load_from) that is not part of this repository.
_base_ = [
    '../_base_/datasets/cityscapes_dvps.py', '../_base_/default_runtime.py',
    './_base_/polyphonicformer_r50.py'
]
model = dict(
    iter_head=dict(with_link=False), embed_head=None, tracker=None)

train_pipeline = [
    dict(type='VideoFrameSample', mode='consecutive', num_frames=1),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=_base_.loaders + [
            dict(
                type='RandomResize',
                scale=(2048, 1024),
                ratio_range=(1.0, 2.0),
                keep_ratio=True),
            dict(
                type='RandomCrop',
                crop_size=(2048, 1024),
                allow_negative_crop=True),
            dict(type='RandomFlip', prob=0.5),
        ]),
    dict(type='PackVideoInputs'),
]
train_dataloader = dict(batch_size=1, dataset=dict(pipeline=train_pipeline))
val_evaluator = [
    dict(type='DVPSMetric'),
    dict(type='DepthMetric', max_depth=80.0)
]
test_evaluator = val_evaluator

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05),
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.25)}),
    clip_grad=dict(max_norm=1, norm_type=2))
auto_scale_lr = dict(enable=True, base_batch_size=8)
max_epochs = 24 * 8
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=32)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
        end=1000),
    dict(
        type='MultiStepLR',
        by_epoch=True,
        begin=0,
        end=max_epochs,
        milestones=[16 * 8, 22 * 8],
        gamma=0.1)
]
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=32))
log_processor = dict(by_epoch=True)
