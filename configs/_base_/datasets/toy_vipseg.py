# Toy videos in VIPSeg's on-disk layout, written by
#   python tools/misc/generate_toy_data.py vipseg data/toy_vipseg
# Classes come from the toy panoVIPSeg_categories.json (6 classes, 3
# things); frames are 64x96.
# Data loaders and evaluator as for VIPSeg.
_base_ = './vipseg.py'
data_root = 'data/toy_vipseg/'
num_classes = 6
load_panoptic = dict(
    type='LoadPanopticMap',
    format='vipseg',
    num_classes=num_classes,
    with_instances=True)

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
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
