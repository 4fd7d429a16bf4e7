# Cityscapes-VPS video panoptic segmentation, VPSNet's layout:
#   data/cityscapes_vps/panoptic_gt_{train,val}_city_vps.json
#   data/cityscapes_vps/{train,val}/img/*.png           (frames)
#   data/cityscapes_vps/{train,val}/panoptic_video/*.png (RGB segment ids)
# built by VPSNet's prepare_city_vps/create_panoptic_video_labels.py.
# 19 Cityscapes classes, 8 things; frames are 1024x2048.
dataset_type = 'CityscapesVPSDataset'
data_root = 'data/cityscapes_vps/'
num_classes = 19
load_panoptic = dict(
    type='LoadPanopticMap',
    format='coco_video',
    num_classes=num_classes,
    with_instances=True)

# VPSNet pairs a frame with a nearby reference.
train_pipeline = [
    dict(type='VideoFrameSample', num_frames=2, mode='random',
         frame_range=(-1, 1)),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            load_panoptic,
            dict(
                type='RandomResize',
                scale=(2048, 1024),
                ratio_range=(0.5, 2.0),
                keep_ratio=True),
            dict(type='RandomCrop', crop_size=(1024, 1024),
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
        ann_file='panoptic_gt_train_city_vps.json',
        data_prefix=dict(
            img_path='train/img', seg_map_path='train/panoptic_video'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='mmdet.TrackImgSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='panoptic_gt_val_city_vps.json',
        data_prefix=dict(
            img_path='val/img', seg_map_path='val/panoptic_video'),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='VPSMetric')
test_evaluator = val_evaluator
