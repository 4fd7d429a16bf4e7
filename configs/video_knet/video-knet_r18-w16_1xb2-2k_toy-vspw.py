# Tiny Video K-Net for VSS (semantic K-Net: one kernel per class, no thing
# proposals, no tracking; kernel fusion with the previous frame's kernels)
# trained from scratch on the CPU on toy videos in VSPW's format.
# Data (64x96 frames, 32 train + 4 val videos of 8 frames):
#   python tools/misc/generate_toy_data.py vspw data/toy_knet/vspw \
#       --num-train 32 --num-val 4
_base_ = ['../_base_/datasets/toy_vspw.py', './_base_/video-knet_r18-w16.py']
data_root = 'data/toy_knet/vspw/'
num_classes = 6

model = dict(
    task='vss',
    num_classes=num_classes,
    thing_classes=[],
    data_preprocessor=dict(seg_pad_value=255),
    iter_head=dict(with_fusion=True))  # ablation switch: kernel fusion

train_dataloader = dict(batch_size=2, dataset=dict(data_root=data_root))
# whole videos per sample: the model runs them frame by frame, online
val_dataloader = dict(
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
# the toy videos have 8 frames: VC over windows of 4 and 6 frames
val_evaluator = dict(type='VSSMetric', windows=(4, 6))
test_evaluator = val_evaluator

max_iters = 2000
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=100),
    dict(type='MultiStepLR', by_epoch=False, milestones=[1600, 1800],
         gamma=0.1)
]
train_cfg = dict(max_iters=max_iters)
