# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict, List, Optional, Sequence

import numpy as np

from mmvidseg.registry import METRICS
from ..functional.stq import STQVideo, stq_summarize
from ..functional.vpq import (VIPSEG_WINDOWS, VPQVideo, pair_table,
                              vpq_null_reasons, vpq_summarize)
from .video_stream_metric import PanopticVideoMetric

#: Submission formats :class:`VPSMetric` writes.
SUBMISSION_FORMATS = ('kitti_step', 'vipseg')


class _VPSState:
    """Streaming VPQ and STQ states of one video."""

    def __init__(self, vpq: Optional[VPQVideo], stq: Optional[STQVideo]):
        self.vpq = vpq
        self.stq = stq
        self.num_frames = 0


@METRICS.register_module()
class VPSMetric(PanopticVideoMetric):
    """Video panoptic segmentation: VPQ (VIPSeg / VPSNet) and STQ (deeplab2).

    Reads, per frame, ``gt_panoptic_seg.sem_seg`` and
    ``pred_panoptic_seg.sem_seg``: (1, H, W) panoptic ids ``class *
    label_divisor + track_id`` (track 0 on stuff; on a ground-truth thing it
    marks crowd), void ``ignore_index * label_divisor``; and the metainfo
    ``video_id``, ``frame_id`` and ``video_length`` (or
    ``ori_video_length``). Each video keeps only the last ``max(windows)``
    frames' pixel-count tables and per-id areas; a finished video leaves
    per-class sums (VPQ) and a sparse confusion matrix plus its AQ sum
    (STQ), so the scores are identical with any number of processes.

    The numbers are those of :mod:`mmvidseg.evaluation.functional.vpq` and
    :mod:`~mmvidseg.evaluation.functional.stq` with: a segment per
    (class, track) id, ground-truth areas counted from the maps, crowd =
    ground-truth thing with track 0 (both metrics), void = VOID (VPQ) /
    ignore label (STQ).

    With ``outfile_prefix`` it also writes the predictions in the
    ``submission_format`` (see :mod:`.submission`): KITTI-STEP panoptic
    PNGs or VIPSeg ``pan_pred`` PNGs + ``pred.json``.

    Args:
        num_classes (int, optional): Number of classes; default
            ``len(dataset_meta['classes'])``.
        thing_classes (Sequence[int], optional): Class ids of things;
            default the indices of ``dataset_meta['thing_classes']`` in
            ``dataset_meta['classes']``.
        metrics (Sequence[str]): Any of ``'VPQ'``, ``'STQ'``.
        windows (Sequence[int]): VPQ window sizes. Defaults to VIPSeg's
            (1, 2, 4, 6, 8).
        label_divisor (int): Defaults to 1000.
        ignore_index (int): Void class. Defaults to 255.
        stq_float32_areas (bool): deeplab2's float32 areas. Defaults to
            True.
        collect_device (str): See :class:`VideoStreamMetric`.
        prefix (str, optional): Metric name prefix.
        format_only (bool): Only write the submission files, score
            nothing (no ground truth needed). Defaults to False.
        outfile_prefix (str, optional): Directory of the submission files.
            Defaults to None (no files).
        submission_format (str, optional): ``'kitti_step'`` or
            ``'vipseg'``; needed with ``outfile_prefix``.
    """
    default_prefix: Optional[str] = ''  # plain metric names, no warning

    def __init__(self,
                 num_classes: Optional[int] = None,
                 thing_classes: Optional[Sequence[int]] = None,
                 metrics: Sequence[str] = ('VPQ', 'STQ'),
                 windows: Sequence[int] = VIPSEG_WINDOWS,
                 label_divisor: int = 1000,
                 ignore_index: int = 255,
                 stq_float32_areas: bool = True,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 format_only: bool = False,
                 outfile_prefix: Optional[str] = None,
                 submission_format: Optional[str] = None) -> None:
        for m in metrics:
            if m not in ('VPQ', 'STQ'):
                raise ValueError(f'unknown metric {m!r}; use VPQ and/or STQ')
        if submission_format not in (None, ) + SUBMISSION_FORMATS:
            raise ValueError(f'VPSMetric writes no {submission_format!r} '
                             f'submission format; use one of '
                             f'{SUBMISSION_FORMATS}')
        self.submission_format = submission_format
        super().__init__(num_classes, thing_classes, label_divisor,
                         ignore_index, collect_device=collect_device,
                         prefix=prefix, format_only=format_only,
                         outfile_prefix=outfile_prefix)
        self.metrics = tuple(metrics)
        self.windows = tuple(windows)
        self.stq_float32_areas = stq_float32_areas

    @property
    def categories(self) -> List[dict]:
        things = set(self.thing_classes)
        return [
            dict(id=c, isthing=int(c in things))
            for c in range(self.num_classes)
        ]

    def new_video(self, video_id, frame) -> _VPSState:
        vpq = VPQVideo(self.categories, self.windows, str(video_id)) \
            if 'VPQ' in self.metrics else None
        stq = STQVideo(self.num_classes, self.thing_classes,
                       self.ignore_index, 16, self.stq_float32_areas,
                       str(video_id)) if 'STQ' in self.metrics else None
        return _VPSState(vpq, stq)

    def add_frame(self, state: _VPSState, frame, where: str) -> None:
        gt, pred = self.panoptic_maps(frame, where)
        g, p, c = pair_table(gt.astype(np.int64), pred.astype(np.int64),
                             where)
        div, void = self.label_divisor, self.ignore_index
        things = set(self.thing_classes)
        for ids, side in ((g, 'ground-truth'), (p, 'predicted')):
            cls = ids // div
            bad = (cls >= self.num_classes) & (cls != void)
            if bad.any():
                raise ValueError(f'{where}: {side} class {int(cls[bad][0])} '
                                 f'is beyond the class list '
                                 f'({self.num_classes} classes)')
        if state.vpq is not None:
            segs = []
            for ids in (g, p):
                uniq = np.unique(ids[ids // div != void])
                area = np.bincount(
                    np.searchsorted(uniq, ids[ids // div != void]),
                    weights=c[ids // div != void],
                    minlength=uniq.size).astype(np.int64)
                segs.append((uniq, area))
            gt_segments = [
                dict(id=int(i) + 1, category_id=int(i // div),
                     iscrowd=int(i % div == 0 and int(i // div) in things),
                     area=int(a)) for i, a in zip(*segs[0])
            ]
            pred_segments = [
                dict(id=int(i) + 1, category_id=int(i // div))
                for i in segs[1][0]
            ]
            # VPQ ids: panoptic id + 1, VOID (0) on void
            vg = np.where(g // div == void, 0, g + 1)
            vp = np.where(p // div == void, 0, p + 1)
            code = (vg << 32) | vp
            codes, inv = np.unique(code, return_inverse=True)
            counts = np.bincount(inv, weights=c).astype(np.int64)
            state.vpq.add_table(codes >> 32, codes & 0xFFFFFFFF, counts,
                                gt_segments, pred_segments, where)
        if state.stq is not None:
            # STQ ids: (class << 16) + track; void -> ignore label
            sg = np.where(g // div == void, void << 16,
                          ((g // div) << 16) + g % div)
            sp = np.where(p // div == void, void << 16,
                          ((p // div) << 16) + p % div)
            code = (sg << 32) | sp
            codes, inv = np.unique(code, return_inverse=True)
            counts = np.bincount(inv, weights=c).astype(np.int64)
            state.stq.add_table(codes >> 32, codes & 0xFFFFFFFF, counts,
                                where)
        state.num_frames += 1

    def finish_video(self, state: _VPSState) -> dict:
        return dict(
            vpq=state.vpq.finish() if state.vpq is not None else None,
            stq=state.stq.finish() if state.stq is not None else None)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """VPQ keys in percent (``VPQ``, ``VPQ_th``, ``VPQ_st``,
        ``VPQ@k``), STQ keys as fractions (``STQ``, ``AQ``, ``SQ``), as
        the official evaluators report them."""
        out: Dict[str, float] = {}
        if 'VPQ' in self.metrics:
            res = vpq_summarize([r['vpq'] for r in results], self.categories,
                                self.windows)
            for k in ['VPQ', 'VPQ_th', 'VPQ_st'
                      ] + [f'VPQ@{w}' for w in self.windows]:
                out[k] = float(res[k])
        if 'STQ' in self.metrics:
            res = stq_summarize([r['stq'] for r in results],
                                self.num_classes, self.ignore_index)
            for k in ('STQ', 'AQ', 'SQ'):
                out[k] = float(res[k])
        return out

    def null_reasons_of(self, metrics: Dict[str, float],
                        stats: List[dict]) -> Dict[str, str]:
        """VPQ: windows longer than every video, subsets without
        classes."""
        if 'VPQ' not in self.metrics:
            return {}
        return vpq_null_reasons([s['vpq'] for s in stats], self.categories,
                                self.windows)
