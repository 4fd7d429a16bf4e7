# Tiny Tube-Link for VSS (no thing classes, no link, contrastive loss or
# tracking) trained from scratch on the CPU on toy videos in VSPW's format:
# 2 consecutive frames per sample trained as one tube, test tubes of 4
# frames (the official recipe trains on 4 and tests on 6).
# Data (64x96 frames, 32 train + 4 val videos of 8 frames):
#   python tools/misc/generate_toy_data.py vspw data/toy_knet/vspw \
#       --num-train 32 --num-val 4
_base_ = ['../_base_/datasets/toy_vspw.py', './_base_/tube-link_r18-w16.py']
data_root = 'data/toy_knet/vspw/'

model = dict(
    task='vss',
    num_classes=6,
    thing_classes=[],
    data_preprocessor=dict(seg_pad_value=255),
    tube_size=2,
    with_link=False,
    embed_head=None,
    tracker=None,
    test_cfg=dict(tube_size=4, overlap=0))

train_pipeline = [
    dict(type='VideoFrameSample', mode='consecutive', num_frames=2)
] + _base_.train_pipeline[1:]
train_dataloader = dict(
    batch_size=2, dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
val_evaluator = dict(type='VSSMetric', windows=(4, 6))
test_evaluator = val_evaluator
