# Toy videos in VSPW's on-disk layout, written by
#   python tools/misc/generate_toy_data.py vspw data/toy_vspw
# 6 classes (road, sky, building, car, person, ball); frames are 64x96.
# Data loaders and evaluator as for VSPW.
_base_ = './vspw.py'
data_root = 'data/toy_vspw/'
num_classes = 6
load_mask = dict(
    type='LoadSemSegMap',
    num_classes=num_classes,
    reduce_zero_label=True,  # mask value v is class v - 1
    ignore_values=(0, 253, 255))

train_pipeline = [
    dict(type='VideoFrameSample', num_frames=2, mode='random',
         frame_range=(-3, 3)),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            load_mask,
            dict(
                type='mmdet.RandomResize',
                scale=(96, 64),
                ratio_range=(0.75, 1.5),
                keep_ratio=True),
            dict(type='mmdet.RandomCrop', crop_size=(64, 64)),
            dict(type='mmdet.RandomFlip', prob=0.5),
        ]),
    dict(type='PackVideoInputs'),
]
test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='mmdet.Resize', scale=(96, 64), keep_ratio=True),
            load_mask,  # after Resize: metrics compare at the original size
        ]),
    dict(type='PackVideoInputs'),
]

train_dataloader = dict(
    batch_size=4,
    dataset=dict(
        data_root=data_root,
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
