# Tiny DMM-Net trained from scratch on the CPU on toy videos in DAVIS
# 2017's format (64x96 frames, 32 train + 6 val videos of 8 frames):
#   python tools/misc/generate_toy_data.py davis data/toy_davis \
#       --num-train 32 --num-val 6
# Proposals: a tiny class-agnostic mmdet Mask R-CNN (ResNet-18 of width 16,
# FPN of 32 channels) trained jointly. Run from the repository root:
#   python tools/train.py projects/dmm_net/configs/\
# dmm-net_mask-rcnn-r18-w16_1xb2-600_toy-davis.py
_base_ = [
    '../../../configs/_base_/datasets/toy_davis.py',
    '../../../configs/_base_/default_runtime.py'
]
custom_imports = dict(
    imports=['projects.dmm_net.dmm_net'], allow_failed_imports=False)

data_root = 'data/toy_davis/'
norm_cfg = dict(type='BN', requires_grad=True)
fpn_channels = 32
# _scope_: the detector's own defaults (BboxOverlaps2D...) resolve in mmdet
detector = dict(
    type='MaskRCNN',
    _scope_='mmdet',
    backbone=dict(
        type='ResNet',
        depth=18,
        stem_channels=16,
        base_channels=16,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch',
        init_cfg=None),
    neck=dict(
        type='FPN',
        in_channels=[16, 32, 64, 128],
        out_channels=fpn_channels,
        num_outs=5),
    rpn_head=dict(
        type='RPNHead',
        in_channels=fpn_channels,
        feat_channels=fpn_channels,
        anchor_generator=dict(
            type='AnchorGenerator',
            scales=[4],
            ratios=[0.5, 1.0, 2.0],
            strides=[4, 8, 16, 32, 64]),
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder',
            target_means=[0.0, 0.0, 0.0, 0.0],
            target_stds=[1.0, 1.0, 1.0, 1.0]),
        loss_cls=dict(
            type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
        loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
    roi_head=dict(
        type='StandardRoIHead',
        bbox_roi_extractor=dict(
            type='SingleRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
            out_channels=fpn_channels,
            featmap_strides=[4, 8, 16, 32]),
        bbox_head=dict(
            type='Shared2FCBBoxHead',
            in_channels=fpn_channels,
            fc_out_channels=128,
            roi_feat_size=7,
            num_classes=1,
            bbox_coder=dict(
                type='DeltaXYWHBBoxCoder',
                target_means=[0.0, 0.0, 0.0, 0.0],
                target_stds=[0.1, 0.1, 0.2, 0.2]),
            reg_class_agnostic=False,
            loss_cls=dict(
                type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
            loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
        mask_roi_extractor=dict(
            type='SingleRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=14, sampling_ratio=0),
            out_channels=fpn_channels,
            featmap_strides=[4, 8, 16, 32]),
        mask_head=dict(
            type='FCNMaskHead',
            num_convs=2,
            in_channels=fpn_channels,
            conv_out_channels=fpn_channels,
            num_classes=1,
            loss_mask=dict(
                type='CrossEntropyLoss', use_mask=True, loss_weight=1.0))),
    train_cfg=dict(
        rpn=dict(
            assigner=dict(
                type='MaxIoUAssigner',
                pos_iou_thr=0.7,
                neg_iou_thr=0.3,
                min_pos_iou=0.3,
                match_low_quality=True,
                ignore_iof_thr=-1),
            sampler=dict(
                type='RandomSampler',
                num=64,
                pos_fraction=0.5,
                neg_pos_ub=-1,
                add_gt_as_proposals=False),
            allowed_border=-1,
            pos_weight=-1,
            debug=False),
        rpn_proposal=dict(
            nms_pre=500,
            max_per_img=100,
            nms=dict(type='nms', iou_threshold=0.7),
            min_bbox_size=0),
        rcnn=dict(
            assigner=dict(
                type='MaxIoUAssigner',
                pos_iou_thr=0.5,
                neg_iou_thr=0.5,
                min_pos_iou=0.5,
                match_low_quality=True,
                ignore_iof_thr=-1),
            sampler=dict(
                type='RandomSampler',
                num=64,
                pos_fraction=0.25,
                neg_pos_ub=-1,
                add_gt_as_proposals=True),
            mask_size=28,
            pos_weight=-1,
            debug=False)),
    test_cfg=dict(
        rpn=dict(
            nms_pre=500,
            max_per_img=100,
            nms=dict(type='nms', iou_threshold=0.7),
            min_bbox_size=0),
        rcnn=dict(
            score_thr=0.05,
            nms=dict(type='nms', iou_threshold=0.5),
            max_per_img=20,
            mask_thr_binary=0.5)))

encoder = dict(
    type='mmseg.ResNetV1c',
    depth=18,
    stem_channels=16,
    base_channels=16,
    num_stages=3,
    out_indices=(0, 1, 2),
    strides=(1, 2, 2),
    dilations=(1, 1, 1),
    norm_cfg=norm_cfg,
    norm_eval=False,
    init_cfg=None)

model = dict(
    type='DMMNet',
    data_preprocessor=dict(
        type='VideoDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=1),
    detector=detector,
    encoder=encoder,
    cost_head=dict(
        type='MatchingCostHead',
        in_channels=32,
        channels=64,
        num_convs=2,
        iou_weight=0.5),
    # fewer unrolled steps than the exactness tests: training needs the
    # averaged iterates' gradients, inference only the row argmax
    matching=dict(
        type='DifferentiableMatching',
        num_steps=10,
        num_proj_iters=10,
        lr=0.5,
        average=True),
    refine_head=dict(
        type='MaskRefineHead', in_channels=[16, 32, 64], channels=32),
    proposal_perturbation=dict(
        type='GuideMaskPerturbation',
        shift=0.1,
        scale=0.1,
        max_morph=2,
        drop_prob=0.3,
        drop_size=0.4),
    cost_level=1,
    train_cfg=dict(match_loss_weight=1.0, num_distractors=2),
    test_cfg=dict(score_thr=0.3, max_proposals=10, mask_thr=0.5, bg_thr=0.5))

# no flow: DMM-Net does not use it
data_prefix = dict(
    _delete_=True,
    img_path='JPEGImages/480p',
    seg_map_path='Annotations/480p')
loaders = [dict(type='LoadImageFromFile'), dict(type='LoadVOSAnnotation')]
train_pipeline = [
    dict(type='VideoFrameSample', num_frames=3, mode='consecutive'),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=loaders + [
            dict(type='RandomCrop', crop_size=(64, 64),
                 allow_negative_crop=True),
            dict(type='RandomFlip', prob=0.5),
        ]),
    dict(type='PackVideoInputs'),
]
test_pipeline = [
    dict(type='TransformBroadcaster', transforms=loaders),
    dict(type='PackVideoInputs'),
]
train_dataloader = dict(
    batch_size=2,
    num_workers=1,
    dataset=dict(
        data_root=data_root,
        data_prefix=data_prefix,
        pipeline=train_pipeline))
# whole videos per sample: matching runs over each video
val_dataloader = dict(
    num_workers=1,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        data_root=data_root,
        data_prefix=data_prefix,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

max_iters = 600
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-3, weight_decay=1e-4),
    clip_grad=dict(max_norm=10.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(
        type='PolyLR', eta_min=1e-5, power=1.0, by_epoch=False, begin=50,
        end=max_iters),
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(checkpoint=dict(interval=max_iters, by_epoch=False))
randomness = dict(seed=0)
