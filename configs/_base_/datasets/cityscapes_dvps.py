# Cityscapes-DVPS depth-aware video panoptic segmentation (ViP-DeepLab):
#   data/cityscapes-dvps/video_sequence/{train,val}/
#     {seq}_{frame}_{city}_..._leftImg8bit.png, _gtFine_instanceTrainIds.png,
#     _depth.png (uint16 metres * 256)
# 19 Cityscapes classes, 8 things; frames are 1024x2048.
dataset_type = 'CityscapesDVPSDataset'
data_root = 'data/cityscapes-dvps/'
num_classes = 19
loaders = [
    dict(type='LoadImageFromFile'),
    dict(
        type='LoadPanopticMap',
        format='cityscapes_dvps',
        num_classes=num_classes,
        with_instances=True),
    dict(type='LoadDepthMap', scale=256.0),
]

# PolyphonicFormer's video model pairs each frame with its successor.
train_pipeline = [
    dict(type='VideoFrameSample', mode='offsets', offsets=[1]),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=loaders + [
            dict(
                type='RandomResize',
                scale=(2048, 1024),
                ratio_range=(0.5, 2.0),
                keep_ratio=True),
            dict(type='RandomCrop', crop_size=(2048, 1024),
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
            dict(type='Resize', scale=(2048, 1024), keep_ratio=True),
        ] + loaders[1:]),
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

val_evaluator = dict(type='DVPSMetric')
test_evaluator = val_evaluator
