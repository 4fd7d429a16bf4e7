# Stage 2 of TransVOD R50 (configs/r50_train_multi.sh of the release): the
# temporal modules on top of stage 1's checkpoint, 14 reference frames,
# 80/50/30 reference queries per frame in the 3 TQE layers, 1 TDTD layer,
# 7 epochs of 1 clip per GPU, lr drops after epochs 4 and 6; the whole
# model trains. Train stage 1 first:
#   tools/dist_train.sh \
#       configs/transvod/transvod-single_r50-dc5_8xb4-8e_imagenet-vid.py 8
#   tools/dist_train.sh \
#       configs/transvod/transvod_r50-dc5_8xb1-7e_imagenet-vid.py 8
# References: the 16 frames before the key frame (inference is online, on
# the last 14 frames); the release samples within +-16 frames (set
# frame_range=(-16, 16)).
_base_ = [
    '../_base_/datasets/imagenet_vid.py',
    './_base_/deformable-detr_r50-dc5.py'
]
load_from = 'work_dirs/transvod-single_r50-dc5_8xb4-8e_imagenet-vid/' \
    'epoch_8.pth'
dims = _base_.dims
num_ref_frames = 14
model = dict(
    type='TransVOD',
    num_ref_frames=num_ref_frames,
    temporal_encoder=dict(
        num_heads=8, num_points=4, feedforward_channels=1024, dropout=0.1),
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
        num_pred_layer=1,
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
    dict(
        type='VideoFrameSample',
        num_frames=num_ref_frames + 1,
        mode='random',
        frame_range=(-num_ref_frames - 2, 0)),
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

max_epochs = 7
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
param_scheduler = [
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_epochs,
        by_epoch=True,
        milestones=[4, 6],
        gamma=0.1)
]
auto_scale_lr = dict(base_batch_size=8)
