# Toy videos in SemKITTI-DVPS's on-disk layout, written by
#   python tools/misc/generate_toy_data.py semkitti_dvps \
#       data/toy_semkitti_dvps
# 6 classes (3 things), depth in metres * 256; frames are 64x96.
# Data loaders as for Cityscapes-DVPS; the evaluator uses SemKITTI-DVPS' rules
# (see semkitti_dvps.py) with window sizes 1 and 5 only, as the toy videos
# are shorter than 10 frames (a longer window would have nothing to score).
_base_ = './cityscapes_dvps.py'
dataset_type = 'SemKITTIDVPSDataset'
data_root = 'data/toy_semkitti_dvps/'
num_classes = 6
metainfo = dict(
    classes=('road', 'sky', 'building', 'car', 'person', 'ball'),
    thing_classes=('car', 'person', 'ball'),
    palette=[(128, 64, 128), (70, 130, 180), (70, 70, 70), (0, 0, 142),
             (220, 20, 60), (250, 170, 30)])
loaders = [
    dict(type='LoadImageFromFile'),
    dict(
        type='LoadPanopticMap',
        format='semkitti_dvps',
        num_classes=num_classes,
        with_instances=True),
    dict(type='LoadDepthMap', scale=256.0),
]

train_pipeline = [
    dict(type='VideoFrameSample', mode='offsets', offsets=[1]),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=loaders + [
            dict(
                type='RandomResize',
                scale=(96, 64),
                ratio_range=(0.75, 1.5),
                keep_ratio=True),
            dict(type='RandomCrop', crop_size=(64, 64),
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
            dict(type='Resize', scale=(96, 64), keep_ratio=True),
        ] + loaders[1:]),
    dict(type='PackVideoInputs'),
]

train_dataloader = dict(
    batch_size=2,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='DVPSMetric', rules='semkitti', windows=(1, 5))
test_evaluator = val_evaluator
