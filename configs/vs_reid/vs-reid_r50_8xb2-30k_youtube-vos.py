# VS-ReID on YouTube-VOS with ResNet-50 V1c streams; everything else as
# vs-reid_r101_8xb2-30k_youtube-vos.py (the DAVIS 2017 recipe on
# YouTube-VOS; valid is scored by the challenge server).
_base_ = ['./vs-reid_r101_8xb2-30k_youtube-vos.py']
backbone = dict(
    depth=50,
    init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://resnet50_v1c'))
model = dict(backbone=backbone, flow_backbone=backbone)
val_evaluator = dict(
    outfile_prefix='work_dirs/vs-reid_r50_8xb2-30k_youtube-vos/submission')
test_evaluator = val_evaluator
