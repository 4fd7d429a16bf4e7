# The paper's staged recipe (the project's default): each stream is trained
# alone first (fusionseg-appearance-photometric_... and fusionseg-motion_...,
# 200 iterations each), then only the three-branch fusion trains, for 200
# iterations, on top of the frozen streams. Train the two stream configs
# first; their checkpoints are read when training starts.
_base_ = ['./fusionseg_r18-w16_1xb4-200_toy-davis.py']
model = dict(
    frozen_streams=True,
    stream_checkpoints=dict(
        appearance='work_dirs/'
        'fusionseg-appearance-photometric_r18-w16_1xb4-200_toy-davis/'
        'iter_200.pth',
        motion='work_dirs/fusionseg-motion_r18-w16_1xb4-200_toy-davis/'
        'iter_200.pth'))
# the fusion has 12 parameters, started at the identity
optim_wrapper = dict(optimizer=dict(lr=5e-2))
