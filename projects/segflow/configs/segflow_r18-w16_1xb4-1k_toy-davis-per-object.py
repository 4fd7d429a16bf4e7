# The same model and weights as segflow_r18-w16_1xb4-1k_toy-davis.py, tested
# per object (DAVIS 2017 semi-supervised, as VS-ReID's toy results): one copy
# fine-tuned on each object of the first-frame mask, objects merged by the
# most confident copy. Training is the same (one foreground).
_base_ = ['./segflow_r18-w16_1xb4-1k_toy-davis.py']

test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadVOSAnnotation'),
            dict(type='LoadOpticalFlow'),
        ]),
    dict(type='PackVideoInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
