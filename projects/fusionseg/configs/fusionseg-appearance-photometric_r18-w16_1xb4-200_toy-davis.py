# The appearance stream alone, trained with photometric distortion
# (brightness, contrast, saturation, hue; same draw for the clip's frames):
# the appearance stream of the staged recipe
# (fusionseg-staged_r18-w16_1xb4-200_toy-davis.py). Without it the stream
# overfits the training videos' colours (toy colour camouflage: J&F 0.77 on
# the training videos, 0.68 on new ones), so a fusion learned on the
# training videos trusts it too much.
_base_ = ['./fusionseg-appearance_r18-w16_1xb4-200_toy-davis.py']
loaders = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadVOSAnnotation'),
    dict(type='BinarizeVOSAnnotation'),
    dict(type='LoadOpticalFlow'),
]
train_pipeline = [
    dict(type='VideoFrameSample', num_frames=2, mode='consecutive'),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=loaders + [
            dict(type='RandomCrop', crop_size=(64, 64),
                 allow_negative_crop=True),
            dict(type='RandomFlip', prob=0.5),
            dict(type='mmdet.PhotoMetricDistortion'),
        ]),
    dict(type='PackVideoInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
