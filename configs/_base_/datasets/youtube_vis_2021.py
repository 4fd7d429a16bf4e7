# YouTube-VIS 2021 video instance segmentation, the official release:
#   data/youtube_vis_2021/{train,valid}/JPEGImages/<video>/*.jpg
#   data/youtube_vis_2021/{train,valid}/instances.json
# The official valid/instances.json has no annotations (evaluated on the
# server), so the val loader runs in test_mode; local AP needs an annotated
# split.
dataset_type = 'YouTubeVISDataset'
dataset_version = '2021'
data_root = 'data/youtube_vis_2021/'
load_instances = dict(type='LoadVideoInstances', with_mask=True)

# Clip-level training: a few frames around the key frame.
train_pipeline = [
    dict(type='VideoFrameSample', num_frames=2, mode='random',
         frame_range=(-5, 5)),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            load_instances,
            dict(type='Resize', scale=(640, 360), keep_ratio=True),
            dict(type='RandomFlip', prob=0.5),
        ]),
    dict(type='PackVideoInputs'),
]
test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=(640, 360), keep_ratio=True),
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
        dataset_version=dataset_version,
        data_root=data_root,
        ann_file='train/instances.json',
        data_prefix=dict(img_path='train/JPEGImages'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='mmdet.TrackImgSampler'),
    dataset=dict(
        type=dataset_type,
        dataset_version=dataset_version,
        data_root=data_root,
        ann_file='valid/instances.json',
        data_prefix=dict(img_path='valid/JPEGImages'),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='YouTubeVISVideoMetric')
test_evaluator = val_evaluator
