# YouTube-VIS 2021 video instance segmentation, the official release:
#   data/youtube_vis_2021/{train,valid}/JPEGImages/<video>/*.jpg
#   data/youtube_vis_2021/{train,valid}/instances.json
# The official valid/instances.json has no annotations (evaluated on the
# server), so the val loader runs in test_mode; local AP needs an annotated
# split. Pipelines and loaders as for YouTube-VIS 2019.
_base_ = './youtube_vis_2019.py'
dataset_version = '2021'
data_root = 'data/youtube_vis_2021/'

train_dataloader = dict(
    dataset=dict(
        dataset_version=dataset_version,
        data_root=data_root,
        ann_file='train/instances.json'))
val_dataloader = dict(
    dataset=dict(
        dataset_version=dataset_version,
        data_root=data_root,
        ann_file='valid/instances.json'))
test_dataloader = val_dataloader
