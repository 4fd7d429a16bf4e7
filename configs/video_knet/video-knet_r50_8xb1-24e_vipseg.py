# Video K-Net R50 on VIPSeg (VPS, 124 classes, 58 things), the official
# video_knet_s3_r50_rpn_vipseg_mask_embed_link_ffn_joint_train schedule:
# 12 epochs, LR steps at 9 and 11 (here with RepeatDataset-free frame-level
# sampling, 2 passes per official epoch as on KITTI-STEP: 24 epochs).
_base_ = [
    '../_base_/datasets/vipseg.py', '../_base_/default_runtime.py',
    './_base_/video-knet_r50.py', './_base_/schedule_12e.py'
]
# VIPSeg thing classes (panoVIPSeg_categories.json, isthing=1)
thing_classes = [
    2, 4, 8, 10, 41, 43, 44, 46, 47, 48, 49, 50, 51, 52, 54, 55, 56, 60, 61,
    62, 63, 64, 65, 72, 74, 76, 77, 78, 79, 82, 83, 84, 85, 86, 87, 88, 89,
    90, 91, 92, 95, 96, 97, 99, 100, 101, 102, 106, 107, 108, 109, 114, 115,
    116, 117, 118, 122, 123
]
model = dict(num_classes=124, thing_classes=thing_classes)
val_evaluator = dict(type='VPSMetric', windows=(1, 2, 4, 6, 8))
test_evaluator = val_evaluator

# 24 epochs, LR x0.1 at 18 and 22
max_epochs = 24
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    _base_.param_scheduler[0],  # the linear warm-up
    dict(
        type='MultiStepLR',
        by_epoch=True,
        begin=0,
        end=max_epochs,
        milestones=[18, 22],
        gamma=0.1)
]
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=4))
log_processor = dict(by_epoch=True)
