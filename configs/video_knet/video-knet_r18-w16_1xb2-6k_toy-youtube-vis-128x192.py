# Tiny Video K-Net (clip-level VIS) trained from scratch on the CPU on toy
# videos in YouTube-VIS 2019's format (3 classes: car, person, ball).
# Data (128x192 frames, 32 train + 4 val videos of 8 frames; at 64x96 the
# balls are a few pixels wide and no mask reaches the high IoUs of AP):
#   python tools/misc/generate_toy_data.py youtube_vis \
#       data/toy_knet/youtube_vis_128x192 --num-train 32 --num-val 4 \
#       --height 128 --width 192
_base_ = [
    '../_base_/datasets/youtube_vis_2019.py', './_base_/video-knet_r18-w16.py'
]
data_root = 'data/toy_knet/youtube_vis_128x192/'
num_classes = 3
num_proposals = 20
channels = _base_.channels
loss_rank = dict(type='mmdet.CrossEntropyLoss', loss_weight=0.1)
stage_head = _base_.model.iter_head.stage_head

model = dict(
    task='vis',
    num_classes=num_classes,
    thing_classes=[0, 1, 2],
    semantic_fpn=dict(
        positional_encoding=dict(
            type='mmdet.SinePositionalEncoding',
            num_feats=channels // 2,
            normalize=True),
        positional_encoding_level=0),
    proposal_head=dict(
        num_proposals=num_proposals,
        loss_rank=loss_rank,
        # the official VIS semantic loss: sigmoid focal, background negative
        loss_seg=dict(
            type='mmdet.FocalLoss',
            use_sigmoid=True,
            gamma=2.0,
            alpha=0.25,
            loss_weight=1.0)),
    iter_head=dict(loss_rank=loss_rank),
    # on the mean kernels of the clip's frames: 2 clip stages with their own
    # matching, then 1 per-frame stage (the official assign_stages=2)
    clip_head=dict(
        type='KernelClipIterHead',
        num_stages=3,
        assign_stages=2,
        stage_head=stage_head,
        loss_rank=loss_rank),
    test_cfg=dict(max_per_video=10))

train_pipeline = [
    dict(type='VideoFrameSample', mode='consecutive', num_frames=3),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadVideoInstances', with_mask=True),
            dict(
                type='RandomResize',
                scale=(192, 128),
                ratio_range=(0.75, 1.5),
                keep_ratio=True),
            dict(
                type='RandomCrop',
                crop_size=(128, 128),
                allow_negative_crop=True),
            dict(type='RandomFlip', prob=0.5),
        ]),
    dict(type='PackVideoInputs'),
]
test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=(192, 128), keep_ratio=True),
            dict(type='LoadVideoInstances', with_mask=True),
        ]),
    dict(type='PackVideoInputs'),
]
train_dataloader = dict(
    batch_size=2,
    dataset=dict(
        dataset_version=None,  # classes from the JSON categories
        data_root=data_root,
        pipeline=train_pipeline))
# clip-level inference: one whole video per sample
val_dataloader = dict(
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        dataset_version=None, data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
