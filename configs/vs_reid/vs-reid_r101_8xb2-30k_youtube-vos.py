# VS-ReID on YouTube-VOS (train / valid with meta.json): the DAVIS 2017
# recipe of vs-reid_r101_8xb2-30k_davis-2017.py (same model, clips of 3
# consecutive frames, 0.8-1.2 rescale of 854x480 and a 480x480 crop, SGD
# poly, 8 GPUs x 2 clips, 30k iterations) on YouTube-VOS train. The
# release did not train or test on YouTube-VOS; this config is ours.
#
# Flow is not part of YouTube-VOS: pre-compute the forward flow between
# consecutive *released* frames (every fifth source frame) as
# {train,valid}/Flow/<video>/<frame>.flo (Middlebury), e.g. 00000.flo for
# 00000 -> 00005 (see YouTubeVOSDataset). Frames are tested at their size
# (720p for most videos); objects that enter after the first frame start
# from their reference mask in the frame that introduces them.
#
# YouTube-VOS valid has only reference masks: it is scored by the challenge
# server, so val / test write the submission (YouTubeVOSSubmission:
# <outfile_prefix>/Annotations/<video>/<frame>.png; zip Annotations) and
# report no score; validation runs once, after the last iteration.
# Re-identification needs candidate boxes as in the DAVIS config
# (Proposals/valid.json), so it is off at test time (test_cfg.reid=False).
_base_ = ['./vs-reid_r101_8xb2-30k_davis-2017.py']
dataset_type = 'YouTubeVOSDataset'
data_root = 'data/youtube_vos/'
model = dict(reid=dict(proposal_file=data_root + 'Proposals/valid.json'))
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='train/meta.json',
        data_prefix=dict(
            img_path='train/JPEGImages',
            seg_map_path='train/Annotations',
            flow_path='train/Flow')))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='valid/meta.json',
        data_prefix=dict(
            img_path='valid/JPEGImages',
            seg_map_path='valid/Annotations',
            flow_path='valid/Flow')))
test_dataloader = val_dataloader
val_evaluator = dict(
    _delete_=True,
    type='YouTubeVOSSubmission',
    outfile_prefix='work_dirs/vs-reid_r101_8xb2-30k_youtube-vos/submission')
test_evaluator = val_evaluator
train_cfg = dict(val_interval=30000)
