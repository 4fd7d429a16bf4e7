# Tiny PolyphonicFormer shared by the toy configs (trained from scratch on
# the CPU): the tiny Video K-Net (ResNet-18 of base width 16 + FPN, 64
# channels, 3 kernel-update stages, stride 4) with the depth branch of the
# semantic FPN, the per-pixel depth of the proposal head and depth queries
# in every stage; toy Cityscapes-DVPS (6 classes, 3 things).
_base_ = ['../../video_knet/_base_/video-knet_r18-w16.py']
channels = _base_.channels
num_proposals = 20
# K-Net's rank loss (weight 0.1), as the tiny Video K-Net VPS config
loss_rank = dict(type='mmdet.CrossEntropyLoss', loss_weight=0.1)
# the official DepthLoss weight (5) on the depth queries and the
# per-pixel depth
loss_depth = dict(type='DepthLoss', max_depth=80.0, loss_weight=5.0)

model = dict(
    type='PolyphonicFormer',
    num_classes=6,
    thing_classes=[3, 4, 5],
    depth_act=dict(mode='sigmoid', min_depth=0.01, max_depth=80.0),
    depth_queries=True,  # ablation switch: False = per-pixel depth only
    data_preprocessor=dict(seg_pad_value=255),
    semantic_fpn=dict(
        type='DepthSemanticFPN',
        positional_encoding=dict(
            type='mmdet.SinePositionalEncoding',
            num_feats=channels // 2,
            normalize=True),
        positional_encoding_level=0),
    proposal_head=dict(
        type='DepthKernelProposalHead',
        num_proposals=num_proposals,
        loss_rank=loss_rank,
        loss_depth=loss_depth),
    iter_head=dict(
        type='DepthKernelIterHead',
        stage_head=dict(type='DepthKernelUpdateHead'),
        loss_rank=loss_rank,
        loss_depth=loss_depth),
    test_cfg=dict(
        max_per_img=num_proposals, instance_score_thr=0.25, overlap_thr=0.6))
