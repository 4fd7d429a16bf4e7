# The official Tube-Link VPS schedule (vipseg_tb_r50_8e): 8 epochs, linear
# warm-up over 500 iterations from 0.001, LR x0.1 after epoch 7.
max_epochs = 8
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=8)
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
        end=500),
    dict(
        type='MultiStepLR',
        by_epoch=True,
        begin=0,
        end=max_epochs,
        milestones=[7],
        gamma=0.1)
]
