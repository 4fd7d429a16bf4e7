# Deep Layer Cascade on PASCAL VOC 2012 + SBD (aug) with a dilated
# ResNet-50-V1c (output stride 8) cut into stem..layer2 | layer3 | layer4,
# trained for 40k iterations.
_base_ = [
    './_base_/layer-cascade_r50.py', '../_base_/datasets/pascal_voc12_aug.py'
]
num_classes = 21
model = dict(
    data_preprocessor=dict(size=_base_.crop_size),  # (512, 512)
    # the three stage heads of the base, with 21 classes
    stage_heads=[
        dict(head, num_classes=num_classes)
        for head in _base_.model.stage_heads
    ])

param_scheduler = [dict(_base_.param_scheduler[0], end=40000)]
train_cfg = dict(max_iters=40000, val_interval=4000)
default_hooks = dict(checkpoint=dict(interval=4000))
