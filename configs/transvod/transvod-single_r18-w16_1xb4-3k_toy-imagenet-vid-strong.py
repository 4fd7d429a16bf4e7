# Stage 1 of tiny TransVOD on toy ImageNet VID with *strong* degradations:
# 30 % of the frames of each video (5 of 16) heavily motion-blurred (15-21
# px), defocused (radius 4-6) or with every object 75-95 % occluded, which
# no single frame can undo (64x96 frames, 32 train + 32 val videos):
#   python tools/misc/generate_toy_data.py imagenet_vid \
#       data/toy_transvod/imagenet_vid_strong --num-train 32 --num-val 32 \
#       --frames 16 --degrade 0.3 --degrade-strength strong
# The same model as the mild-data 2k config, trained 3000 iterations (lr
# drop at 2400). Stage 2: transvod_r18-w16_1xb1-800_toy-imagenet-vid-strong.
_base_ = ['./transvod-single_r18-w16_1xb4-2k_toy-imagenet-vid.py']
data_root = 'data/toy_transvod/imagenet_vid_strong/'
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader

max_iters = 3000
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0,
         end=100),
    dict(type='MultiStepLR', by_epoch=False, milestones=[2400],
         gamma=0.1),
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
