# Tube-Link R50 VIS recipe (official mask2former_tube_r50 +
# ytvis19_r50_tb_link_5k_10k_15k): clips of 5 consecutive frames trained as
# one tube (no link, no contrastive loss), short side 288-512, 15k
# iterations on 16 GPUs x 2 clips; test tubes of 4 frames (the official
# interval) associated by cosine Hungarian matching of their queries.
_base_ = ['./tube-link_r50.py', './schedule_15k.py']
model = dict(
    task='vis',
    tube_size=5,
    with_link=False,
    embed_head=None,
    tracker=None,
    test_cfg=dict(tube_size=4, overlap=0, max_per_video=10))
vis_train_pipeline = [
    dict(type='VideoFrameSample', mode='consecutive', num_frames=5),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadVideoInstances', with_mask=True),
            dict(
                type='RandomChoiceResize',
                scales=[(1e6, s) for s in (288, 320, 352, 392, 416, 448,
                                           480, 512)],
                keep_ratio=True),
            dict(type='RandomFlip', prob=0.5),
        ]),
    dict(type='PackVideoInputs'),
]
