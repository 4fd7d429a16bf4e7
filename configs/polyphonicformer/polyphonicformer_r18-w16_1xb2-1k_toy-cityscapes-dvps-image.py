# Tiny PolyphonicFormer, image stage: single frames of toy videos in
# Cityscapes-DVPS's format (64x96, exact depth), trained from scratch on
# the CPU. The video stage starts from its last checkpoint.
# Data (32 train + 4 val videos of 8 frames; each thing stands on the road
# at the road's depth of its lowest row, so its depth can be seen):
#   python tools/misc/generate_toy_data.py cityscapes_dvps \
#       data/toy_knet/cityscapes_dvps_ground --num-train 32 --num-val 4 \
#       --thing-depth ground
_base_ = [
    '../_base_/datasets/toy_cityscapes_dvps.py',
    './_base_/polyphonicformer_r18-w16.py'
]
data_root = 'data/toy_knet/cityscapes_dvps_ground/'
max_iters = 1000

train_pipeline = [
    dict(type='VideoFrameSample', mode='consecutive', num_frames=1),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        # no random rescaling: metric depth does not survive it (a
        # rescaled frame shows the same depths at other sizes and rows);
        # the crop keeps the full height, so the road's depth stays a
        # function of the image row, as in the validation frames
        transforms=_base_.loaders + [
            dict(
                type='RandomCrop',
                crop_size=(64, 64),
                allow_negative_crop=True),
            dict(type='RandomFlip', prob=0.5),
        ]),
    dict(type='PackVideoInputs'),
]
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='mmdet.TrackImgSampler'),
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
# whole videos per sample: the model runs them frame by frame, online
val_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
# DVPQ over k = 1..4 and lambda = 0.5, 0.25, 0.1, and the depth errors
val_evaluator = [
    dict(type='DVPSMetric', windows=(1, 2, 3, 4)),
    dict(type='DepthMetric')
]
test_evaluator = val_evaluator

train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=100),
    dict(type='MultiStepLR', by_epoch=False, milestones=[800, 900],
         gamma=0.1)
]
