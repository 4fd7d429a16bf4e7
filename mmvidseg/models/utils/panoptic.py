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
