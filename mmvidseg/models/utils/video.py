# Copyright (c) OpenMMLab. All rights reserved.
"""Moving between video batches (N, T, ...) and frame batches (N*T, ...)."""
from typing import List, Optional, Tuple

import torch.nn.functional as F
from torch import Tensor


def frames_from_video(
    inputs: Tensor,
    data_samples: Optional[list] = None
) -> Tuple[Tensor, Optional[list]]:
    """Flatten a batch of clips into a batch of frames.

    Args:
        inputs (Tensor): Clips of shape (N, T, C, H, W), or frames of shape
            (N, C, H, W), which are returned as they are.
        data_samples (list, optional): N ``TrackDataSample`` (one per clip,
            each holding T per-frame samples), or N per-image samples.

    Returns:
        tuple:
        - frames (Tensor): Shape (N * T, C, H, W), clip-major.
        - frame_samples (list | None): The N * T per-frame samples in the
          same order. They are the very objects inside the clips, so
          predictions written to them land in the clips' samples.
    """
    if inputs.dim() == 4:
        return inputs, data_samples
    if inputs.dim() != 5:
        raise ValueError('expected (N, T, C, H, W) clips or (N, C, H, W) '
                         f'frames, got shape {tuple(inputs.shape)}')
    n, t = inputs.shape[:2]
    frames = inputs.flatten(0, 1)
    if data_samples is None:
        return frames, None
    frame_samples = []
    for clip in data_samples:
        clip_frames = clip.video_data_samples
        if len(clip_frames) != t:
            raise ValueError(f'a clip holds {len(clip_frames)} frame '
                             f'samples but the inputs have T={t} frames')
        frame_samples.extend(clip_frames)
    return frames, frame_samples


def key_frame_indices(data_samples: list, num_frames: int) -> List[int]:
    """Flat indices of each clip's key frames in ``frames_from_video`` order.

    Clips without ``key_frames_inds`` metainfo count every frame as a key.
    """
    out = []
    for i, clip in enumerate(data_samples):
        keys = clip.metainfo.get('key_frames_inds', range(num_frames))
        out.extend(i * num_frames + k for k in keys)
    return out


def logits_to_original(logits: Tensor, meta: dict, pad_shape) -> Tensor:
    """Resize (K, h, w) logits to the padded input, crop the padding and
    resize to the frame's original size.

    Args:
        logits (Tensor): (K, h, w) logits at any stride of the padded input.
        meta (dict): The frame's metainfo (``img_shape``, ``ori_shape``).
        pad_shape (Sequence[int]): The padded input (H, W).

    Returns:
        Tensor: (K, H0, W0) logits.
    """
    logits = F.interpolate(
        logits[None], tuple(pad_shape), mode='bilinear', align_corners=False)
    img_h, img_w = meta.get('img_shape', pad_shape)[:2]
    logits = logits[..., :img_h, :img_w]
    ori_h, ori_w = meta.get('ori_shape', (img_h, img_w))[:2]
    if (ori_h, ori_w) != (img_h, img_w):
        logits = F.interpolate(
            logits, (ori_h, ori_w), mode='bilinear', align_corners=False)
    return logits[0]
