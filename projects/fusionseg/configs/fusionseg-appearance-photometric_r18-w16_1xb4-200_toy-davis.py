# The appearance stream alone, trained with photometric distortion
# (brightness, contrast, saturation, hue; same draw for the clip's frames):
# the appearance stream of the staged recipe
# (fusionseg-staged_r18-w16_1xb4-200_toy-davis.py). Without it the stream
# overfits the training videos' colours (toy colour camouflage: J&F 0.77 on
# the training videos, 0.68 on new ones), so a fusion learned on the
# training videos trusts it too much.
_base_ = ['./fusionseg-appearance_r18-w16_1xb4-200_toy-davis.py']
# the base training pipeline with the distortion after the flip
train_pipeline = [
    _base_.train_pipeline[0],
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=_base_.train_pipeline[1].transforms +
        [dict(type='mmdet.PhotoMetricDistortion')]),
    _base_.train_pipeline[2],
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
