# Copyright (c) OpenMMLab. All rights reserved.
"""Online fusion of a frame's detections with its previous frames'.

An object hidden or blurred in one frame is usually detected well in the
frames just before it. :func:`fuse_reference_detections` adds the previous
frames' detections to the key frame's, their scores decayed by their age,
and keeps the best box of each class-wise cluster (NMS), so that a missed
or low-scored object of the key frame is recovered from its neighbours
(a causal, single-pass cousin of Seq-NMS-style box propagation).
"""
from typing import Sequence

from mmcv.ops import batched_nms
from mmengine.structures import InstanceData

#: The keys of ``ref_fusion`` configs and their defaults.
FUSION_DEFAULTS = dict(num_frames=2, decay=0.6, iou_threshold=0.5)


def check_fusion_cfg(cfg: dict, owner: str) -> dict:
    """``cfg`` completed with :data:`FUSION_DEFAULTS`, checked.

    Args:
        cfg (dict): ``num_frames`` (int >= 1: previous frames fused),
            ``decay`` (in (0, 1]: a detection ``a`` frames old keeps
            ``decay ** a`` of its score) and ``iou_threshold`` (in (0, 1]:
            of the class-wise NMS).
        owner (str): Named in the errors.

    Returns:
        dict: The full config.

    Raises:
        ValueError: An unknown key or a value out of its range.
    """
    unknown = set(cfg) - set(FUSION_DEFAULTS)
    if unknown:
        raise ValueError(f'{owner}: unknown ref_fusion keys {sorted(unknown)}'
                         f'; known: {sorted(FUSION_DEFAULTS)}')
    cfg = dict(FUSION_DEFAULTS, **cfg)
    if int(cfg['num_frames']) != cfg['num_frames'] or cfg['num_frames'] < 1:
        raise ValueError(f'{owner}: ref_fusion num_frames must be an integer '
                         f'>= 1, got {cfg["num_frames"]}')
    for key in ('decay', 'iou_threshold'):
        if not 0 < cfg[key] <= 1:
            raise ValueError(f'{owner}: ref_fusion {key} must be in (0, 1], '
                             f'got {cfg[key]}')
    return cfg


def fuse_reference_detections(key: InstanceData,
                              previous: Sequence[InstanceData],
                              decay: float = 0.6,
                              iou_threshold: float = 0.5) -> InstanceData:
    """The key frame's detections fused with its previous frames'.

    Args:
        key (InstanceData): The key frame's ``bboxes`` (K, 4), ``scores``
            (K, ) and ``labels`` (K, ), in the same image frame as the
            previous frames' (e.g. all rescaled to the original size).
        previous (Sequence[InstanceData]): The previous frames' own (not
            fused) detections, the oldest first; the last one is 1 frame
            old.
        decay (float): Score factor per frame of age.
        iou_threshold (float): IoU of the class-wise NMS.

    Returns:
        InstanceData: The NMS survivors of all detections, best score
        first (the previous frames' with decayed scores).
    """
    if not previous:
        return key
    aged = []
    for age, det in zip(range(len(previous), 0, -1), previous):
        det = det.clone()
        det.scores = det.scores * decay**age
        aged.append(det)
    every = InstanceData.cat([key] + aged)
    if len(every) == 0:
        return every
    _, keep = batched_nms(every.bboxes, every.scores.contiguous(),
                          every.labels,
                          dict(type='nms', iou_threshold=iou_threshold))
    return every[keep]
