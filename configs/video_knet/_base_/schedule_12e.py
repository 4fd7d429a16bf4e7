# Video K-Net's official 1x schedule: 12 epochs, 1000 linear warm-up
# iterations, LR x0.1 at epochs 8 and 11, validation every 4 epochs.
max_epochs = 12
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=4)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
        end=1000),
    dict(
        type='MultiStepLR',
        by_epoch=True,
        begin=0,
        end=max_epochs,
        milestones=[8, 11],
        gamma=0.1)
]
