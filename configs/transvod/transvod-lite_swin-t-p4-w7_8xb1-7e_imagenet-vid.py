# TransVOD Lite with mmdet's Swin-T (the release's swint_train_multi.sh):
# the last Swin stage (stride 32, 768 channels) as the one feature level,
# 128 channels in the transformers, 100 queries (80 / 50 / 30 kept per
# frame), clips of 12 frames (the paper's; the script uses 15), 7 epochs,
# lr drops after 5 and 6. The release starts from a single-frame Swin-T
# Deformable DETR trained first; set load_from to such a checkpoint
# (``detector.`` keys), else the detector starts from ImageNet Swin-T only.
_base_ = ['./transvod-lite_r50-dc5_8xb1-7e_imagenet-vid.py']
load_from = None
dims = 128
swin = 'https://github.com/SwinTransformer/storage/releases/download/' \
    'v1.0.0/swin_tiny_patch4_window7_224.pth'
attn = dict(embed_dims=dims)
ffn = dict(embed_dims=dims)
model = dict(
    detector=dict(
        num_queries=100,
        backbone=dict(
            _delete_=True,
            type='mmdet.SwinTransformer',
            embed_dims=96,
            depths=[2, 2, 6, 2],
            num_heads=[3, 6, 12, 24],
            window_size=7,
            mlp_ratio=4,
            qkv_bias=True,
            drop_path_rate=0.2,
            patch_norm=True,
            out_indices=(3, ),
            convert_weights=True,
            init_cfg=dict(type='Pretrained', checkpoint=swin)),
        neck=dict(in_channels=[768], out_channels=dims),
        encoder=dict(layer_cfg=dict(self_attn_cfg=attn, ffn_cfg=ffn)),
        decoder=dict(
            layer_cfg=dict(
                self_attn_cfg=attn, cross_attn_cfg=attn, ffn_cfg=ffn)),
        positional_encoding=dict(num_feats=dims // 2),
        bbox_head=dict(embed_dims=dims)),
    temporal_decoder=dict(
        layer_cfg=dict(self_attn_cfg=attn, cross_attn_cfg=attn, ffn_cfg=ffn)))
