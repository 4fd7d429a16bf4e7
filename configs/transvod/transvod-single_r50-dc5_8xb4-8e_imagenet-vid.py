# Stage 1 of TransVOD R50: the single-frame Deformable DETR (DC5, one level,
# 300 queries, box refinement) on ImageNet VID + DET (the 30 VID classes),
# as the official configs/r50_train_single.sh: 8 epochs, 4 frames per GPU,
# lr drops after epochs 6 and 7. The official run starts from a COCO
# single-scale DC5 Deformable DETR, which mmdet does not ship: set
# load_from to such a checkpoint converted to this model's keys
# (``detector.`` prefix), else it starts from ImageNet R50 only.
_base_ = [
    '../_base_/datasets/imagenet_vid.py',
    './_base_/deformable-detr_r50-dc5.py'
]
train_pipeline = [
    dict(type='VideoFrameSample', num_frames=1, mode='random'),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadVideoInstances'),
            dict(type='Resize', scale=(1000, 600), keep_ratio=True),
            dict(type='RandomFlip', prob=0.5),
        ]),
    dict(type='PackVideoInputs'),
]
train_dataloader = dict(
    batch_size=4, dataset=dict(pipeline=train_pipeline))

max_epochs = 8
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
param_scheduler = [
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_epochs,
        by_epoch=True,
        milestones=[6, 7],
        gamma=0.1)
]
