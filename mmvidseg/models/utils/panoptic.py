# Copyright (c) OpenMMLab. All rights reserved.
"""Turning K-Net kernel predictions into panoptic / semantic maps."""
from typing import Dict, List

import torch
from torch import Tensor


def panoptic_merge(cls_probs: Tensor,
                   mask_probs: Tensor,
                   num_proposals: int,
                   num_thing_classes: int,
                   max_per_img: int = 100,
                   instance_score_thr: float = 0.25,
                   overlap_thr: float = 0.6) -> List[Dict]:
    """Merge thing and stuff masks jointly (Video K-Net's ``merge_joint``).

    The top ``max_per_img`` (proposal, thing class) pairs and every stuff
    kernel (scored on its own class) compete per pixel on ``score * mask
    probability``. In decreasing score order a candidate becomes a segment
    if it is not a thing below ``instance_score_thr`` and keeps at least
    ``overlap_thr`` of its own mask (``prob >= 0.5``) among the pixels it
    wins. Pixels won by a rejected candidate are left out (void).

    Args:
        cls_probs (Tensor): (N + ns, nt + ns) sigmoid class scores.
        mask_probs (Tensor): (N + ns, H, W) sigmoid masks.
        num_proposals (int): N, the thing proposals (first rows).
        num_thing_classes (int): nt.
        max_per_img (int): Thing candidates kept. Defaults to 100.
        instance_score_thr (float): Minimum thing score. Defaults to 0.25.
        overlap_thr (float): Minimum kept fraction. Defaults to 0.6.

    Returns:
        list[dict]: Segments in decreasing score order, each with
        ``label`` (internal class), ``score``, ``kernel`` (the kernel
        index), ``is_thing`` and ``mask`` (H, W) bool.
    """
    n, nt = num_proposals, num_thing_classes
    num_kernels, num_classes = cls_probs.shape
    ns = num_kernels - n
    scores, labels, kernels = [], [], []
    if n > 0 and nt > 0:
        k = min(max_per_img, n * nt)
        thing_scores, inds = cls_probs[:n, :nt].flatten().topk(k)
        scores.append(thing_scores)
        labels.append(inds % nt)
        kernels.append(torch.div(inds, nt, rounding_mode='floor'))
    if ns > 0:
        scores.append(cls_probs[n:, nt:].diagonal())
        labels.append(torch.arange(nt, nt + ns, device=cls_probs.device))
        kernels.append(torch.arange(n, n + ns, device=cls_probs.device))
    if not scores:
        return []
    scores = torch.cat(scores)
    labels = torch.cat(labels)
    kernels = torch.cat(kernels)
    masks = mask_probs[kernels]
    owner = (scores[:, None, None] * masks).argmax(0)
    segments = []
    for i in torch.argsort(scores, descending=True).tolist():
        label = int(labels[i])
        is_thing = label < nt
        score = float(scores[i])
        if is_thing and score < instance_score_thr:
            continue
        mask = owner == i
        area = int(mask.sum())
        original = int((masks[i] >= 0.5).sum())
        if area == 0 or original == 0 or area / original < overlap_thr:
            continue
        segments.append(
            dict(
                label=label,
                score=score,
                kernel=int(kernels[i]),
                is_thing=is_thing,
                mask=mask))
    return segments


def semantic_argmax(cls_probs: Tensor, mask_probs: Tensor,
                    num_proposals: int, num_thing_classes: int) -> Tensor:
    """Dense semantic map from the stuff kernels (VSS).

    Each pixel takes the class of the stuff kernel with the highest
    ``score * mask probability`` (every pixel gets a class).

    Args:
        cls_probs (Tensor): (N + ns, nt + ns) sigmoid class scores.
        mask_probs (Tensor): (N + ns, H, W) sigmoid masks.
        num_proposals (int): N.
        num_thing_classes (int): nt.

    Returns:
        Tensor: (H, W) long internal labels in ``[nt, nt + ns)``.
    """
    n, nt = num_proposals, num_thing_classes
    scores = cls_probs[n:, nt:].diagonal()
    prob = scores[:, None, None] * mask_probs[n:]
    return prob.argmax(0) + nt


def query_panoptic_merge(cls_logits: Tensor,
                         mask_probs: Tensor,
                         num_thing_classes: int,
                         object_mask_thr: float = 0.8,
                         iou_thr: float = 0.8) -> List[Dict]:
    """Merge the masks of Mask2Former-style queries (softmax classes with a
    "no object" class last) into non-overlapping segments, as mmdet's
    ``MaskFormerFusionHead.panoptic_postprocess`` (``filter_low_score``).

    Masks may have any number of trailing dims: a tube's (t, H, W) masks are
    merged jointly over its frames, so a segment keeps one query (and one
    track) on all of them.

    Args:
        cls_logits (Tensor): (Q, C + 1) class logits.
        mask_probs (Tensor): (Q, ...) sigmoid masks.
        num_thing_classes (int): nt; labels ``>= nt`` are stuff.
        object_mask_thr (float): Minimum class score of a query.
            Defaults to 0.8.
        iou_thr (float): Minimum fraction of a query's own mask
            (``prob >= 0.5``) it must win. Defaults to 0.8.

    Returns:
        list[dict]: Segments: ``label``, ``score``, ``query`` (the query
        index; the best one for a stuff class), ``is_thing`` and ``mask``
        (bool, the masks' shape). Stuff queries of one class form one
        segment.
    """
    num_classes = cls_logits.size(1) - 1
    scores, labels = cls_logits.softmax(-1).max(-1)
    keep = torch.nonzero((labels != num_classes)
                         & (scores > object_mask_thr)).flatten()
    if not len(keep):
        return []
    masks = mask_probs[keep]
    owner = (scores[keep].view(-1, *[1] * (masks.dim() - 1)) *
             masks).argmax(0)
    segments, stuff = [], {}
    for k, query in enumerate(keep.tolist()):
        own = masks[k] >= 0.5
        mask = (owner == k) & own
        area, original = int(mask.sum()), int(own.sum())
        if area == 0 or original == 0 or area / original < iou_thr:
            continue
        label = int(labels[query])
        if label >= num_thing_classes and label in stuff:
            stuff[label]['mask'] |= mask
            continue
        seg = dict(
            label=label,
            score=float(scores[query]),
            query=query,
            is_thing=label < num_thing_classes,
            mask=mask)
        if not seg['is_thing']:
            stuff[label] = seg
        segments.append(seg)
    return segments
