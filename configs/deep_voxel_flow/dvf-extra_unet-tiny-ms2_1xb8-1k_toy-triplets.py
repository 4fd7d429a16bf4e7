# Deep Voxel Flow, extrapolation (frame 3 from frames 1 and 2) on the toy
# triplets; data as in the interpolation config.
_base_ = ['./dvf_unet-tiny-ms2_1xb8-1k_toy-triplets.py']

synthesis = 'extra'
model = dict(synthesis=synthesis)
train_pipeline = [
    dict(type='LoadFrameTriplet'),
    dict(type='TripletRandomCrop', crop_size=(64, 64)),
    dict(
        type='TripletRandomFlip',
        prob=0.5,
        direction=['horizontal', 'vertical']),
    # no TripletTemporalFlip: reversed, the target would be the first frame
    dict(type='PackTripletInputs', pack_frames='none'),
]
train_dataloader = dict(
    dataset=dict(synthesis=synthesis, pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        synthesis=synthesis,
        # the release's motion masks belong to the middle frames
        data_prefix=dict(mask_path=None)))
test_dataloader = val_dataloader
# the trivial extrapolation: repeat the last input frame
val_evaluator = dict(type='PSNRSSIMMetric', baseline='last')
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(save_best='psnr'))
