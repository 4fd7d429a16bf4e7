# Deep Voxel Flow (ICCV 2017), the paper's multi-scale model, interpolation
# on UCF-101 triplets at 256x256 (data preparation: README.md).
#
# Paper / release hyper-parameters: Adam, batch 32, L1 + TV(flow) 0.01 +
# TV(mask) 0.005, BN, 5x5/5x5/3x3 encoder + 3x3 bottleneck + 3x3/5x5/5x5
# decoder with skips, flow range 0.5 x half the frame (64 px at 256).
# The paper gives lr 1e-4 (the TF release uses 3e-4), and the L2 weight
# regulariser 1e-4 of the TF release is Adam's weight decay here.
_base_ = ['../_base_/default_runtime.py']

synthesis = 'inter'
data_root = 'data/ucf101_dvf/'

model = dict(
    type='DeepVoxelFlow',
    synthesis=synthesis,
    max_flow=64.0,
    padding_mode='border',
    data_preprocessor=dict(
        type='VideoDataPreprocessor',
        mean=[127.5, 127.5, 127.5],
        std=[127.5, 127.5, 127.5],
        bgr_to_rgb=True,
        pad_size_divisor=1),
    backbone=dict(
        type='VoxelFlowNet',
        channels=(64, 128, 256),
        enc_kernels=(5, 5, 3),
        dec_kernels=(3, 5, 5),
        bottleneck_kernel=3,
        num_scales=3,
        norm_cfg=dict(type='BN')),
    loss_rec=dict(type='mmdet.L1Loss', loss_weight=1.0),
    loss_tv_flow=dict(type='TotalVariationLoss', loss_weight=0.01),
    loss_tv_mask=dict(type='TotalVariationLoss', loss_weight=0.005),
    pyramid_loss_weight=0.0)

train_pipeline = [
    dict(type='LoadFrameTriplet'),
    dict(type='TripletResize', scale=(256, 256)),
    dict(type='TripletRandomFlip', prob=0.5, direction='horizontal'),
    dict(type='TripletTemporalFlip', prob=0.5),
    dict(type='PackTripletInputs', pack_frames='none'),
]
test_pipeline = [
    dict(type='LoadFrameTriplet'),
    dict(type='PackTripletInputs', pack_frames='all'),
]

train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='FrameTripletDataset',
        data_root=data_root,
        # extracted UCF-101 frames, videos/<video>/<frame:06d>.png; a list
        # of "<video> <first frame>" lines (the PyTorch release's
        # train_motion format) selects triplets with motion
        list_format='folder',
        ann_file='train_motion.txt',
        data_prefix=dict(img_path='videos'),
        synthesis=synthesis,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='FrameTripletDataset',
        data_root=data_root,
        # the release's test lists and folders, and its motion masks
        list_format='dvf',
        ann_file='data_list/ucf101_test_files_frame1.txt',
        data_prefix=dict(img_path='ucf101_triplets', mask_path='motion_masks'),
        synthesis=synthesis,
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='PSNRSSIMMetric', baseline=True)
test_evaluator = val_evaluator

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-4, weight_decay=1e-4))
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=400, val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=True)]

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(
        type='CheckpointHook',
        interval=10,
        max_keep_ckpts=3,
        save_best='psnr_motion',
        rule='greater'))
log_processor = dict(by_epoch=True)
auto_scale_lr = dict(enable=False, base_batch_size=32)
