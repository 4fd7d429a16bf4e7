# ImageNet VID video object detection, CocoVID JSON made by
#   python tools/dataset_converters/imagenet_vid2cocovid.py data/ILSVRC
#   data/ILSVRC/Data/VID/{train,val}/..., annotations/imagenet_vid_*.json
# and, for joint training on VID + the DET images of the 30 VID classes
# (as TransVOD / SELSA), the DET images merged into the VID train JSON by
#   python tools/dataset_converters/imagenet_det2cocovid.py data/ILSVRC \
#       --merge-with data/ILSVRC/annotations/imagenet_vid_train.json
# (one dataset: mmdet's TrackImgSampler does not work on a ConcatDataset).
# Key frames: the 15 flagged frames per video (VID_train_15frames) and every
# DET image (key_frames_only); reference frames come from the whole video.
# VID only: ann_file='annotations/imagenet_vid_train.json'.
dataset_type = 'ImageNetVIDDataset'
data_root = 'data/ILSVRC/'
load_instances = dict(type='LoadVideoInstances')

# TransVOD: references drawn at random within a window of the key frame.
train_pipeline = [
    dict(type='VideoFrameSample', num_frames=3, mode='random',
         frame_range=(-9, 9)),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            load_instances,
            dict(type='Resize', scale=(1000, 600), keep_ratio=True),
            dict(type='RandomFlip', prob=0.5),
        ]),
    dict(type='PackVideoInputs'),
]
test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=(1000, 600), keep_ratio=True),
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
        ann_file='annotations/imagenet_vid_det_train.json',
        data_prefix=dict(img_path='Data/VID'),
        key_frames_only=True,
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
