# Stage 2 of tiny TransVOD on toy ImageNet VID with strong degradations
# (see the stage-1 config for the data), started as a pass-through of the
# single-frame detector: the temporal decoder and head are copies of the
# detector's last decoder layer and head branches (init_from_detector), and
# the TDTE, TQE and TDTD sit behind zero-initialised gates (pass_through),
# so before training the detections are exactly stage 1's. The copied head
# stays fixed (lr 0), the copied decoder layer trains at 0.1x lr, the new
# TDTE / TQE layers at the full lr and the gates at 10x (without weight
# decay), so that they open within the short schedule.
#   python tools/train.py \
#       configs/transvod/transvod-single_r18-w16_1xb4-3k_toy-imagenet-vid-strong.py
#   python tools/train.py \
#       configs/transvod/transvod_r18-w16_1xb1-800_toy-imagenet-vid-strong.py
_base_ = ['./transvod_r18-w16_1xb1-1k_toy-imagenet-vid.py']
load_from = 'work_dirs/transvod-single_r18-w16_1xb4-3k_toy-imagenet-vid-' \
    'strong/iter_3000.pth'
data_root = 'data/toy_transvod/imagenet_vid_strong/'
# online inference fuses each frame's detections with those of its 4
# previous frames (scores x 0.45 per frame of age, class-wise NMS at IoU
# 0.7; chosen on a separate draw of 32 val videos, see the README)
model = dict(
    init_from_detector=True,
    pass_through=True,
    test_cfg=dict(
        ref_fusion=dict(num_frames=4, decay=0.45, iou_threshold=0.7)))
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader

max_iters = 800
optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys={
            'gates': dict(lr_mult=10.0, decay_mult=0.0),
            'temporal_decoder': dict(lr_mult=0.1),
            'temporal_head': dict(lr_mult=0.0)
        }))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0,
         end=50),
    dict(type='MultiStepLR', by_epoch=False, milestones=[700], gamma=0.1),
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=400))
