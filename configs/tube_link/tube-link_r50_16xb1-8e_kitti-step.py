# Tube-Link R50 on KITTI-STEP (VPS, 19 Cityscapes classes, things car and
# person). The official repository has no KITTI-STEP config: the VIPSeg
# recipe (4-frame samples = 2 tubes of 2, link, contrastive loss, 8 epochs)
# with KITTI-STEP's 384x1248 crop (as Video K-Net's KITTI-STEP config).
_base_ = [
    '../_base_/datasets/kitti_step.py', '../_base_/default_runtime.py',
    './_base_/tube-link_r50.py', './_base_/schedule_8e.py'
]
num_classes = 19
model = dict(
    task='vps',
    num_classes=num_classes,
    thing_classes=[11, 13],
    tube_size=2,
    with_link=True,
    embed_head=_base_.embed_head,
    tracker=_base_.tracker,
    test_cfg=dict(tube_size=4, overlap=0))

train_pipeline = [
    dict(type='VideoFrameSample', mode='consecutive', num_frames=4)
] + _base_.train_pipeline[1:]
train_dataloader = dict(batch_size=1, dataset=dict(pipeline=train_pipeline))
# whole videos per sample: the model cuts them into tubes
val_dataloader = dict(sampler=dict(type='DefaultSampler', shuffle=False))
test_dataloader = val_dataloader
val_evaluator = dict(type='VPSMetric', windows=(1, 2, 3, 4))
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1))
log_processor = dict(by_epoch=True)
