# YouTube-VOS semi-supervised video object segmentation:
#   data/youtube_vos/{train,valid}/JPEGImages/<video>/*.jpg
#   data/youtube_vos/{train,valid}/Annotations/<video>/*.png
#   data/youtube_vos/{train,valid}/meta.json
# Objects may appear after the first frame: each frame's ref_object_ids
# lists the objects whose reference mask it carries. The valid split is
# scored by the challenge server (only reference masks are released).
dataset_type = 'YouTubeVOSDataset'
data_root = 'data/youtube_vos/'
load_masks = dict(type='LoadVOSAnnotation')

train_pipeline = [
    dict(type='VideoFrameSample', num_frames=3, mode='random',
         frame_range=(-5, 5)),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            load_masks,
            dict(type='Resize', scale=(854, 480), keep_ratio=True),
            dict(type='RandomCrop', crop_size=(480, 480),
                 allow_negative_crop=True),
            dict(type='RandomFlip', prob=0.5),
        ]),
    dict(type='PackVideoInputs'),
]
test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[dict(type='LoadImageFromFile'), load_masks]),
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
        ann_file='train/meta.json',
        data_prefix=dict(
            img_path='train/JPEGImages', seg_map_path='train/Annotations'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='mmdet.TrackImgSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='valid/meta.json',
        data_prefix=dict(
            img_path='valid/JPEGImages', seg_map_path='valid/Annotations'),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
