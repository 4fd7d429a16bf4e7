# Tiny PolyphonicFormer, video stage, on toy videos in Cityscapes-DVPS's
# format (64x96 frames, exact depth), on the CPU: a key frame and one
# reference frame within +-2 frames (one of the official
# ref_seq_index=[-2, -1, 1, 2] per sample), the quasi-dense kernel
# embedding and tracker of Video K-Net, initialised from the image stage:
#   python tools/train.py configs/polyphonicformer/\
#       polyphonicformer_r18-w16_1xb2-1k_toy-cityscapes-dvps-image.py \
#       --work-dir work_dirs/poly_toy_image
# then this config (load_from below).
_base_ = [
    '../_base_/datasets/toy_cityscapes_dvps.py',
    './_base_/polyphonicformer_r18-w16.py'
]
data_root = 'data/toy_knet/cityscapes_dvps_ground/'
channels = _base_.channels
max_iters = 500
load_from = 'work_dirs/poly_toy_image/iter_1000.pth'

model = dict(
    iter_head=dict(
        with_link=True,  # ablation switch: kernel linking
        with_fusion=True,  # ablation switch: kernel fusion
        # each positive query's depth loss on its own segment, averaged
        # over the queries (official: all pooled, where the things' few
        # pixels weigh little beside the stuff; see the README)
        depth_loss_per_query=True),
    embed_head=dict(
        type='mmdet.QuasiDenseEmbedHead',
        num_fcs=2,
        roi_feat_size=1,
        in_channels=channels,
        fc_out_channels=channels,
        embed_channels=channels,
        loss_track=dict(
            type='mmdet.MultiPosCrossEntropyLoss', loss_weight=0.25),
        loss_track_aux=dict(
            type='mmdet.L2Loss',
            neg_pos_ub=3,
            pos_margin=0,
            neg_margin=0.1,
            hard_mining=True,
            loss_weight=1.0)),
    tracker=dict(type='KernelQuasiDenseTracker'))

train_pipeline = [
    dict(type='VideoFrameSample', mode='random', num_frames=2,
         frame_range=(-2, 2)),
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
val_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
# DVPQ over k = 1..4 and lambda = 0.5, 0.25, 0.1 (official rules: a class
# without a true positive makes the mean NaN; 'eps/' the same with
# epsilon 1e-10, where such a class counts as 0), and the depth errors
val_evaluator = [
    dict(type='DVPSMetric', windows=(1, 2, 3, 4)),
    dict(type='DVPSMetric', windows=(1, 2, 3, 4), epsilon=1e-10,
         prefix='eps'),
    dict(type='DepthMetric')
]
test_evaluator = val_evaluator

train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=100),
    dict(type='MultiStepLR', by_epoch=False, milestones=[400, 450],
         gamma=0.1)
]
