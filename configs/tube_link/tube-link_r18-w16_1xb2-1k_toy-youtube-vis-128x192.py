# Tiny Tube-Link (VIS) trained from scratch on the CPU on toy videos in
# YouTube-VIS 2019's format (3 classes: car, person, ball), as the official
# VIS recipe: a training clip is one tube (no link, no contrastive loss);
# test tubes of 2 frames associated by cosine Hungarian query matching;
# frames resized to twice their size at test time.
# Data (128x192 frames, 32 train + 4 val videos of 8 frames):
#   python tools/misc/generate_toy_data.py youtube_vis \
#       data/toy_knet/youtube_vis_128x192 --num-train 32 --num-val 4 \
#       --height 128 --width 192
_base_ = [
    '../_base_/datasets/youtube_vis_2019.py', './_base_/tube-link_r18-w16.py'
]
data_root = 'data/toy_knet/youtube_vis_128x192/'
num_classes = 3

model = dict(
    task='vis',
    num_classes=num_classes,
    thing_classes=[0, 1, 2],
    tube_size=2,
    with_link=False,
    embed_head=None,
    tracker=None,
    test_cfg=dict(tube_size=2, overlap=0, max_per_video=10))

train_pipeline = [
    dict(type='VideoFrameSample', mode='consecutive', num_frames=2),
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
# tested at twice the frame size (masks at stride 4 of 256x384 instead of
# 128x192: +4.2 AP on 32 toy validation videos, see the README)
test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=(384, 256), keep_ratio=True),
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
# whole videos per sample, cut into tubes by the model
val_dataloader = dict(
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        dataset_version=None, data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
