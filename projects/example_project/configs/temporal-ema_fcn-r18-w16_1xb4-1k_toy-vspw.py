# The frame baseline with temporally averaged class probabilities
# (TemporalEMASegmentor, registered by this project) on toy VSPW videos.
# Run from the repository root:
#   python tools/train.py projects/example_project/configs/\
# temporal-ema_fcn-r18-w16_1xb4-1k_toy-vspw.py
_base_ = [
    '../../../configs/frame_baseline/'
    'frame-baseline_fcn-r18-w16_1xb4-1k_toy-vspw.py'
]
custom_imports = dict(
    imports=['projects.example_project.temporal_ema'],
    allow_failed_imports=False)

model = dict(type='TemporalEMASegmentor', momentum=0.5)
