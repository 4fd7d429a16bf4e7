# Tiny VS-ReID shared by the toy configs (trained from scratch on the CPU):
# two streams (RGB + guide, flow + guide), each a dilated ResNet-18 V1c of
# base width 16 (strides 1, 2, 1, 1, dilations 1, 1, 2, 4: output stride 8)
# and an ASPP head (dilations 6, 12, 18, 24 and a 1x1 branch, 64 channels)
# with a 2-class classifier; the logits are summed. 64x64 object patches.
_base_ = ['../../_base_/default_runtime.py']
channels = 64
backbone = dict(
    type='mmseg.ResNetV1c',
    depth=18,
    stem_channels=16,
    base_channels=16,
    num_stages=4,
    out_indices=(3, ),
    strides=(1, 2, 1, 1),
    dilations=(1, 1, 2, 4),
    contract_dilation=True,
    norm_cfg=dict(type='BN', requires_grad=True),
    norm_eval=False,
    init_cfg=None)
head = dict(
    type='MaskPropagationHead',
    in_channels=128,
    channels=channels,
    dilations=(6, 12, 18, 24, 1),
    num_classes=2,
    dropout_ratio=0.1)

model = dict(
    type='VSReID',
    data_preprocessor=dict(
        type='VideoDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=1),
    backbone=backbone,
    head=head,
    flow_backbone=backbone,  # ablation switch: None = RGB stream only
    flow_head=head,
    flow=dict(type='PrecomputedFlow'),
    flow_scale=10.0,
    guide_perturbation=dict(
        type='GuideMaskPerturbation',
        shift=0.1,
        scale=0.1,
        max_morph=2,
        drop_prob=0.3,
        drop_size=0.4),
    loss=dict(type='mmdet.CrossEntropyLoss', loss_weight=1.0),
    train_cfg=dict(patch_size=(64, 64), context=(1.5, 2.5)),
    test_cfg=dict(
        patch_size=(64, 64), context=2.0, flip=True, bg_thr=0.5, reid=True))

max_iters = 1000
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-3, weight_decay=1e-4),
    clip_grad=dict(max_norm=10.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(
        type='PolyLR', eta_min=1e-5, power=1.0, by_epoch=False, begin=50,
        end=max_iters),
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=500)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(checkpoint=dict(interval=max_iters))
randomness = dict(seed=0)
