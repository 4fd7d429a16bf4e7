# Tiny Video K-Net (VPS) trained from scratch on the CPU on toy videos in
# KITTI-STEP's format (6 classes: road, sky, building | car, person, ball).
# Data (64x96 frames, 32 train + 4 val videos of 8 frames):
#   python tools/misc/generate_toy_data.py kitti_step \
#       data/toy_knet/kitti_step --num-train 32 --num-val 4
_base_ = [
    '../_base_/datasets/toy_kitti_step.py', './_base_/video-knet_r18-w16.py'
]
data_root = 'data/toy_knet/kitti_step/'
num_classes = 6
thing_classes = [3, 4, 5]
num_proposals = 20
num_stages = 3
channels = _base_.channels
# K-Net's rank loss (official base config, weight 0.1): separates the masks
# of neighbouring things of one class
loss_rank = dict(type='mmdet.CrossEntropyLoss', loss_weight=0.1)

model = dict(
    task='vps',
    num_classes=num_classes,
    thing_classes=thing_classes,
    data_preprocessor=dict(seg_pad_value=255),
    semantic_fpn=dict(
        positional_encoding=dict(
            type='mmdet.SinePositionalEncoding',
            num_feats=channels // 2,
            normalize=True),
        # at stride 4: position lets the kernels tell same-class things apart
        positional_encoding_level=0),
    proposal_head=dict(num_proposals=num_proposals, loss_rank=loss_rank),
    iter_head=dict(
        num_stages=num_stages,
        with_link=True,  # ablation switch: kernel linking
        with_fusion=True,  # ablation switch: kernel fusion
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
            _base_.load_panoptic,
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
