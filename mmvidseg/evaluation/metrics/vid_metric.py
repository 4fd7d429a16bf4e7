# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict, List, Optional

import numpy as np

from mmvidseg.registry import METRICS
from ..functional.vid import (VIDStats, coco_bbox_ap, vid_frame,
                              vid_motion_video, vid_summarize,
                              vid_summarize_motion)
from .video_stream_metric import (VideoStreamMetric, frame_field, frame_meta,
                                  instance_field)


class _VIDState:

    def __init__(self):
        self.stats = VIDStats()
        self.frames: List[tuple] = []
        self.motion_frames: List[tuple] = []
        self.num_frames = 0


@METRICS.register_module()
class ImageNetVIDMetric(VideoStreamMetric):
    """Video object detection: the ImageNet VID devkit's mAP@0.5 (MEGA's
    ``vid_eval``) and COCO box AP (what mmdet/mmtrack report).

    Reads, per frame, ``pred_instances`` (or ``pred_det_instances``):
    ``bboxes`` (K, 4) x1y1x2y2, ``labels``, ``scores``; ``gt_instances``:
    ``bboxes``, ``labels``; and the metainfo ``video_id``, ``frame_id``,
    ``video_length``. Each video leaves its detections reduced to (score,
    matched) pairs per class, plus the boxes for COCO AP; videos are pooled
    in video-id order, frames in time order, so the devkit's tie orders are
    the same with any number of processes.

    With ``motion_speed`` it also reports the devkit's motion-specific
    ``mAP50_fast`` / ``mAP50_medium`` / ``mAP50_slow`` (motion IoU < 0.7,
    0.7-0.9, > 0.9), each ground-truth box's motion IoU being its mean IoU
    with the same object's boxes within 10 frames, computed from the
    annotations (``gt_instances.instances_ids`` and ``frame_id``, see
    :func:`vid_motion_iou`).

    Args:
        with_coco (bool): Also report ``cocoAP`` and ``cocoAP50``. Defaults
            to True.
        motion_speed (bool): Also report the motion-specific mAP50s.
            Defaults to True.
        collect_device (str): See :class:`VideoStreamMetric`.
        prefix (str, optional): Metric name prefix.
    """
    default_prefix: Optional[str] = ''  # plain metric names, no warning

    def __init__(self,
                 with_coco: bool = True,
                 motion_speed: bool = True,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.with_coco = with_coco
        self.motion_speed = motion_speed

    def new_video(self, video_id, frame) -> _VIDState:
        return _VIDState()

    def add_frame(self, state: _VIDState, frame, where: str) -> None:
        pred = frame_field(frame, 'pred_instances')
        if pred is None:
            pred = frame_field(frame, 'pred_det_instances')
        gt = frame_field(frame, 'gt_instances')
        if pred is None:
            raise ValueError(f'{where}: no pred_instances')
        pb = instance_field(pred, 'bboxes')
        pl = instance_field(pred, 'labels')
        ps = instance_field(pred, 'scores')
        gb = instance_field(gt, 'bboxes')
        gl = instance_field(gt, 'labels')
        pb = np.zeros((0, 4)) if pb is None else pb.reshape(-1, 4)
        gb = np.zeros((0, 4)) if gb is None else gb.reshape(-1, 4)
        pl = np.zeros(0, int) if pl is None else pl + 1  # devkit: 1..C
        gl = np.zeros(0, int) if gl is None else gl + 1
        ps = np.zeros(0) if ps is None else ps
        vid_frame(state.stats, pb, pl, ps, gb, gl, where=where)
        if self.with_coco:
            state.frames.append((pb, pl, ps, gb, gl))
        if self.motion_speed:
            ids = instance_field(gt, 'instances_ids')
            if ids is None and len(gb):
                raise ValueError(
                    f'{where}: motion_speed needs gt_instances.instances_ids '
                    '(object ids across frames); set motion_speed=False')
            ids = np.zeros(0, int) if ids is None else ids.reshape(-1)
            frame_id = frame_meta(frame).get('frame_id', state.num_frames)
            state.motion_frames.append((pb, pl, ps, gb, gl, ids, frame_id))
        state.num_frames += 1

    def finish_video(self, state: _VIDState) -> dict:
        motion: dict = {}
        if self.motion_speed:
            vid_motion_video(motion, state.motion_frames)
        return dict(stats=state.stats, frames=state.frames, motion=motion)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """``mAP50`` (devkit), ``mAP50_{fast,medium,slow}`` and ``cocoAP``,
        ``cocoAP50`` (fractions)."""
        stats = VIDStats()
        for r in results:
            stats.extend(r['stats'])
        out = {'mAP50': vid_summarize(stats)['mAP50']}
        if self.motion_speed:
            motion: dict = {}
            for r in results:
                for name, st in r['motion'].items():
                    if name in motion:
                        motion[name].extend(st)
                    else:
                        motion[name] = st
            for name, st in motion.items():
                out[f'mAP50_{name}'] = vid_summarize_motion(st)
        if self.with_coco:
            images, anns, dets = [], [], []
            labels = set()
            for r in results:
                for pb, pl, ps, gb, gl in r['frames']:
                    img = len(images) + 1
                    images.append(dict(id=img))
                    for b, lab in zip(gb.tolist(), gl.tolist()):
                        w, h = b[2] - b[0], b[3] - b[1]
                        anns.append(dict(id=len(anns) + 1, image_id=img,
                                         category_id=int(lab),
                                         bbox=[b[0], b[1], w, h],
                                         area=w * h, iscrowd=0))
                        labels.add(int(lab))
                    for b, lab, s in zip(pb.tolist(), pl.tolist(),
                                         ps.tolist()):
                        dets.append(dict(image_id=img, category_id=int(lab),
                                         bbox=[b[0], b[1], b[2] - b[0],
                                               b[3] - b[1]], score=s))
                        labels.add(int(lab))
            gt = dict(images=images, annotations=anns,
                      categories=[dict(id=c) for c in sorted(labels)])
            if dets:
                out.update(coco_bbox_ap(gt, dets))
            else:
                out.update(cocoAP=0.0, cocoAP50=0.0)
        return out
