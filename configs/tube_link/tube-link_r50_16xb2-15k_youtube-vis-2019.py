# Tube-Link R50 on YouTube-VIS 2019 (40 classes), the official
# ytvis19_r50_tb_link_5k_10k_15k recipe (see _base_/tube-link_r50_vis.py).
_base_ = [
    '../_base_/datasets/youtube_vis_2019.py', '../_base_/default_runtime.py',
    './_base_/tube-link_r50_vis.py'
]
num_classes = 40
model = dict(num_classes=num_classes, thing_classes=list(range(num_classes)))
train_dataloader = dict(
    batch_size=2, dataset=dict(pipeline=_base_.vis_train_pipeline))
# whole videos per sample: the model cuts them into tubes
val_dataloader = dict(sampler=dict(type='DefaultSampler', shuffle=False))
test_dataloader = val_dataloader
default_hooks = dict(
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=5000,
        max_keep_ckpts=3))
log_processor = dict(by_epoch=False)
