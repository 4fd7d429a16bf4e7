# VSPW video semantic segmentation (the 480p release):
#   data/VSPW_480p/data/<video>/{origin/*.jpg, mask/*.png}, {train,val}.txt,
#   label_num_dic_final.json; 124 classes (mask value v is class v - 1;
#   0, 253 and 255 are void).
dataset_type = 'VSPWDataset'
data_root = 'data/VSPW_480p/'
num_classes = 124
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
                scale=(853, 480),
                ratio_range=(0.5, 2.0),
                keep_ratio=True),
            dict(type='mmdet.RandomCrop', crop_size=(480, 480)),
            dict(type='mmdet.RandomFlip', prob=0.5),
        ]),
    dict(type='PackVideoInputs'),
]
test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='mmdet.Resize', scale=(853, 480), keep_ratio=True),
            load_mask,  # after Resize: metrics compare at the original size
        ]),
    dict(type='PackVideoInputs'),
]

train_dataloader = dict(
    batch_size=2,
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

val_evaluator = dict(type='VSSMetric', windows=(8, 16))
test_evaluator = val_evaluator
