# Copyright (c) OpenMMLab. All rights reserved.
"""Training targets of (Video) K-Net built from mmvidseg data samples."""
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.structures import InstanceData
from torch import Tensor

from mmvidseg.structures import IGNORE_INDEX


def resize_to(x: Tensor, size: Sequence[int]) -> Tensor:
    """Bilinearly resize the last two dims of ``x`` (any leading dims)."""
    size = tuple(int(s) for s in size)
    if tuple(x.shape[-2:]) == size:
        return x
    lead = x.shape[:-2]
    out = F.interpolate(
        x.reshape(1, -1, *x.shape[-2:]),
        size,
        mode='bilinear',
        align_corners=False)
    return out.reshape(*lead, *size)


def _masks_tensor(masks, device) -> Tensor:
    """``BitmapMasks`` / ndarray / tensor (K, H, W) -> float tensor."""
    if hasattr(masks, 'to_tensor'):
        return masks.to_tensor(torch.float32, device)
    return torch.as_tensor(masks, dtype=torch.float32, device=device)


def _pad(x: Tensor, shape: Sequence[int], value: float) -> Tensor:
    """Pad the last two dims of ``x`` at the bottom/right to ``shape``."""
    pad_h, pad_w = shape[0] - x.shape[-2], shape[1] - x.shape[-1]
    if pad_h < 0 or pad_w < 0:
        return x[..., :shape[0], :shape[1]]
    if pad_h or pad_w:
        x = F.pad(x, (0, pad_w, 0, pad_h), value=value)
    return x


def frame_targets(sample,
                  label_map: Tensor,
                  num_thing_classes: int,
                  num_stuff_classes: int,
                  pad_shape: Sequence[int],
                  size: Sequence[int],
                  device: torch.device) -> Dict[str, Tensor]:
    """K-Net targets of one frame at the assignment resolution ``size``.

    Args:
        sample (DetDataSample): A frame with ``gt_instances`` (``masks``,
            ``labels`` dataset class ids, ``instances_ids``) and/or
            ``gt_sem_seg`` (class ids, 255 void).
        label_map (Tensor): (256,) dataset class id -> internal label
            (things ``[0, nt)``, stuff ``[nt, nt + ns)``, 255 unused).
        num_thing_classes (int): nt.
        num_stuff_classes (int): ns.
        pad_shape (Sequence[int]): Padded input (H, W) the masks are
            padded to before resizing.
        size (Sequence[int]): Target (H', W').
        device (torch.device): Device of the targets.

    Returns:
        dict: ``thing_masks`` (K, H', W') soft masks (area-downsampled),
        ``thing_labels`` (K,) in ``[0, nt)``, ``thing_ids`` (K,) track ids,
        ``stuff_masks`` (S, H', W'), ``stuff_labels`` (S,) in ``[0, ns)``
        (stuff present in the frame) and ``seg_map`` (H', W') internal
        labels with 255 on void (nearest-downsampled).
    """
    thing_masks = torch.zeros((0, *size), device=device)
    thing_labels = torch.zeros((0, ), dtype=torch.long, device=device)
    thing_ids = torch.zeros((0, ), dtype=torch.long, device=device)
    if 'gt_instances' in sample and len(sample.gt_instances) > 0:
        inst = sample.gt_instances
        labels = label_map[inst.labels.to(device).long()]
        keep = labels < num_thing_classes
        if keep.any():
            masks = _masks_tensor(inst.masks, device)[keep]
            masks = _pad(masks, pad_shape, 0.)
            thing_masks = F.interpolate(
                masks[None], tuple(size), mode='area')[0]
            thing_labels = labels[keep]
            ids = inst.get('instances_ids', None)
            if ids is None:
                ids = torch.arange(len(labels), device=device)
            thing_ids = torch.as_tensor(ids, device=device).long()[keep]

    stuff_masks = torch.zeros((0, *size), device=device)
    stuff_labels = torch.zeros((0, ), dtype=torch.long, device=device)
    if 'gt_sem_seg' in sample:
        sem = sample.gt_sem_seg.data.to(device).long()[0]
        sem = _pad(sem, pad_shape, IGNORE_INDEX)
        internal = label_map[sem.clamp(0, 255)]
        seg_map = F.interpolate(
            internal[None, None].float(), tuple(size),
            mode='nearest')[0, 0].long()
        present = torch.unique(internal)
        present = present[(present >= num_thing_classes)
                          & (present < num_thing_classes + num_stuff_classes)]
        if len(present):
            onehot = (internal[None] == present[:, None, None]).float()
            stuff_masks = F.interpolate(
                onehot[None], tuple(size), mode='area')[0]
            stuff_labels = present - num_thing_classes
    else:
        # no semantic map (VIS): things on their masks, the rest ignored
        seg_map = torch.full(tuple(size), IGNORE_INDEX, dtype=torch.long,
                             device=device)
        for mask, label in zip(thing_masks, thing_labels):
            seg_map[mask >= 0.5] = label
    return dict(
        thing_masks=thing_masks,
        thing_labels=thing_labels,
        thing_ids=thing_ids,
        stuff_masks=stuff_masks,
        stuff_labels=stuff_labels,
        seg_map=seg_map)


def clip_targets(frames: Sequence[Dict[str, Tensor]]) -> Dict[str, Tensor]:
    """Tube targets of a clip from its frames' :func:`frame_targets`.

    Things are grouped by track id across frames: a tube's mask is zero in
    frames where the track is absent; its label is the label of its first
    appearance.

    Returns:
        dict: ``thing_masks`` (K, T, H', W'), ``thing_labels`` (K,),
        ``thing_ids`` (K,), empty stuff targets, and ``seg_map`` (T, H', W').
    """
    size = frames[0]['seg_map'].shape
    device = frames[0]['seg_map'].device
    ids = []
    labels = {}
    for frame in frames:
        for i, label in zip(frame['thing_ids'].tolist(),
                            frame['thing_labels'].tolist()):
            if i not in labels:
                ids.append(i)
                labels[i] = label
    masks = torch.zeros((len(ids), len(frames), *size), device=device)
    index = {i: k for k, i in enumerate(ids)}
    for t, frame in enumerate(frames):
        for i, mask in zip(frame['thing_ids'].tolist(), frame['thing_masks']):
            masks[index[i], t] = mask
    return dict(
        thing_masks=masks,
        thing_labels=torch.tensor([labels[i] for i in ids],
                                  dtype=torch.long,
                                  device=device),
        thing_ids=torch.tensor(ids, dtype=torch.long, device=device),
        stuff_masks=torch.zeros((0, len(frames), *size), device=device),
        stuff_labels=torch.zeros((0, ), dtype=torch.long, device=device),
        seg_map=torch.stack([f['seg_map'] for f in frames]))


def assign_things(assigner,
                  mask_preds: Tensor,
                  cls_logits: Optional[Tensor],
                  target: Dict[str, Tensor],
                  num_thing_classes: int) -> Tuple[Tensor, Tensor]:
    """Hungarian assignment of thing proposals to ground-truth things.

    Args:
        assigner: An mmdet assigner (``HungarianAssigner``) whose costs
            read ``pred_instances.masks`` / ``scores`` and
            ``gt_instances.masks`` / ``labels``.
        mask_preds (Tensor): (N, ..., H', W') mask logits of the thing
            proposals (frames or tubes), detached.
        cls_logits (Tensor, optional): (N, nt) thing class logits; None
            (the initial proposals) gives zeros, so class costs do not
            change the matching.
        target (dict): Output of :func:`frame_targets` or
            :func:`clip_targets`.
        num_thing_classes (int): nt.

    Returns:
        tuple[Tensor, Tensor]: Indices of the positive proposals (P,) and
        of their ground-truth things (P,).
    """
    device = mask_preds.device
    gt_masks = target['thing_masks']
    if len(gt_masks) == 0 or len(mask_preds) == 0:
        empty = torch.zeros((0, ), dtype=torch.long, device=device)
        return empty, empty
    if cls_logits is None:
        cls_logits = mask_preds.new_zeros((len(mask_preds),
                                           max(num_thing_classes, 1)))
    pred = InstanceData(
        masks=mask_preds.flatten(1), scores=cls_logits)
    gt = InstanceData(
        masks=gt_masks.flatten(1), labels=target['thing_labels'])
    result = assigner.assign(pred, gt)
    pos = torch.nonzero(result.gt_inds > 0).flatten()
    return pos, result.gt_inds[pos] - 1
