# Toy videos in YouTube-VIS 2019's on-disk layout, written by
#   python tools/misc/generate_toy_data.py youtube_vis data/toy_youtube_vis
# 3 thing classes (car, person, ball) read from the JSON; frames are 64x96.
# Unlike the release, the toy valid.json is annotated, so it can be scored.
dataset_type = 'YouTubeVISDataset'
data_root = 'data/toy_youtube_vis/'
load_instances = dict(type='LoadVideoInstances', with_mask=True)

train_pipeline = [
    dict(type='VideoFrameSample', num_frames=2, mode='random',
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
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='mmdet.TrackImgSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='train.json',
        data_prefix=dict(img_path='train/JPEGImages'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='mmdet.TrackImgSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='valid.json',
        data_prefix=dict(img_path='valid/JPEGImages'),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='YouTubeVISVideoMetric')
test_evaluator = val_evaluator
