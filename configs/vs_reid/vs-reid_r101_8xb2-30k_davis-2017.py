# VS-ReID on DAVIS 2017 (480p), as the release: two streams (RGB + guide,
# flow + guide), each a dilated ResNet-101 V1c (strides 1, 2, 1, 1,
# dilations 1, 1, 2, 4: output stride 8) with an ASPP head (512 channels,
# dilations 6, 12, 18, 24 and a 1x1 branch) and a 2-class classifier;
# 449 x 449 object patches with flip averaging at test time. Flow: the
# release's pre-computed FlowNet2 forward flow, Flow/480p/<seq>/<t>.flo.
#
# The release has no training code; this recipe is ours: clips of 3
# consecutive frames (the flow pairs them), random rescaling 0.8-1.2 of
# 854x480 and a 480x480 crop, guides corrupted by GuideMaskPerturbation,
# SGD with a poly schedule, 8 GPUs x 2 clips, 30k iterations, and the
# re-identification embedding (ReIDEmbedHead, ResNet-18 V1c on 128x128
# crops, triplet loss on the DAVIS instance ids) trained jointly.
#
# Re-identification at test time needs candidate boxes, which DAVIS does
# not ship (the release read pre-computed detection pickles): write them as
# data/DAVIS/Proposals/480p/val.json ({seq: {frame: [[x1, y1, x2, y2,
# score], ...]}}) or give VOSReIDTracker a detector, then test with
#   --cfg-options model.test_cfg.reid=True
_base_ = ['../_base_/datasets/davis_2017.py', '../_base_/default_runtime.py']
data_root = 'data/DAVIS/'
data_prefix = dict(
    img_path='JPEGImages/480p',
    seg_map_path='Annotations/480p',
    flow_path='Flow/480p')
loaders = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadVOSAnnotation'),
    dict(type='LoadOpticalFlow'),
]
backbone = dict(
    type='mmseg.ResNetV1c',
    depth=101,
    num_stages=4,
    out_indices=(3, ),
    strides=(1, 2, 1, 1),
    dilations=(1, 1, 2, 4),
    contract_dilation=True,
    norm_cfg=dict(type='SyncBN', requires_grad=True),
    norm_eval=False,
    # ImageNet weights; the first conv (4 / 3 input channels here) is
    # skipped when its shape differs
    init_cfg=dict(
        type='Pretrained', checkpoint='open-mmlab://resnet101_v1c'))
head = dict(
    type='MaskPropagationHead',
    in_channels=2048,
    channels=512,
    dilations=(6, 12, 18, 24, 1),
    num_classes=2,
    dropout_ratio=0.1,
    norm_cfg=dict(type='SyncBN', requires_grad=True))

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
    flow_backbone=backbone,
    flow_head=head,
    flow=dict(type='PrecomputedFlow'),
    flow_scale=10.0,
    guide_perturbation=dict(
        type='GuideMaskPerturbation',
        shift=0.1,
        scale=0.1,
        max_morph=5,
        drop_prob=0.3,
        drop_size=0.4),
    loss=dict(type='mmdet.CrossEntropyLoss', loss_weight=1.0),
    reid=dict(
        type='VOSReIDTracker',
        proposal_file=data_root + 'Proposals/480p/val.json',
        embedder=dict(
            type='ReIDEmbedHead',
            backbone=dict(
                type='mmseg.ResNetV1c',
                depth=18,
                in_channels=3,
                out_indices=(3, ),
                norm_cfg=dict(type='SyncBN', requires_grad=True),
                init_cfg=dict(
                    type='Pretrained',
                    checkpoint='open-mmlab://resnet18_v1c')),
            in_channels=512,
            fc_channels=1024,
            out_channels=128,
            loss_triplet=dict(type='mmdet.TripletLoss', margin=0.3)),
        reid_th=0.5,
        bbox_occ_th=0.3,
        det_score_thr=0.5,
        crop_size=(128, 128),
        min_size=8),
    train_cfg=dict(
        patch_size=(449, 449), context=(1.5, 2.5), losses=('mask', 'reid')),
    test_cfg=dict(
        patch_size=(449, 449), context=2.0, flip=True, bg_thr=0.5,
        reid=False))

train_pipeline = [
    dict(type='VideoFrameSample', num_frames=3, mode='consecutive'),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=loaders + [
            dict(
                type='RandomResize',
                scale=(854, 480),
                ratio_range=(0.8, 1.2),
                keep_ratio=True),
            dict(type='RandomCrop', crop_size=(480, 480),
                 allow_negative_crop=True),
            dict(type='RandomFlip', prob=0.5),
        ]),
    dict(type='PackVideoInputs'),
]
test_pipeline = [
    dict(type='TransformBroadcaster', transforms=loaders),
    dict(type='PackVideoInputs'),
]
train_dataloader = dict(
    batch_size=2,
    dataset=dict(data_prefix=data_prefix, pipeline=train_pipeline))
# whole videos per sample: propagation runs over each video
val_dataloader = dict(
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(data_prefix=data_prefix, pipeline=test_pipeline))
test_dataloader = val_dataloader

max_iters = 30000
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=1e-3, momentum=0.9, weight_decay=5e-4),
    clip_grad=dict(max_norm=10.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0,
         end=500),
    dict(type='PolyLR', eta_min=1e-6, power=0.9, by_epoch=False, begin=500,
         end=max_iters),
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=5000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(checkpoint=dict(interval=5000, by_epoch=False))
auto_scale_lr = dict(enable=False, base_batch_size=16)
