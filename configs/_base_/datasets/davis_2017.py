# DAVIS 2017 semi-supervised video object segmentation:
#   data/DAVIS/JPEGImages/480p/<seq>/*.jpg, Annotations/480p/<seq>/*.png,
#   ImageSets/2017/{train,val}.txt
# The first frame's mask is the given reference (ref_object_ids in its
# metainfo). For DAVIS 2016 set version='2016' and
# LoadVOSAnnotation(binary=True). With precomputed flow (VS-ReID), add
# flow_path='Flow/480p' to data_prefix and LoadOpticalFlow() to the
# transforms.
dataset_type = 'DAVISDataset'
data_root = 'data/DAVIS/'
load_masks = dict(type='LoadVOSAnnotation')

train_pipeline = [
    dict(type='VideoFrameSample', num_frames=3, mode='random',
         frame_range=(-10, 10)),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            load_masks,
            dict(
                type='RandomResize',
                scale=(854, 480),
                ratio_range=(0.8, 1.2),
                keep_ratio=True),
            dict(type='RandomCrop', crop_size=(480, 480),
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
            load_masks,
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
        ann_file='ImageSets/2017/val.txt',
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='DAVISMetric')
test_evaluator = val_evaluator
