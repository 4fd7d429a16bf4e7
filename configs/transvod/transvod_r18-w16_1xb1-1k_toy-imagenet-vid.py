# Stage 2 of tiny TransVOD on degraded toy ImageNet VID (see the stage-1
# config for the data): the temporal modules (TDTE, TQE with top-k query
# selection, TDTD and a new head) on top of the single-frame Deformable
# DETR, which starts from stage 1's checkpoint and stays fixed (the
# official --fixed_pretrained_model), so only the temporal modules train.
#   python tools/train.py \
#       configs/transvod/transvod-single_r18-w16_1xb4-2k_toy-imagenet-vid.py
#   python tools/train.py \
#       configs/transvod/transvod_r18-w16_1xb1-1k_toy-imagenet-vid.py
# Inference is online: each frame uses the last 4 frames of its video as
# references, so training draws the references from the 6 frames before
# the key frame.
_base_ = [
    '../_base_/datasets/toy_imagenet_vid.py',
    './_base_/deformable-detr_r18-w16.py'
]
load_from = 'work_dirs/transvod-single_r18-w16_1xb4-2k_toy-imagenet-vid/' \
    'iter_2000.pth'
data_root = 'data/toy_transvod/imagenet_vid_degraded/'
dims = _base_.dims
num_ref_frames = 4
model = dict(
    type='TransVOD',
    num_ref_frames=num_ref_frames,
    temporal_encoder=dict(
        num_heads=4, num_points=4, feedforward_channels=4 * dims,
        dropout=0.1),
    query_encoder=dict(
        num_heads=4, feedforward_channels=4 * dims, dropout=0.1),
    # of 20 queries x 3 classes per reference frame (official 80/50/30 of
    # 300 queries x 30 classes)
    query_topk=(8, 5, 3),
    temporal_decoder=dict(
        num_layers=1,
        return_intermediate=True,
        layer_cfg=dict(
            self_attn_cfg=dict(
                embed_dims=dims, num_heads=4, dropout=0.1, batch_first=True),
            cross_attn_cfg=dict(
                embed_dims=dims, num_heads=4, num_levels=1,
                batch_first=True),
            ffn_cfg=dict(
                embed_dims=dims, feedforward_channels=4 * dims,
                ffn_drop=0.1)),
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
        loss_iou=dict(type='mmdet.GIoULoss', loss_weight=2.0)),
    freeze_detector=True)

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
    batch_size=1,
    num_workers=1,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(num_workers=1, dataset=dict(data_root=data_root))
test_dataloader = val_dataloader

max_iters = 1000
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=5e-4, weight_decay=1e-4),
    clip_grad=dict(max_norm=1.0, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0,
         end=50),
    dict(type='MultiStepLR', by_epoch=False, milestones=[800], gamma=0.1),
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=500)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    checkpoint=dict(
        type='CheckpointHook', interval=500, by_epoch=False,
        max_keep_ckpts=1))
randomness = dict(seed=0)
