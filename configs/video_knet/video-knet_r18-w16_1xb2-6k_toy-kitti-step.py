# Tiny Video K-Net (VPS) trained from scratch on the CPU on toy videos in
# KITTI-STEP's format (6 classes: road, sky, building | car, person, ball).
# Data (64x96 frames, 32 train + 4 val videos of 8 frames):
#   python tools/misc/generate_toy_data.py kitti_step \
#       data/toy_knet/kitti_step --num-train 32 --num-val 4
_base_ = [
    '../_base_/datasets/toy_kitti_step.py', '../_base_/default_runtime.py'
]
data_root = 'data/toy_knet/kitti_step/'
num_classes = 6
thing_classes = [3, 4, 5]
num_proposals = 20
num_stages = 3
channels = 64
# K-Net's rank loss (official base config, weight 0.1): separates the masks
# of neighbouring things of one class
loss_rank = dict(type='mmdet.CrossEntropyLoss', loss_weight=0.1)

model = dict(
    type='VideoKNet',
    task='vps',
    num_classes=num_classes,
    thing_classes=thing_classes,
    data_preprocessor=dict(
        type='VideoDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32,
        seg_pad_value=255),
    backbone=dict(
        type='mmdet.ResNet',
        depth=18,
        base_channels=16,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        init_cfg=None),
    neck=dict(
        type='mmdet.FPN',
        in_channels=[16, 32, 64, 128],
        out_channels=channels,
        num_outs=4),
    semantic_fpn=dict(
        type='KNetSemanticFPN',
        in_channels=channels,
        feat_channels=channels,
        out_channels=channels,
        out_level=0,  # stride 4: the toy things are a few pixels wide
        positional_encoding=dict(
            type='mmdet.SinePositionalEncoding',
            num_feats=channels // 2,
            normalize=True),
        # at stride 4: position lets the kernels tell same-class things apart
        positional_encoding_level=0,
        norm_cfg=dict(type='GN', num_groups=16, requires_grad=True)),
    proposal_head=dict(
        type='KernelProposalHead',
        num_proposals=num_proposals,
        in_channels=channels,
        norm_cfg=dict(type='GN', num_groups=16, requires_grad=True),
        loss_rank=loss_rank),
    iter_head=dict(
        type='KernelIterHead',
        num_stages=num_stages,
        with_link=True,  # ablation switch: kernel linking
        with_fusion=True,  # ablation switch: kernel fusion
        stage_head=dict(
            type='KernelUpdateHead',
            in_channels=channels,
            feedforward_channels=4 * channels,
            num_heads=4),
        loss_rank=loss_rank),
    # ablation switch: embed_head=None trains without the contrastive loss
    # (the tracker then matches the track kernels; use match_metric='cosine')
    embed_head=dict(
        type='mmdet.QuasiDenseEmbedHead',
        num_fcs=2,
        roi_feat_size=1,
        in_channels=channels,
        fc_out_channels=channels,
        embed_channels=channels,
        loss_track=dict(
            type='mmdet.MultiPosCrossEntropyLoss', loss_weight=0.25),
        loss_track_aux=dict(
            type='mmdet.L2Loss',
            neg_pos_ub=3,
            pos_margin=0,
            neg_margin=0.1,
            hard_mining=True,
            loss_weight=1.0)),
    tracker=dict(type='KernelQuasiDenseTracker'),
    mask_assign_stride=4,
    test_cfg=dict(
        max_per_img=num_proposals, instance_score_thr=0.25, overlap_thr=0.6))

# key frame + one reference within +-2 frames (one of the official
# ref_seq_index=[-2, -1, 1, 2] per sample)
train_pipeline = [
    dict(type='VideoFrameSample', mode='random', num_frames=2,
         frame_range=(-2, 2)),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(
                type='LoadPanopticMap',
                format='kitti_step',
                num_classes=num_classes,
                with_instances=True),
            dict(
                type='RandomResize',
                scale=(96, 64),
                ratio_range=(0.75, 1.5),
                keep_ratio=True),
            dict(
                type='RandomCrop',
                crop_size=(64, 64),
                allow_negative_crop=True),
            dict(type='RandomFlip', prob=0.5),
        ]),
    dict(type='PackVideoInputs'),
]
train_dataloader = dict(
    batch_size=2,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
# whole videos per sample: the model runs them frame by frame, online
val_dataloader = dict(
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
# KITTI-STEP's VPQ windows k = 1..4
val_evaluator = dict(type='VPSMetric', windows=(1, 2, 3, 4))
test_evaluator = val_evaluator

max_iters = 6000
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
    clip_grad=dict(max_norm=1.0, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=100),
    dict(type='MultiStepLR', by_epoch=False, milestones=[4800, 5600],
         gamma=0.1)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=1000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=1000,
        max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
# some heads see no positive in a batch: let DDP skip their gradients
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
randomness = dict(seed=0)
