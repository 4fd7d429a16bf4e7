# Copyright (c) OpenMMLab. All rights reserved.
"""Data-sample conventions shared by every mmvidseg dataset, model and metric.

A video (or a clip of it) travels as mmdet's ``TrackDataSample``; its
``video_data_samples`` hold one mmdet ``DetDataSample`` per frame, and the
packed ``inputs`` tensor has shape (T, C, H, W) (a batch: (N, T, C, H, W)).
Per frame, these fields are used (ground truth ``gt_*``, predictions
``pred_*``):

==========================  ==================================================
field                       content
==========================  ==================================================
``gt_instances`` /          ``InstanceData``: ``bboxes`` (K, 4) xyxy,
``pred_track_instances``    ``labels`` (K,), ``masks`` (K, H, W) or
                            ``BitmapMasks``, ``instances_ids`` (K,) track ids
                            (gt), ``instances_id`` + ``scores`` (pred; mmdet's
                            tracker naming)
``gt_sem_seg`` /            ``PixelData(data=(1, H, W) long)``; class ids,
``pred_sem_seg``            ``ignore_index`` (255) on void
``gt_panoptic_seg`` /       ``PixelData(sem_seg=(1, H, W) long)``: panoptic id
``pred_panoptic_seg``       ``class * LABEL_DIVISOR + track_id`` (track id 0 on
                            stuff; 0 on a thing class means crowd), void
                            ``VOID_PANOPTIC``
``gt_depth`` /              ``PixelData(data=(1, H, W) float)`` in metres, 0
``pred_depth``              where there is no ground truth
==========================  ==================================================

Metainfo keys: ``video_id``, ``frame_id``, ``video_length``, ``img_path``,
``ori_shape``, ``img_shape``, ``scale_factor``, ``flip``.
"""
from mmdet.structures import DetDataSample, TrackDataSample

#: Multiplier of the class id in a panoptic id (``class * 1000 + track``).
LABEL_DIVISOR = 1000
#: Class id of void pixels in semantic and panoptic maps.
IGNORE_INDEX = 255
#: Panoptic id of void pixels.
VOID_PANOPTIC = IGNORE_INDEX * LABEL_DIVISOR

__all__ = [
    'DetDataSample', 'TrackDataSample', 'LABEL_DIVISOR', 'IGNORE_INDEX',
    'VOID_PANOPTIC'
]
