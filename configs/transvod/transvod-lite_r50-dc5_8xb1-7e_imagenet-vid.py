# TransVOD Lite R50 (DC5, one level, 300 queries) on ImageNet VID + DET:
# sequence to sequence, clips of 12 consecutive frames (the paper's
# num_frames; the release's Swin scripts use 15), one detection set per
# frame, three stages of hard query mining keeping 80 / 50 / 30 queries per
# frame, each a temporal query encoder layer over the clip and a one-layer
# deformable decoder per frame; no temporal encoder. 7 epochs of 1 clip per
# GPU, lr drops after epochs 5 and 6 (the release's Lite scripts), from the
# single-frame stage's checkpoint; the whole model trains:
#   tools/dist_train.sh \
#       configs/transvod/transvod-single_r50-dc5_8xb4-8e_imagenet-vid.py 8
#   tools/dist_train.sh \
#       configs/transvod/transvod-lite_r50-dc5_8xb1-7e_imagenet-vid.py 8
# Testing reads whole videos (DefaultSampler), 12 frames at a time.
_base_ = [
    '../_base_/datasets/imagenet_vid.py',
    './_base_/deformable-detr_r50-dc5.py'
]
load_from = 'work_dirs/transvod-single_r50-dc5_8xb4-8e_imagenet-vid/' \
    'epoch_8.pth'
dims = _base_.dims
num_frames = 12
model = dict(
    type='TransVODLite',
    num_frames=num_frames,
    query_encoder=dict(num_heads=8, feedforward_channels=1024, dropout=0.1),
    query_topk=(80, 50, 30),
    temporal_decoder=dict(
        num_layers=1,
        return_intermediate=True,
        layer_cfg=dict(
            self_attn_cfg=dict(
                embed_dims=dims, num_heads=8, dropout=0.1, batch_first=True),
            cross_attn_cfg=dict(
                embed_dims=dims, num_levels=1, batch_first=True),
            ffn_cfg=dict(
                embed_dims=dims, feedforward_channels=1024, ffn_drop=0.1)),
        post_norm_cfg=None),
    temporal_head=dict(
        type='mmdet.DeformableDETRHead',
        num_classes=_base_.num_classes,
        sync_cls_avg_factor=True,
        loss_cls=dict(
            type='mmdet.FocalLoss',
            use_sigmoid=True,
            gamma=2.0,
            alpha=0.25,
            loss_weight=2.0),
        loss_bbox=dict(type='mmdet.L1Loss', loss_weight=5.0),
        loss_iou=dict(type='mmdet.GIoULoss', loss_weight=2.0)))

train_pipeline = [
    dict(type='VideoFrameSample', num_frames=num_frames, mode='consecutive'),
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
    batch_size=1, dataset=dict(pipeline=train_pipeline))
# whole videos per sample, detected num_frames at a time
val_dataloader = dict(
    sampler=dict(_delete_=True, type='DefaultSampler', shuffle=False))
test_dataloader = val_dataloader

max_epochs = 7
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
param_scheduler = [
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_epochs,
        by_epoch=True,
        milestones=[5, 6],
        gamma=0.1)
]
auto_scale_lr = dict(base_batch_size=8)
