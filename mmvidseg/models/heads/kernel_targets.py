# Copyright (c) OpenMMLab. All rights reserved.
"""Training targets of (Video) K-Net built from mmvidseg data samples.

The targets follow mmdet's MaskFormer (``preprocess_panoptic_gt``): one
:class:`~mmengine.structures.InstanceData` per frame holding the things
first, then one segment per stuff class present, with internal labels
(things ``[0, nt)``, stuff ``[nt, nt + ns)``), plus the semantic map as
:class:`~mmengine.structures.PixelData`.
"""
from typing import Sequence, Tuple

import torch
import torch.nn.functional as F
from mmdet.utils import InstanceList
from mmengine.structures import InstanceData, PixelData
from torch import Tensor

from mmvidseg.structures import IGNORE_INDEX


def resize_to(x: Tensor, size: Sequence[int]) -> Tensor:
    """Bilinearly resize the last two dims of ``x`` (any leading dims)."""
    size = tuple(int(s) for s in size)
    if tuple(x.shape[-2:]) == size:
        return x
    lead = x.shape[:-2]
    if x.numel() == 0:  # e.g. no thing proposals (VSS): nothing to resize
        return x.new_zeros((*lead, *size))
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


def _thing_targets(sample, label_map: Tensor, num_thing_classes: int,
                   pad_shape: Sequence[int], size: Sequence[int],
                   device: torch.device) -> Tuple[Tensor, Tensor, Tensor]:
    """Soft masks (K, H', W'), labels (K,) in ``[0, nt)`` and track ids
    (K,) of the things of one frame (see :func:`frame_targets`)."""
    masks = torch.zeros((0, *size), device=device)
    labels = torch.zeros((0, ), dtype=torch.long, device=device)
    ids = torch.zeros((0, ), dtype=torch.long, device=device)
    if 'gt_instances' not in sample or len(sample.gt_instances) == 0:
        return masks, labels, ids
    inst = sample.gt_instances
    all_labels = label_map[inst.labels.to(device).long()]
    keep = all_labels < num_thing_classes
    if not keep.any():
        return masks, labels, ids
    thing_masks = _pad(
        _masks_tensor(inst.masks, device)[keep], pad_shape, 0.)
    masks = F.interpolate(thing_masks[None], tuple(size), mode='area')[0]
    all_ids = inst.get('instances_ids', None)
    if all_ids is None:
        all_ids = torch.arange(len(all_labels), device=device)
    ids = torch.as_tensor(all_ids, device=device).long()[keep]
    return masks, all_labels[keep], ids


def _stuff_targets(sem_seg: Tensor, label_map: Tensor, num_thing_classes: int,
                   num_stuff_classes: int, pad_shape: Sequence[int],
                   size: Sequence[int]) -> Tuple[Tensor, Tensor, Tensor]:
    """Soft masks (S, H', W') and internal labels (S,) of the stuff classes
    present in a (1, H, W) dataset semantic map, and its (H', W') internal
    label map (255 on void)."""
    sem = _pad(sem_seg.long()[0], pad_shape, IGNORE_INDEX)
    internal = label_map[sem.clamp(0, 255)]
    seg_map = F.interpolate(
        internal[None, None].float(), tuple(size),
        mode='nearest')[0, 0].long()
    present = torch.unique(internal)
    present = present[(present >= num_thing_classes)
                      & (present < num_thing_classes + num_stuff_classes)]
    if not len(present):
        return sem.new_zeros((0, *size), dtype=torch.float), present, seg_map
    onehot = (internal[None] == present[:, None, None]).float()
    masks = F.interpolate(onehot[None], tuple(size), mode='area')[0]
    return masks, present, seg_map


def frame_targets(sample,
                  label_map: Tensor,
                  num_thing_classes: int,
                  num_stuff_classes: int,
                  pad_shape: Sequence[int],
                  size: Sequence[int],
                  device: torch.device) -> Tuple[InstanceData, PixelData]:
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
        tuple:

        - gt_instances (:obj:`InstanceData`): the K things (track ids from
          ``instances_ids``), then the S stuff classes present (sorted
          by label, ``instances_ids`` -1): ``masks`` (K + S, H', W') soft
          masks (area-downsampled), ``labels`` (K + S,) internal labels,
          ``instances_ids`` (K + S,).
        - gt_sem_seg (:obj:`PixelData`): ``sem_seg`` (1, H', W') internal
          labels with 255 on void (nearest-downsampled). Without
          ``gt_sem_seg`` (VIS) the things' labels on their masks, 255
          elsewhere.
    """
    thing_masks, thing_labels, thing_ids = _thing_targets(
        sample, label_map, num_thing_classes, pad_shape, size, device)
    if 'gt_sem_seg' in sample:
        stuff_masks, stuff_labels, seg_map = _stuff_targets(
            sample.gt_sem_seg.data.to(device), label_map, num_thing_classes,
            num_stuff_classes, pad_shape, size)
    else:
        # no semantic map (VIS): things on their masks, the rest ignored
        stuff_masks = thing_masks[:0]
        stuff_labels = thing_labels[:0]
        seg_map = torch.full(tuple(size), IGNORE_INDEX, dtype=torch.long,
                             device=device)
        for mask, label in zip(thing_masks, thing_labels):
            seg_map[mask >= 0.5] = label
    gt_instances = InstanceData(
        masks=torch.cat([thing_masks, stuff_masks]),
        labels=torch.cat([thing_labels, stuff_labels]),
        instances_ids=torch.cat(
            [thing_ids,
             thing_ids.new_full((len(stuff_labels), ), -1)]))
    return gt_instances, PixelData(sem_seg=seg_map[None])


def clip_targets(frames: InstanceList,
                 num_thing_classes: int) -> InstanceData:
    """Tube targets of a clip from its frames' :func:`frame_targets`.

    Things are grouped by track id across frames: a tube's mask is zero in
    frames where the track is absent; its label is the label of its first
    appearance. Stuff segments are left out.

    Args:
        frames (list[:obj:`InstanceData`]): The T frames' ``gt_instances``
            (``masks`` (G, H', W'), ``labels``, ``instances_ids``).
        num_thing_classes (int): nt; segments labelled ``>= nt`` are stuff.

    Returns:
        :obj:`InstanceData`: K tubes, ``masks`` (K, T, H', W'), ``labels``
        (K,) and ``instances_ids`` (K,).
    """
    size = frames[0].masks.shape[-2:]
    device = frames[0].masks.device
    things = [frame[frame.labels < num_thing_classes] for frame in frames]
    ids = []
    labels = {}
    for frame in things:
        for i, label in zip(frame.instances_ids.tolist(),
                            frame.labels.tolist()):
            if i not in labels:
                ids.append(i)
                labels[i] = label
    masks = torch.zeros((len(ids), len(frames), *size), device=device)
    index = {i: k for k, i in enumerate(ids)}
    for t, frame in enumerate(things):
        for i, mask in zip(frame.instances_ids.tolist(), frame.masks):
            masks[index[i], t] = mask
    return InstanceData(
        masks=masks,
        labels=torch.tensor([labels[i] for i in ids],
                            dtype=torch.long,
                            device=device),
        instances_ids=torch.tensor(ids, dtype=torch.long, device=device))
