# Toy videos in ImageNet VID's on-disk layout (ILSVRC XML + CocoVID JSON),
# written by
#   python tools/misc/generate_toy_data.py imagenet_vid data/toy_imagenet_vid
# 3 thing classes (car, person, ball) from the JSON; frames are 64x96.
# Data loaders and evaluator as for ImageNet VID; smaller frames and windows.
_base_ = './imagenet_vid.py'
data_root = 'data/toy_imagenet_vid/'

train_pipeline = [
    dict(type='VideoFrameSample', num_frames=3, mode='random',
         frame_range=(-3, 3)),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            _base_.load_instances,
            dict(type='Resize', scale=(96, 64), keep_ratio=True),
            dict(type='RandomFlip', prob=0.5),
        ]),
    dict(type='PackVideoInputs'),
]
test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=(96, 64), keep_ratio=True),
            _base_.load_instances,
        ]),
    dict(type='PackVideoInputs'),
]

# VID only (the toy data has no DET images); key frames as flagged
train_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        ann_file='annotations/imagenet_vid_train.json',
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
