# Copyright (c) OpenMMLab. All rights reserved.
from typing import Optional

import torch
from mmdet.models.trackers import QuasiDenseTracker
from mmdet.structures.bbox import bbox_overlaps
from mmdet.structures.mask import mask2bbox
from torch import Tensor

from mmvidseg.registry import MODELS


@MODELS.register_module()
class KernelQuasiDenseTracker(QuasiDenseTracker):
    """QDTrack's online tracker driven by kernel embeddings of masks.

    mmdet's ``QuasiDenseTracker`` computes embeddings from boxes through
    a RoI track head; Video K-Net's tracker (the official
    ``QuasiDenseEmbedTracker``) matches the embeddings of the segmented
    thing kernels instead. This keeps mmdet's memory (``update``/``memo``:
    tracklets with momentum-averaged embeddings kept ``memo_tracklet_frames``
    frames, backdrops) and its matching rule (bi-softmax similarity, same
    class, ``match_score_thr``, ``obj_score_thr``, ``init_score_thr``) and
    replaces the RoI embeddings by the given kernel embeddings. Duplicates
    are removed as in the official tracker: in descending score order, a
    segment whose *box* overlaps any higher-scored segment's box by more
    than ``nms_class_iou_thr`` (``nms_backdrop_iou_thr`` below
    ``obj_score_thr``) is dropped. The panoptic masks themselves never
    overlap, so the boxes carry the duplicate signal; Video K-Net passes
    the boxes of its semantic-filtered masks. Defaults follow the official
    Video K-Net config: init 0.35, obj 0.3, match 0.5, 5 memory frames,
    momentum 0.8, bi-softmax (the last three are mmdet's defaults too).

    Args:
        init_score_thr (float): Score a segment needs to start a track.
            Defaults to 0.35.
        obj_score_thr (float): Score a segment needs to continue a track.
            Defaults to 0.3.
        memo_tracklet_frames (int): Frames a lost track is kept. Defaults
            to 5.
        **kwargs: The other arguments of mmdet's ``QuasiDenseTracker``
            (``match_score_thr`` 0.5, ``memo_backdrop_frames`` 1,
            ``memo_momentum`` 0.8, ``nms_conf_thr`` 0.5,
            ``nms_backdrop_iou_thr`` 0.3, ``nms_class_iou_thr`` 0.7,
            ``with_cats`` True, ``match_metric`` ``'bisoftmax'``, ...).
    """

    def __init__(self,
                 init_score_thr: float = 0.35,
                 obj_score_thr: float = 0.3,
                 memo_tracklet_frames: int = 5,
                 **kwargs) -> None:
        super().__init__(
            init_score_thr=init_score_thr,
            obj_score_thr=obj_score_thr,
            memo_tracklet_frames=memo_tracklet_frames,
            **kwargs)

    def _not_duplicates(self, boxes: Tensor, scores: Tensor) -> Tensor:
        """(K,) bool: not a duplicate. Segments sorted by descending
        score; one whose box overlaps the box of any higher-scored segment
        (dropped ones included, as the official tracker) by more than the
        IoU threshold is a duplicate."""
        ious = bbox_overlaps(boxes, boxes)
        valid = torch.ones(len(boxes), dtype=torch.bool, device=boxes.device)
        for i in range(1, len(boxes)):
            thr = self.nms_backdrop_iou_thr if scores[i] < \
                self.obj_score_thr else self.nms_class_iou_thr
            if (ious[i, :i] > thr).any():
                valid[i] = False
        return valid

    def track_masks(self,
                    masks: Tensor,
                    labels: Tensor,
                    scores: Tensor,
                    embeds: Tensor,
                    frame_id: int,
                    boxes: Optional[Tensor] = None) -> Tensor:
        """Give track ids to the segments of one frame.

        Args:
            masks (Tensor): (K, H, W) bool masks.
            labels (Tensor): (K,) class labels.
            scores (Tensor): (K,) scores.
            embeds (Tensor): (K, D) association embeddings.
            frame_id (int): Index of the frame in its video (increasing).
            boxes (Tensor, optional): (K, 4) ``(x1, y1, x2, y2)`` boxes of
                the duplicate removal and the memory; from the masks if
                None.

        Returns:
            Tensor: (K,) long ids in the input order: >= 0 a track id,
            -1 not tracked (too low a score, or a duplicate).
        """
        num = len(masks)
        if num == 0:
            return torch.zeros((0, ), dtype=torch.long)
        if boxes is None:
            boxes = mask2bbox(masks.bool()).float()
        order = torch.argsort(scores, descending=True)
        masks, labels, scores = masks[order], labels[order], scores[order]
        embeds, boxes = embeds[order], boxes[order]

        valid = self._not_duplicates(boxes, scores)
        ids = torch.full((num, ), -1, dtype=torch.long)
        keep = torch.nonzero(valid).flatten()
        k_boxes, k_labels = boxes[keep], labels[keep]
        k_scores, k_embeds = scores[keep], embeds[keep]
        k_ids = torch.full((len(keep), ), -1, dtype=torch.long)

        if len(keep) > 0 and not self.empty:
            memo_boxes, memo_labels, memo_embeds, memo_ids, _ = self.memo
            sim = k_embeds @ memo_embeds.t()
            if self.match_metric == 'bisoftmax':
                match = (sim.softmax(dim=1) + sim.softmax(dim=0)) / 2
            elif self.match_metric == 'softmax':
                match = sim.softmax(dim=1)
            else:
                match = torch.nn.functional.normalize(k_embeds, dim=1) @ \
                    torch.nn.functional.normalize(memo_embeds, dim=1).t()
            if self.with_cats:
                match = match * (k_labels.view(-1, 1) == memo_labels.view(
                    1, -1).to(k_labels.device)).float()
            for i in range(len(keep)):
                conf, j = torch.max(match[i], dim=0)
                track = int(memo_ids[j])
                if conf > self.match_score_thr:
                    if track > -1:
                        if k_scores[i] > self.obj_score_thr:
                            k_ids[i] = track
                            match[:i, j] = 0
                            match[i + 1:, j] = 0
                        elif conf > self.nms_conf_thr:
                            k_ids[i] = -2
        new = (k_ids == -1) & (k_scores > self.init_score_thr).cpu()
        num_new = int(new.sum())
        k_ids[new] = torch.arange(
            self.num_tracks, self.num_tracks + num_new, dtype=torch.long)
        self.num_tracks += num_new
        self.update(k_ids, k_boxes, k_embeds, k_labels, k_scores, frame_id)
        ids[keep] = k_ids.clamp(min=-1)
        out = torch.full((num, ), -1, dtype=torch.long)
        out[order.cpu()] = ids
        return out
