# Tiny Tube-Link (VPS) trained from scratch on the CPU on toy videos in
# KITTI-STEP's format (6 classes: road, sky, building | car, person, ball).
# Data (64x96 frames, 32 train + 4 val videos of 8 frames):
#   python tools/misc/generate_toy_data.py kitti_step \
#       data/toy_knet/kitti_step --num-train 32 --num-val 4
_base_ = [
    '../_base_/datasets/toy_kitti_step.py', './_base_/tube-link_r18-w16.py'
]
data_root = 'data/toy_knet/kitti_step/'
channels = _base_.channels

model = dict(
    task='vps',
    num_classes=6,
    thing_classes=[3, 4, 5],
    data_preprocessor=dict(seg_pad_value=255),
    tube_size=2,  # ablation: 1 (online), 2, 4 at test time
    with_link=True,  # ablation switch: cross-tube link
    # ablation switch: embed_head=None (with with_link=False) trains
    # without the contrastive loss
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
    # IDOL-style memory: 10 tubes, bi-softmax
    tracker=dict(type='KernelQuasiDenseTracker', memo_tracklet_frames=10),
    test_cfg=dict(overlap=0, object_mask_thr=0.8, iou_thr=0.8))

# a window of 4 consecutive frames = a key tube and a reference tube
train_pipeline = [
    dict(type='VideoFrameSample', mode='consecutive', num_frames=4),
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
# whole videos per sample, cut into tubes by the model
val_dataloader = dict(
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
# KITTI-STEP's VPQ windows k = 1..4
val_evaluator = dict(type='VPSMetric', windows=(1, 2, 3, 4))
test_evaluator = val_evaluator
