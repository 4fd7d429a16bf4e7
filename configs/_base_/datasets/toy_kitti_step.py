# Toy videos in KITTI-STEP's on-disk layout, written by
#   python tools/misc/generate_toy_data.py kitti_step data/toy_kitti_step
# 6 classes (road, sky, building | car, person, ball); frames are 64x96.
# Data loaders and evaluator as for KITTI-STEP.
_base_ = './kitti_step.py'
data_root = 'data/toy_kitti_step/'
num_classes = 6
metainfo = dict(
    classes=('road', 'sky', 'building', 'car', 'person', 'ball'),
    thing_classes=('car', 'person', 'ball'),
    palette=[(128, 64, 128), (70, 130, 180), (70, 70, 70), (0, 0, 142),
             (220, 20, 60), (250, 170, 30)])
load_panoptic = dict(
    type='LoadPanopticMap',
    format='kitti_step',
    num_classes=num_classes,
    with_instances=True)

train_pipeline = [
    dict(type='VideoFrameSample', mode='offsets', offsets=[-2, -1, 1, 2]),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            load_panoptic,
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
            load_panoptic,
        ]),
    dict(type='PackVideoInputs'),
]

train_dataloader = dict(
    batch_size=2,
    dataset=dict(
        data_root=data_root,
        metainfo=metainfo,
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        metainfo=metainfo,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
