# Toy videos in ImageNet VID's on-disk layout (ILSVRC XML + CocoVID JSON),
# written by
#   python tools/misc/generate_toy_data.py imagenet_vid data/toy_imagenet_vid
# 3 thing classes (car, person, ball) from the JSON; frames are 64x96.
dataset_type = 'ImageNetVIDDataset'
data_root = 'data/toy_imagenet_vid/'
load_instances = dict(type='LoadVideoInstances')

# TransVOD: references drawn at random within a window of the key frame.
train_pipeline = [
    dict(type='VideoFrameSample', num_frames=3, mode='random',
         frame_range=(-3, 3)),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            load_instances,
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
            load_instances,
        ]),
    dict(type='PackVideoInputs'),
]

train_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='mmdet.TrackImgSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/imagenet_vid_train.json',
        data_prefix=dict(img_path='Data/VID'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='mmdet.TrackImgSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/imagenet_vid_val.json',
        data_prefix=dict(img_path='Data/VID'),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='ImageNetVIDMetric')
test_evaluator = val_evaluator
