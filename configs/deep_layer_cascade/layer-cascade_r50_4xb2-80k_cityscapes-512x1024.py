# Deep Layer Cascade on Cityscapes with a dilated ResNet-50-V1c (output
# stride 8) cut into stem..layer2 | layer3 | layer4. The paper uses an
# Inception-ResNet; this reuses mmseg's ResNetV1c and its ImageNet weights.
_base_ = ['./_base_/layer-cascade_r50.py', '../_base_/datasets/cityscapes.py']
model = dict(data_preprocessor=dict(size=_base_.crop_size))  # (512, 1024)
