# Tiny TransVOD++ on degraded toy ImageNet VID (see the single-frame config
# for the data): query-and-RoI fusion (each frame's 20 object queries fused
# with 4x4 RoI features of their boxes by a dynamic convolution) and three
# stages of hard query mining (12 / 6 / 3 of the 20 queries x 3 classes per
# reference frame; official 150 / 75 / 40 of 100 x 30), each a temporal
# query encoder layer and a one-layer deformable decoder; no temporal
# encoder. The single-frame Deformable DETR starts from stage 1's checkpoint
# and stays fixed:
#   python tools/train.py \
#       configs/transvod/transvod-single_r18-w16_1xb4-2k_toy-imagenet-vid.py
#   python tools/train.py \
#       configs/transvod/transvod-plusplus_r18-w16_1xb1-1k_toy-imagenet-vid.py
# Inference is online, with the last 4 frames as references (as TransVOD).
_base_ = ['./transvod_r18-w16_1xb1-1k_toy-imagenet-vid.py']
dims = _base_.dims
model = dict(
    type='TransVODPlusPlus',
    temporal_encoder=None,
    query_fusion=dict(
        num_heads=4, roi_size=4, dynamic_channels=16,
        feedforward_channels=4 * dims, dropout=0.0),
    query_topk=(12, 6, 3),
    temporal_head=dict(num_pred_layer=3))
