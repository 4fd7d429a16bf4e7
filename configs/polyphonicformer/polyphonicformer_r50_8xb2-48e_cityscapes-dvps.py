# PolyphonicFormer R50, video stage, on Cityscapes-DVPS (the official
# configs/polyphonic_video/poly_r50_cityscapes_1x.py): a key frame and one
# reference frame drawn from [-2, -1, 1, 2] (official ref_seq_index),
# quasi-dense kernel embedding + tracker, 8 GPUs x 2 clips, AdamW 2e-4
# (backbone x0.25, clip 1), the 1x schedule (12 epochs, LR x0.1 at 8 and
# 11) over the training set repeated 4 times: 48 epochs here, steps at 32
# and 44; the per-pixel depth loss has weight 1 in this stage (official).
# Initialised from the image stage:
#   load_from=work_dirs/polyphonicformer_r50_8xb1-192e_cityscapes-dvps-image/
#       epoch_192.pth
_base_ = [
    '../_base_/datasets/cityscapes_dvps.py', '../_base_/default_runtime.py',
    './_base_/polyphonicformer_r50.py'
]
model = dict(proposal_head=dict(loss_depth=dict(loss_weight=1.0)))

train_pipeline = [
    # one reference within +-2 frames (one of ref_seq_index per sample)
    dict(type='VideoFrameSample', mode='random', num_frames=2,
         frame_range=(-2, 2)),
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
train_dataloader = dict(batch_size=2, dataset=dict(pipeline=train_pipeline))
val_evaluator = [
    dict(type='DVPSMetric'),
    dict(type='DepthMetric', max_depth=80.0)
]
test_evaluator = val_evaluator

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-4, weight_decay=0.05),
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.25)}),
    clip_grad=dict(max_norm=1, norm_type=2))
auto_scale_lr = dict(enable=True, base_batch_size=16)
max_epochs = 12 * 4
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=16)
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
        milestones=[8 * 4, 11 * 4],
        gamma=0.1)
]
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=16))
log_processor = dict(by_epoch=True)
