# Tiny single-frame Deformable DETR (box refinement, one feature level) for
# the CPU, trained from scratch on toy ImageNet VID: a ResNet-18 of base
# width 16 whose last stage is dilated (stride 8, like the dilated C5 of
# TransVOD's R50 at stride 16), 64 channels, 1 encoder and 2 decoder layers,
# 20 queries. The TransVOD stage adds its temporal modules on top.
_base_ = ['../../_base_/default_runtime.py']
dims = 64
num_classes = 3
model = dict(
    type='FrameDetector',
    data_preprocessor=dict(
        type='VideoDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=8),
    detector=dict(
        type='mmdet.DeformableDETR',
        num_queries=20,
        num_feature_levels=1,
        with_box_refine=True,
        as_two_stage=False,
        backbone=dict(
            type='mmdet.ResNet',
            depth=18,
            base_channels=16,
            num_stages=4,
            strides=(1, 2, 1, 1),
            dilations=(1, 1, 2, 4),
            out_indices=(3, ),
            norm_cfg=dict(type='BN', requires_grad=True),
            norm_eval=False,
            init_cfg=None),
        neck=dict(
            type='mmdet.ChannelMapper',
            in_channels=[128],
            kernel_size=1,
            out_channels=dims,
            act_cfg=None,
            norm_cfg=dict(type='GN', num_groups=16),
            num_outs=1),
        encoder=dict(
            num_layers=1,
            layer_cfg=dict(
                self_attn_cfg=dict(
                    embed_dims=dims, num_heads=4, num_levels=1,
                    batch_first=True),
                ffn_cfg=dict(
                    embed_dims=dims, feedforward_channels=4 * dims,
                    ffn_drop=0.1))),
        decoder=dict(
            num_layers=2,
            return_intermediate=True,
            layer_cfg=dict(
                self_attn_cfg=dict(
                    embed_dims=dims, num_heads=4, dropout=0.1,
                    batch_first=True),
                cross_attn_cfg=dict(
                    embed_dims=dims, num_heads=4, num_levels=1,
                    batch_first=True),
                ffn_cfg=dict(
                    embed_dims=dims, feedforward_channels=4 * dims,
                    ffn_drop=0.1)),
            post_norm_cfg=None),
        positional_encoding=dict(
            num_feats=dims // 2, normalize=True, offset=-0.5),
        bbox_head=dict(
            type='mmdet.DeformableDETRHead',
            num_classes=num_classes,
            embed_dims=dims,
            sync_cls_avg_factor=True,
            loss_cls=dict(
                type='mmdet.FocalLoss',
                use_sigmoid=True,
                gamma=2.0,
                alpha=0.25,
                loss_weight=2.0),
            loss_bbox=dict(type='mmdet.L1Loss', loss_weight=5.0),
            loss_iou=dict(type='mmdet.GIoULoss', loss_weight=2.0)),
        train_cfg=dict(
            assigner=dict(
                type='mmdet.HungarianAssigner',
                match_costs=[
                    dict(type='mmdet.FocalLossCost', weight=2.0),
                    dict(
                        type='mmdet.BBoxL1Cost', weight=5.0,
                        box_format='xywh'),
                    dict(type='mmdet.IoUCost', iou_mode='giou', weight=2.0)
                ])),
        test_cfg=dict(max_per_img=20)))
