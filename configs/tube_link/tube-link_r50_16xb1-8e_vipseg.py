# Tube-Link R50 on VIPSeg (VPS, 124 classes, 58 things), the official
# vipseg_tb_r50_8e recipe: 4 consecutive frames per sample = a key tube and
# a reference tube of 2 frames, cross-tube link, contrastive loss, crop
# 736x736 (short side 720-1440), 8 epochs on 16 GPUs x 1 clip; test tubes of
# 4 frames (official ref_seq_len_test=4) tracked by the IDOL-style tracker.
_base_ = [
    '../_base_/datasets/vipseg.py', '../_base_/default_runtime.py',
    './_base_/tube-link_r50.py', './_base_/schedule_8e.py'
]
# VIPSeg thing classes (panoVIPSeg_categories.json, isthing=1)
thing_classes = [
    2, 4, 8, 10, 41, 43, 44, 46, 47, 48, 49, 50, 51, 52, 54, 55, 56, 60, 61,
    62, 63, 64, 65, 72, 74, 76, 77, 78, 79, 82, 83, 84, 85, 86, 87, 88, 89,
    90, 91, 92, 95, 96, 97, 99, 100, 101, 102, 106, 107, 108, 109, 114, 115,
    116, 117, 118, 122, 123
]
model = dict(
    task='vps',
    num_classes=124,
    thing_classes=thing_classes,
    tube_size=2,
    with_link=True,
    embed_head=_base_.embed_head,
    tracker=_base_.tracker,
    test_cfg=dict(tube_size=4, overlap=0))

train_pipeline = [
    dict(type='VideoFrameSample', mode='consecutive', num_frames=4)
] + _base_.train_pipeline[1:]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
# whole videos per sample: the model cuts them into tubes
val_dataloader = dict(sampler=dict(type='DefaultSampler', shuffle=False))
test_dataloader = val_dataloader
val_evaluator = dict(type='VPSMetric', windows=(1, 2, 4, 6, 8))
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1))
log_processor = dict(by_epoch=True)
