# Deep Voxel Flow on toy triplets: trains on the CPU in minutes.
# The toy videos (mmvidseg.testing) are written in the DVF release's layout
# (triplet lists, per-triplet folders, motion masks from the exact flow) by
#   python tools/misc/generate_toy_data.py triplets data/toy_triplets \
#       --num-train 32 --num-val 4 --frames 10
# 256 training and 32 validation triplets of 64x96 pixels.
_base_ = ['./dvf_unet-ms3_1xb32-400e_ucf101-triplets.py']

data_root = 'data/toy_triplets/'

model = dict(
    # toy motion is at most ~2.5 px per frame (half of I0 -> I1)
    max_flow=8.0,
    backbone=dict(channels=(16, 32, 64), num_scales=2),
    pyramid_loss_weight=0.5)

train_pipeline = [
    dict(type='LoadFrameTriplet'),
    dict(type='TripletRandomCrop', crop_size=(64, 64)),
    dict(
        type='TripletRandomFlip',
        prob=0.5,
        direction=['horizontal', 'vertical']),
    dict(type='TripletTemporalFlip', prob=0.5),
    dict(type='PackTripletInputs', pack_frames='none'),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=1,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        data_root=data_root,
        list_format='dvf',
        ann_file='data_list/ucf101_train_files_frame1.txt',
        data_prefix=dict(img_path='ucf101_triplets'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4,
    num_workers=1,
    dataset=dict(
        data_root=data_root,
        ann_file='data_list/ucf101_val_files_frame1.txt'))
test_dataloader = val_dataloader

max_iters = 1000
optim_wrapper = dict(optimizer=dict(lr=2e-3, weight_decay=0.0))
train_cfg = dict(
    _delete_=True,
    type='IterBasedTrainLoop',
    max_iters=max_iters,
    val_interval=250)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(
        type='CosineAnnealingLR',
        T_max=max_iters - 50,
        eta_min=1e-5,
        by_epoch=False,
        begin=50,
        end=max_iters),
]
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(by_epoch=False, interval=250, max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
