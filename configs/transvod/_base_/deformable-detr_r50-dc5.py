# TransVOD's single-frame Deformable DETR on ImageNet VID (the official
# r50 scripts): a ResNet-50 whose last stage is dilated (``--dilation``,
# stride 16, "DC5"), one feature level, 300 queries, box refinement, 6
# encoder and 6 decoder layers of 256 channels, 30 classes.
_base_ = ['../../_base_/default_runtime.py']
dims = 256
num_classes = 30
model = dict(
    type='FrameDetector',
    data_preprocessor=dict(
        type='VideoDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=1),
    detector=dict(
        type='mmdet.DeformableDETR',
        num_queries=300,
        num_feature_levels=1,
        with_box_refine=True,
        as_two_stage=False,
        backbone=dict(
            type='mmdet.ResNet',
            depth=50,
            num_stages=4,
            strides=(1, 2, 2, 1),
            dilations=(1, 1, 1, 2),
            out_indices=(3, ),
            frozen_stages=1,
            norm_cfg=dict(type='BN', requires_grad=False),
            norm_eval=True,
            style='pytorch',
            init_cfg=dict(
                type='Pretrained', checkpoint='torchvision://resnet50')),
        neck=dict(
            type='mmdet.ChannelMapper',
            in_channels=[2048],
            kernel_size=1,
            out_channels=dims,
            act_cfg=None,
            norm_cfg=dict(type='GN', num_groups=32),
            num_outs=1),
        encoder=dict(
            num_layers=6,
            layer_cfg=dict(
                self_attn_cfg=dict(
                    embed_dims=dims, num_levels=1, batch_first=True),
                ffn_cfg=dict(
                    embed_dims=dims, feedforward_channels=1024,
                    ffn_drop=0.1))),
        decoder=dict(
            num_layers=6,
            return_intermediate=True,
            layer_cfg=dict(
                self_attn_cfg=dict(
                    embed_dims=dims, num_heads=8, dropout=0.1,
                    batch_first=True),
                cross_attn_cfg=dict(
                    embed_dims=dims, num_levels=1, batch_first=True),
                ffn_cfg=dict(
                    embed_dims=dims, feedforward_channels=1024,
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
        test_cfg=dict(max_per_img=100)))

# Deformable DETR's optimiser: AdamW 2e-4, backbone and the deformable
# attention's sampling offsets / reference points at 0.1x, clip 0.1
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-4, weight_decay=1e-4),
    clip_grad=dict(max_norm=0.1, norm_type=2),
    paramwise_cfg=dict(
        custom_keys={
            'backbone': dict(lr_mult=0.1),
            'sampling_offsets': dict(lr_mult=0.1),
            'reference_points': dict(lr_mult=0.1)
        }))
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(base_batch_size=32)
