# Video K-Net R50 on YouTube-VIS 2019 (VIS, 40 classes), the official
# knet_track_r50_1x_youtubevis recipe: per-frame K-Net + clip-level kernels
# (mean of the frames' kernels) refined by 2 clip stages and 1 per-frame
# stage (KernelFrameIterHeadVideo, assign_stages=2), a sigmoid focal
# semantic loss with background as negatives, clips of 5 frames
# within +-2 of the key frame, short side 288..512, 12 epochs (LR x0.1 at
# 8 and 11), 8 GPUs x 2 clips; test on whole videos at 360p, top 10
# instances per video.
_base_ = [
    '../_base_/datasets/youtube_vis_2019.py', '../_base_/default_runtime.py',
    './_base_/video-knet_r50.py', './_base_/schedule_12e.py'
]
num_classes = 40
channels = _base_.channels
model = dict(
    task='vis',
    num_classes=num_classes,
    thing_classes=list(range(num_classes)),
    semantic_fpn=dict(out_level=1),
    # the official VIS model has no rank loss
    proposal_head=dict(
        loss_rank=None,
        loss_seg=dict(
            _delete_=True,
            type='mmdet.FocalLoss',
            use_sigmoid=True,
            gamma=2.0,
            alpha=0.25,
            loss_weight=1.0)),
    iter_head=dict(with_link=False, with_fusion=False, loss_rank=None),
    clip_head=dict(
        type='KernelClipIterHead',
        num_stages=3,
        assign_stages=2,
        loss_rank=None,
        stage_head=dict(
            type='KernelUpdateHead',
            in_channels=channels,
            feedforward_channels=2048,
            num_heads=8)),
    embed_head=None,
    tracker=None,
    mask_assign_stride=4,
    test_cfg=dict(max_per_video=10))

train_pipeline = [
    dict(type='VideoFrameSample', mode='consecutive', num_frames=5),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadVideoInstances', with_mask=True),
            dict(
                type='RandomChoiceResize',
                scales=[(1e6, s) for s in (288, 320, 352, 392, 416, 448,
                                           480, 512)],
                keep_ratio=True),
            dict(type='RandomFlip', prob=0.5),
        ]),
    dict(type='PackVideoInputs'),
]
train_dataloader = dict(
    batch_size=2, dataset=dict(pipeline=train_pipeline))
# clip-level inference: one whole video per sample
val_dataloader = dict(sampler=dict(type='DefaultSampler', shuffle=False))
test_dataloader = val_dataloader

train_cfg = dict(val_interval=13)
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1))
log_processor = dict(by_epoch=True)
