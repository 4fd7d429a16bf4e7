# KITTI-STEP video panoptic segmentation, in the video_sequence layout that
# Video K-Net and Tube-Link train on:
#   data/kitti-step/video_sequence/{train,val}/{seq}_{frame}_leftImg8bit.png
#                                              {seq}_{frame}_panoptic.png
# 19 Cityscapes classes, things: person, car. Frames are about 375x1242.
dataset_type = 'KITTISTEPDataset'
data_root = 'data/kitti-step/'
num_classes = 19
load_panoptic = dict(
    type='LoadPanopticMap',
    format='kitti_step',
    num_classes=num_classes,
    with_instances=True)

# Reference frames: Video K-Net's ref_seq_index. Tube-Link trains on
# consecutive tubes instead: dict(type='VideoFrameSample', num_frames=2,
# mode='consecutive').
train_pipeline = [
    dict(type='VideoFrameSample', mode='offsets', offsets=[-2, -1, 1, 2]),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            load_panoptic,
            # mmcv's RandomResize builds mmvidseg's Resize in this scope,
            # which also resizes gt_panoptic_map
            dict(
                type='RandomResize',
                scale=(1248, 384),
                ratio_range=(1.0, 2.0),
                keep_ratio=True),
            dict(
                type='RandomCrop', crop_size=(1248, 384),
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
            dict(type='Resize', scale=(1248, 384), keep_ratio=True),
            load_panoptic,  # after Resize: metrics compare at full size
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
        data_prefix=dict(img_path='video_sequence/train'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='mmdet.TrackImgSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='video_sequence/val'),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='VPSMetric')
test_evaluator = val_evaluator
