# Video K-Net R50 on VSPW (VSS, 124 classes): a semantic K-Net (one kernel
# per class, no thing proposals, no tracking) with kernel fusion of the
# previous frame's kernels in the last stage. mmseg's K-Net schedule:
# 80k iterations, 8 GPUs x 2 clips (key + one reference within +-3 frames),
# crops 480x480, AdamW 1e-4 (backbone x0.25), LR x0.1 at 60k and 72k.
_base_ = [
    '../_base_/datasets/vspw.py', '../_base_/default_runtime.py',
    './_base_/video-knet_r50.py'
]
model = dict(
    task='vss',
    num_classes=124,
    thing_classes=[],
    semantic_fpn=dict(out_level=1),
    iter_head=dict(with_link=False, with_fusion=True),
    embed_head=None,
    tracker=None,
    mask_assign_stride=4)
val_evaluator = dict(type='VSSMetric', windows=(8, 16))
test_evaluator = val_evaluator

max_iters = 80000
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=8000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
        end=1000),
    dict(
        type='MultiStepLR',
        by_epoch=False,
        begin=0,
        end=max_iters,
        milestones=[60000, 72000],
        gamma=0.1)
]
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=8000))
log_processor = dict(by_epoch=False)
