# Tiny VS-ReID trained from scratch on the CPU on toy videos in DAVIS 2017's
# format (exact .flo flow). Data (64x96 frames, 32 train + 6 val videos of
# 8 frames):
#   python tools/misc/generate_toy_data.py davis data/toy_davis \
#       --num-train 32 --num-val 6
_base_ = ['../_base_/datasets/toy_davis.py', './_base_/vs-reid_r18-w16.py']
data_root = 'data/toy_davis/'

train_dataloader = dict(
    batch_size=2,
    num_workers=1,
    dataset=dict(data_root=data_root))
# whole videos per sample: propagation runs over each video
val_dataloader = dict(
    num_workers=1,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
