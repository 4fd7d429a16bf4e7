# OVIS (occluded video instance segmentation), the YouTube-VIS schema:
#   data/ovis/{train,valid}/<video>/*.jpg
#   data/ovis/annotations_{train,valid}.json (25 classes, read from the JSON)
# The official annotations_valid.json has no annotations (evaluated on the
# server), so the val loader runs in test_mode; local AP needs an annotated
# split. Pipelines and loaders as for YouTube-VIS 2019.
_base_ = './youtube_vis_2019.py'
dataset_version = None  # classes from the JSON's categories
data_root = 'data/ovis/'

train_dataloader = dict(
    dataset=dict(
        dataset_version=dataset_version,
        data_root=data_root,
        ann_file='annotations_train.json',
        data_prefix=dict(img_path='train')))
val_dataloader = dict(
    dataset=dict(
        dataset_version=dataset_version,
        data_root=data_root,
        ann_file='annotations_valid.json',
        data_prefix=dict(img_path='valid')))
test_dataloader = val_dataloader
