# PolyphonicFormer, ResNet-50 + FPN (the official
# configs/_base_/models/polyphonic_former.py): Video K-Net's R50 model
# (100 thing proposals, 3 kernel-update stages, stride-8 features) with
# the depth branch of the semantic FPN, the per-pixel depth of the
# proposal head (its 1x1 kernel initialises the depth queries), depth
# queries in every stage, DepthLoss (weight 5, sigmoid depth 0.01-80 m) and
# a zero-weight depth cost in the matching. Datasets set num_classes /
# thing_classes; the image stage drops the embedding and the tracker.
_base_ = ['../../video_knet/_base_/video-knet_r50.py']
channels = 256
loss_depth = dict(
    type='DepthLoss',
    si_weight=1.0,
    sq_rel_weight=1.0,
    abs_rel_weight=1.0,
    max_depth=80.0,
    loss_weight=5.0)
loss_rank = dict(
    type='mmdet.CrossEntropyLoss', use_sigmoid=False, loss_weight=0.1)

model = dict(
    type='PolyphonicFormer',
    num_classes=19,
    thing_classes=[11, 12, 13, 14, 15, 16, 17, 18],
    depth_act=dict(mode='sigmoid', min_depth=0.01, max_depth=80.0),
    depth_queries=True,  # ablation switch: False = per-pixel depth only
    semantic_fpn=dict(type='DepthSemanticFPN'),
    proposal_head=dict(
        type='DepthKernelProposalHead',
        num_depth_convs=1,
        loss_depth=loss_depth,
        # the official semantic loss: sigmoid focal
        loss_seg=dict(
            _delete_=True,
            type='mmdet.FocalLoss',
            use_sigmoid=True,
            gamma=2.0,
            alpha=0.25,
            loss_weight=1.0)),
    iter_head=dict(
        type='DepthKernelIterHead',
        with_link=True,
        with_fusion=False,
        stage_head=dict(type='DepthKernelUpdateHead', num_depth_fcs=1),
        assigner=dict(
            type='mmdet.HungarianAssigner',
            match_costs=[
                dict(type='mmdet.FocalLossCost', weight=2.0),
                dict(
                    type='mmdet.DiceCost',
                    weight=4.0,
                    pred_act=True,
                    naive_dice=False),
                dict(type='MaskCost', weight=1.0, pred_act=True),
                dict(type='DepthCost', weight=0.0)
            ]),
        loss_rank=loss_rank,
        loss_depth=loss_depth),
    test_cfg=dict(instance_score_thr=0.3))
