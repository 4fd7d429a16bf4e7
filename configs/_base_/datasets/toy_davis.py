# Toy videos in DAVIS 2017's on-disk layout (with Flow/480p .flo files),
# written by
#   python tools/misc/generate_toy_data.py davis data/toy_davis
# Objects are the things visible in the first frame; frames are 64x96.
dataset_type = 'DAVISDataset'
data_root = 'data/toy_davis/'
data_prefix = dict(
    img_path='JPEGImages/480p',
    seg_map_path='Annotations/480p',
    flow_path='Flow/480p')
loaders = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadVOSAnnotation'),
    dict(type='LoadOpticalFlow'),
]

train_pipeline = [
    dict(type='VideoFrameSample', num_frames=3, mode='consecutive'),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=loaders + [
            dict(type='RandomCrop', crop_size=(64, 64),
                 allow_negative_crop=True),
            dict(type='RandomFlip', prob=0.5),
        ]),
    dict(type='PackVideoInputs'),
]
test_pipeline = [
    dict(type='TransformBroadcaster', transforms=loaders),
    dict(type='PackVideoInputs'),
]

train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='mmdet.TrackImgSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=data_prefix,
        ann_file='ImageSets/2017/train.txt',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='mmdet.TrackImgSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=data_prefix,
        ann_file='ImageSets/2017/val.txt',
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='DAVISMetric')
test_evaluator = val_evaluator
