# Tiny Tube-Link (VIS) with masks at stride 2 and 2000 iterations (session
# 10): the 1k VIS config plus a stride-2 mask feature (the pixel decoder's
# mask feature upsampled x2 and fused with the ResNet stem's 16 channels)
# and stride-2 training targets; learning-rate steps at 1600 / 1800.
# AP 0.517 / 0.514 / 0.465 on 32 toy validation videos for seeds 0 / 1 / 2
# (README, VIS section). Same data as the 1k config.
_base_ = ['./tube-link_r18-w16_1xb2-1k_toy-youtube-vis-128x192.py']

model = dict(
    panoptic_head=dict(fine_mask_in_channels=16), mask_target_stride=2)

max_iters = 2000
train_cfg = dict(max_iters=max_iters, val_interval=1000)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=100),
    dict(type='MultiStepLR', by_epoch=False, milestones=[1600, 1800],
         gamma=0.1)
]
