# The official Tube-Link VIS schedule (ytvis19_r50_tb_link_5k_10k_15k):
# 15k iterations, linear warm-up over 500 from 0.001, LR x0.1 at 5k and 10k.
max_iters = 15000
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=5000)
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
        end=500),
    dict(
        type='MultiStepLR',
        by_epoch=False,
        begin=0,
        end=max_iters,
        milestones=[5000, 10000],
        gamma=0.1)
]
