# PolyphonicFormer R50, image stage, on SemKITTI-DVPS (ViP-DeepLab's
# SemanticKITTI-based release; the official PolyphonicFormer release has no
# SemKITTI config): the Cityscapes-DVPS image recipe (single frames, AdamW
# 1e-4, backbone x0.25, 24 epochs, LR x0.1 at 16 and 22) without the 8x
# repetition (SemKITTI-DVPS has ~8x more training frames), KITTI's
# 376x1241 frames rescaled x1..2 of 1248x384 and cropped to 384x1248.
_base_ = [
    '../_base_/datasets/semkitti_dvps.py', '../_base_/default_runtime.py',
    './_base_/polyphonicformer_r50.py'
]
model = dict(
    num_classes=19,
    thing_classes=[0, 1, 2, 3, 4, 5, 6, 7],
    iter_head=dict(with_link=False),
    embed_head=None,
    tracker=None)

train_pipeline = [
    dict(type='VideoFrameSample', mode='consecutive', num_frames=1),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=_base_.loaders + [
            dict(
                type='RandomResize',
                scale=(1248, 384),
                ratio_range=(1.0, 2.0),
                keep_ratio=True),
            dict(
                type='RandomCrop',
                crop_size=(1248, 384),
                allow_negative_crop=True),
            dict(type='RandomFlip', prob=0.5),
        ]),
    dict(type='PackVideoInputs'),
]
train_dataloader = dict(batch_size=1, dataset=dict(pipeline=train_pipeline))
val_evaluator = [
    dict(type='DVPSMetric', rules='semkitti'),
    dict(type='DepthMetric', max_depth=80.0)
]
test_evaluator = val_evaluator

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05),
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.25)}),
    clip_grad=dict(max_norm=1, norm_type=2))
auto_scale_lr = dict(enable=True, base_batch_size=8)
max_epochs = 24
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=4)
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
        milestones=[16, 22],
        gamma=0.1)
]
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=4))
log_processor = dict(by_epoch=True)
