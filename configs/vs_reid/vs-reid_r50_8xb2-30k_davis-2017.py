# VS-ReID on DAVIS 2017 with ResNet-50 V1c streams (the release used
# ResNet-101); everything else as vs-reid_r101_8xb2-30k_davis-2017.py.
_base_ = ['./vs-reid_r101_8xb2-30k_davis-2017.py']
backbone = dict(
    depth=50,
    init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://resnet50_v1c'))
model = dict(backbone=backbone, flow_backbone=backbone)
