# VIPSeg video panoptic segmentation (the 720p release):
#   data/VIPSeg/images/<video>/*.jpg, panomasks/<video>/*.png,
#   {train,val,test}.txt; 124 classes (58 things) from
#   panoVIPSeg_categories.json or the built-in official list.
# For the official VPQ evaluator, also convert the panomasks with
#   python tools/dataset_converters/vipseg2cocovid.py data/VIPSeg
dataset_type = 'VIPSegDataset'
data_root = 'data/VIPSeg/'
num_classes = 124
load_panoptic = dict(
    type='LoadPanopticMap',
    format='vipseg',
    num_classes=num_classes,
    with_instances=True)

# Tube-Link's tubes of consecutive frames.
train_pipeline = [
    dict(type='VideoFrameSample', num_frames=2, mode='consecutive'),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            load_panoptic,
            dict(
                type='RandomResize',
                scale=(1280, 720),
                ratio_range=(1.0, 2.0),
                keep_ratio=True),
            dict(type='RandomCrop', crop_size=(736, 736),
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
            dict(type='Resize', scale=(1280, 720), keep_ratio=True),
            load_panoptic,
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
        ann_file='train.txt',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='mmdet.TrackImgSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='val.txt',
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='VPSMetric')
test_evaluator = val_evaluator
