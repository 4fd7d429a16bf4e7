# Video K-Net R50 on Cityscapes-VPS (VPSNet's split: 19 classes, 8 things).
# The official Cityscapes-VPS config was not released; this uses the
# official 1x recipe (12 epochs, AdamW 1e-4, LR x0.1 at epochs 8 and 11)
# with key + one reference frame (+-1 frame, as VPSNet).
_base_ = [
    '../_base_/datasets/cityscapes_vps.py', '../_base_/default_runtime.py',
    './_base_/video-knet_r50.py', './_base_/schedule_12e.py'
]
model = dict(num_classes=19, thing_classes=[11, 12, 13, 14, 15, 16, 17, 18])
# VPSNet's VPQ windows k = 0, 5, 10, 15 frames apart = 1..4 annotated frames
val_evaluator = dict(type='VPSMetric', windows=(1, 2, 3, 4))
test_evaluator = val_evaluator

default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=4))
log_processor = dict(by_epoch=True)
