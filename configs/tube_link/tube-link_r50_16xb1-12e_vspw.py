# Tube-Link R50 on VSPW (VSS, 124 classes), the official
# video_r50_train_4frames_vspw_test_6frames recipe: 4 frames per sample
# (key, +2, +4, +6; ref_seq_index=[0, 2, 4, 6]) trained as one tube, no
# link or contrastive loss, test tubes of 6 frames, 12 epochs (official
# Mask2Former schedule, LR x0.1 at 8 and 11) on 16 GPUs x 1 clip.
_base_ = [
    '../_base_/datasets/vspw.py', '../_base_/default_runtime.py',
    './_base_/tube-link_r50.py'
]
model = dict(
    task='vss',
    num_classes=124,
    thing_classes=[],
    tube_size=4,
    with_link=False,
    embed_head=None,
    tracker=None,
    test_cfg=dict(tube_size=6, overlap=0))

train_pipeline = [
    dict(type='VideoFrameSample', mode='offsets', offsets=[2, 4, 6])
] + _base_.train_pipeline[1:]
train_dataloader = dict(batch_size=1, dataset=dict(pipeline=train_pipeline))
# whole videos per sample: the model cuts them into tubes
val_dataloader = dict(sampler=dict(type='DefaultSampler', shuffle=False))
test_dataloader = val_dataloader

max_epochs = 12
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=12)
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
        end=500),
    dict(
        type='MultiStepLR',
        by_epoch=True,
        begin=0,
        end=max_epochs,
        milestones=[8, 11],
        gamma=0.1)
]
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1))
log_processor = dict(by_epoch=True)
