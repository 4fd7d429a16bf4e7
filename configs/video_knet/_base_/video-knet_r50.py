# Video K-Net, ResNet-50 + FPN, 100 thing proposals, 3 kernel-update stages,
# kernel linking, association embedding and the QDTrack-style tracker: the
# official KITTI-STEP model
# (video_knet_s3_r50_rpn_1x_kitti_step_sigmoid_stride2_mask_embed_link_ffn_
# joint_train). Datasets set num_classes / thing_classes.
#
# Backbone weights: ImageNet ResNet-50 (torchvision://resnet50, fetched by
# mmengine on first use, as in the official config). Offline, point it at a
# local copy with
#   --cfg-options model.backbone.init_cfg.checkpoint=checkpoints/resnet50.pth
# The official recipe then starts from a (Cityscapes-STEP / COCO) K-Net:
# load_from=PATH.
num_proposals = 100
num_stages = 3
channels = 256
# K-Net's rank loss on the initial kernels (weight 0.1, kept from the
# official base config; the official Video K-Net config replaces the stage
# heads' list without it, so the stages have none)
loss_rank = dict(
    type='mmdet.CrossEntropyLoss', use_sigmoid=False, loss_weight=0.1)

model = dict(
    type='VideoKNet',
    task='vps',
    num_classes=19,
    thing_classes=[11, 13],
    data_preprocessor=dict(
        type='VideoDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32,
        seg_pad_value=255),
    backbone=dict(
        type='mmdet.ResNet',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=True,
        style='pytorch',
        init_cfg=dict(type='Pretrained',
                      checkpoint='torchvision://resnet50')),
    neck=dict(
        type='mmdet.FPN',
        in_channels=[256, 512, 1024, 2048],
        out_channels=channels,
        start_level=0,
        add_extra_convs='on_input',
        num_outs=4),
    semantic_fpn=dict(
        type='KNetSemanticFPN',
        in_channels=channels,
        feat_channels=channels,
        out_channels=channels,
        start_level=0,
        end_level=3,
        out_level=1,  # stride 8 (the official upsample_times=2)
        positional_encoding=dict(
            type='mmdet.SinePositionalEncoding',
            num_feats=channels // 2,
            normalize=True),
        norm_cfg=dict(type='GN', num_groups=32, requires_grad=True)),
    proposal_head=dict(
        type='KernelProposalHead',
        num_proposals=num_proposals,
        in_channels=channels,
        num_loc_convs=1,
        num_seg_convs=1,
        norm_cfg=dict(type='GN', num_groups=32, requires_grad=True),
        proposal_feats_with_obj=True,
        kernel_init_std=1.0,
        loss_rank=loss_rank,
        loss_seg=dict(
            type='mmdet.CrossEntropyLoss',
            use_sigmoid=False,
            avg_non_ignore=True,
            loss_weight=1.0)),
    iter_head=dict(
        type='KernelIterHead',
        num_stages=num_stages,
        with_link=True,  # kernel linking (ablation switch)
        with_fusion=False,  # kernel fusion (ablation switch)
        stage_head=dict(
            type='KernelUpdateHead',
            in_channels=channels,
            feedforward_channels=2048,
            num_heads=8,
            num_ffn_fcs=2,
            num_cls_fcs=1,
            num_mask_fcs=1,
            dropout=0.0,
            with_feat_transform=True),
        assigner=dict(
            type='mmdet.HungarianAssigner',
            match_costs=[
                dict(type='mmdet.FocalLossCost', weight=2.0),
                dict(
                    type='mmdet.DiceCost',
                    weight=4.0,
                    pred_act=True,
                    naive_dice=False),
                dict(type='MaskCost', weight=1.0, pred_act=True)
            ]),
        loss_cls=dict(
            type='mmdet.FocalLoss',
            use_sigmoid=True,
            gamma=2.0,
            alpha=0.25,
            loss_weight=2.0),
        loss_mask=dict(
            type='mmdet.CrossEntropyLoss', use_sigmoid=True,
            loss_weight=1.0),
        loss_dice=dict(type='mmdet.DiceLoss', loss_weight=4.0)),
    # association embedding (ablation switch: None)
    embed_head=dict(
        type='mmdet.QuasiDenseEmbedHead',
        num_convs=0,
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
    tracker=dict(
        type='KernelQuasiDenseTracker',
        init_score_thr=0.35,
        obj_score_thr=0.3,
        match_score_thr=0.5,
        memo_tracklet_frames=5,
        memo_backdrop_frames=1,
        memo_momentum=0.8,
        nms_conf_thr=0.5,
        nms_backdrop_iou_thr=0.3,
        nms_class_iou_thr=0.7,
        with_cats=True,
        match_metric='bisoftmax'),
    # the official association embedding input: Linear-LN-ReLU + Linear
    num_embed_fcs=1,
    mask_assign_stride=2,
    test_cfg=dict(
        max_per_img=num_proposals, instance_score_thr=0.25,
        overlap_thr=0.6))

# AdamW 1e-4, backbone x0.25, clip 1 (official schedule)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05),
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.25)}),
    clip_grad=dict(max_norm=1, norm_type=2))
# the reference-frame heads and the embedding see no positive in some
# iterations: DDP must allow unused parameters (official:
# find_unused_parameters=True)
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
# the official LR is for 16 GPUs x 1 clip; the runner rescales it for the
# actual total batch (GPUs x batch_size); auto_scale_lr.enable=False keeps
# the LR as written
auto_scale_lr = dict(enable=True, base_batch_size=16)
