# SemKITTI-DVPS depth-aware video panoptic segmentation (ViP-DeepLab):
#   data/semkitti-dvps/video_sequence/{train,val}/
#     {seq}_{frame}_leftImg8bit.png, _gtFine_class.png, _gtFine_instance.png,
#     _depth_<focal>.png (uint16 metres * 256)
# 19 SemanticKITTI classes, 8 things; frames are about 376x1241.
# Data loaders as for Cityscapes-DVPS. The evaluator follows ViP-DeepLab's
# semkitti-dvps/eval_dvpq.py, not the Cityscapes one: epsilon 1e-10 (a class
# without a true positive, e.g. absent from the ground truth and the
# prediction, counts as PQ 0 in the class mean instead of making it NaN),
# things = classes 0..7 (from the dataset's metainfo), void 255, window sizes
# 1, 5, 10, 20 and depth thresholds 0.5, 0.25, 0.1 (DVPQ = their mean).
# Saved predictions (*cat.png / *ins.png) are scored offline with
#   tools/analysis_tools/eval_offline.py dvpq --layout semkitti
_base_ = './cityscapes_dvps.py'
dataset_type = 'SemKITTIDVPSDataset'
data_root = 'data/semkitti-dvps/'
num_classes = 19
loaders = [
    dict(type='LoadImageFromFile'),
    dict(
        type='LoadPanopticMap',
        format='semkitti_dvps',
        num_classes=num_classes,
        with_instances=True),
    dict(type='LoadDepthMap', scale=256.0),
]

# Each frame with its successor (as for Cityscapes-DVPS).
train_pipeline = [
    dict(type='VideoFrameSample', mode='offsets', offsets=[1]),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=loaders + [
            dict(
                type='RandomResize',
                scale=(1248, 384),
                ratio_range=(1.0, 2.0),
                keep_ratio=True),
            dict(type='RandomCrop', crop_size=(1248, 384),
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
        ] + loaders[1:]),
    dict(type='PackVideoInputs'),
]

train_dataloader = dict(
    dataset=dict(
        type=dataset_type, data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type, data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='DVPSMetric', rules='semkitti')
test_evaluator = val_evaluator
