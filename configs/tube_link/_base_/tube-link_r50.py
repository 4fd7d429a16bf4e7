# Tube-Link, ResNet-50 + mmdet's Mask2Former head (6-layer deformable pixel
# decoder, 9-layer masked-attention decoder, 100 queries, 256 channels), the
# official R50 model (configs/video/_base_/models/mask2former_video_r50.py of
# lxtGH/Tube-Link). The configs set the task, the classes, the tube sizes,
# the tube parts and the data.
#
# Weights: the official recipe starts from an mmdet Mask2Former R50 trained
# on COCO panoptic. Its mmdet 3.x checkpoint (backbone.* and panoptic_head.*)
# loads as it is, the class layer (cls_embed, 134 outputs) being skipped for
# its shape; download it from mmdet's model zoo (configs/mask2former,
# mask2former_r50_8xb2-lsj-50e_coco-panoptic) and pass its local path:
#   --cfg-options load_from=checkpoints/mask2former_r50_coco-panoptic.pth
# Without it the backbone starts from ImageNet (torchvision://resnet50).
channels = 256
num_heads = 8

model = dict(
    type='TubeLink',
    data_preprocessor=dict(
        type='VideoDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        type='mmdet.ResNet',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=True,
        style='pytorch',
        init_cfg=dict(type='Pretrained',
                      checkpoint='torchvision://resnet50')),
    panoptic_head=dict(
        type='TubeMask2FormerHead',
        in_channels=[256, 512, 1024, 2048],
        strides=[4, 8, 16, 32],
        feat_channels=channels,
        out_channels=channels,
        num_queries=100,
        num_transformer_feat_level=3,
        pixel_decoder=dict(
            type='mmdet.MSDeformAttnPixelDecoder',
            num_outs=3,
            norm_cfg=dict(type='GN', num_groups=32),
            act_cfg=dict(type='ReLU'),
            encoder=dict(
                num_layers=6,
                layer_cfg=dict(
                    self_attn_cfg=dict(
                        embed_dims=channels,
                        num_heads=num_heads,
                        num_levels=3,
                        num_points=4,
                        dropout=0.0,
                        batch_first=True),
                    ffn_cfg=dict(
                        embed_dims=channels,
                        feedforward_channels=1024,
                        num_fcs=2,
                        ffn_drop=0.0,
                        act_cfg=dict(type='ReLU', inplace=True)))),
            positional_encoding=dict(num_feats=channels // 2,
                                     normalize=True)),
        enforce_decoder_input_project=False,
        positional_encoding=dict(num_feats=channels // 2, normalize=True),
        transformer_decoder=dict(
            return_intermediate=True,
            num_layers=9,
            layer_cfg=dict(
                self_attn_cfg=dict(
                    embed_dims=channels,
                    num_heads=num_heads,
                    dropout=0.0,
                    batch_first=True),
                cross_attn_cfg=dict(
                    embed_dims=channels,
                    num_heads=num_heads,
                    dropout=0.0,
                    batch_first=True),
                ffn_cfg=dict(
                    embed_dims=channels,
                    feedforward_channels=2048,
                    num_fcs=2,
                    ffn_drop=0.0,
                    act_cfg=dict(type='ReLU', inplace=True))),
            init_cfg=None),
        # class_weight (1 per class, 0.1 for "no object") is filled in
        loss_cls=dict(
            type='mmdet.CrossEntropyLoss',
            use_sigmoid=False,
            loss_weight=2.0,
            reduction='mean'),
        loss_mask=dict(
            type='mmdet.CrossEntropyLoss',
            use_sigmoid=True,
            reduction='mean',
            loss_weight=5.0),
        loss_dice=dict(
            type='mmdet.DiceLoss',
            use_sigmoid=True,
            activate=True,
            reduction='mean',
            naive_dice=True,
            eps=1.0,
            loss_weight=5.0),
        train_cfg=dict(
            num_points=12544,
            oversample_ratio=3.0,
            importance_sample_ratio=0.75,
            assigner=dict(
                type='mmdet.HungarianAssigner',
                match_costs=[
                    dict(type='mmdet.ClassificationCost', weight=2.0),
                    dict(
                        type='mmdet.CrossEntropyLossCost',
                        weight=5.0,
                        use_sigmoid=True),
                    dict(
                        type='mmdet.DiceCost',
                        weight=5.0,
                        pred_act=True,
                        eps=1.0)
                ]),
            sampler=dict(type='mmdet.MaskPseudoSampler'))),
    # official link_thing_query: 8 heads, FFN 1024
    link_cfg=dict(num_heads=num_heads, feedforward_channels=1024),
    mask_target_stride=4,
    test_cfg=dict(object_mask_thr=0.8, iou_thr=0.8))

# the official VPS association head and tracker (used by the VPS configs)
embed_head = dict(
    type='mmdet.QuasiDenseEmbedHead',
    num_fcs=2,
    roi_feat_size=1,
    in_channels=channels,
    fc_out_channels=channels,
    embed_channels=channels,
    loss_track=dict(type='mmdet.MultiPosCrossEntropyLoss', loss_weight=0.25),
    loss_track_aux=dict(
        type='mmdet.L2Loss',
        neg_pos_ub=3,
        pos_margin=0,
        neg_margin=0.1,
        hard_mining=True,
        loss_weight=1.0))
# official IDOL_Tracker thresholds (nms_thr_pre 0.7, nms_thr_post 0.3 ->
# nms_class_iou_thr 0.7, nms_backdrop_iou_thr 0.5)
tracker = dict(
    type='KernelQuasiDenseTracker',
    init_score_thr=0.2,
    obj_score_thr=0.1,
    match_score_thr=0.5,
    memo_tracklet_frames=10,
    memo_backdrop_frames=1,
    memo_momentum=0.5,
    nms_conf_thr=0.5,
    nms_backdrop_iou_thr=0.5,
    nms_class_iou_thr=0.7,
    match_metric='bisoftmax')

# official Mask2Former optimiser: AdamW 1e-4, backbone x0.1, no decay on
# the query / level embeddings and norms, gradient clip 0.01
embed_multi = dict(lr_mult=1.0, decay_mult=0.0)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW',
        lr=0.0001,
        weight_decay=0.05,
        eps=1e-8,
        betas=(0.9, 0.999)),
    paramwise_cfg=dict(
        custom_keys={
            'backbone': dict(lr_mult=0.1, decay_mult=1.0),
            'query_embed': embed_multi,
            'query_feat': embed_multi,
            'level_embed': embed_multi,
        },
        norm_decay_mult=0.0),
    clip_grad=dict(max_norm=0.01, norm_type=2))
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# queries without a positive in a batch: let DDP skip their gradients
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
