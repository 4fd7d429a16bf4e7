# Copyright (c) OpenMMLab. All rights reserved.
"""Moving maps between frames with optical flow, and object-centred patches.

Only *forward* flows ``F_t`` (frame t -> t + 1, defined on frame t's pixel
grid, (dx, dy) in pixels) are needed, as the DAVIS ``Flow/`` folders hold:

* :func:`splat_forward` moves a map of frame t to frame t + 1 (bilinear
  forward splatting, normalised by the splatted weight);
* :func:`warp_backward` moves a map of frame t + 1 to frame t (bilinear
  sampling of frame t + 1 at ``p + F_t(p)``).

:func:`crop_patches` / :func:`paste_patches` cut boxes out of frames at a
fixed patch size and put patch predictions back, both with
``grid_sample`` so that they are exact inverses up to interpolation.
"""
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


def splat_forward(x: Tensor,
                  flow: Tensor,
                  normalize: bool = True,
                  eps: float = 1e-3) -> Tensor:
    """Forward-warp ``x`` (frame t) to frame t + 1 with the flow of frame t.

    Each source pixel spreads its value bilinearly to the four pixels around
    ``p + F(p)``. With ``normalize`` a target pixel gets the weighted mean
    of what landed on it (0 where (almost) nothing did): right for dense
    maps such as flow. Without, it gets the sum, clamped to [0, 1]: right
    for masks, where the background that an object covers must not dilute
    it (a whole-pixel shift of a 0/1 mask is then exact).

    Args:
        x (Tensor): Maps of frame t, shape (N, C, H, W).
        flow (Tensor): Forward flow of frame t, (N, 2, H, W), pixels.
        normalize (bool): Weighted mean (True) or clamped sum (False).
            Defaults to True.
        eps (float): Minimum splatted weight of a covered pixel.

    Returns:
        Tensor: Shape (N, C, H, W), the maps in frame t + 1.
    """
    n, c, h, w = x.shape
    if flow.shape != (n, 2, h, w):
        raise ValueError(f'flow of shape {tuple(flow.shape)} does not match '
                         f'maps of shape {tuple(x.shape)}')
    ys, xs = torch.meshgrid(
        torch.arange(h, dtype=x.dtype, device=x.device),
        torch.arange(w, dtype=x.dtype, device=x.device),
        indexing='ij')
    tx = xs + flow[:, 0]
    ty = ys + flow[:, 1]
    x0, y0 = tx.floor(), ty.floor()
    out = x.new_zeros(n, c, h * w)
    weight = x.new_zeros(n, 1, h * w)
    src = x.flatten(2)
    for dx in (0, 1):
        for dy in (0, 1):
            cx, cy = x0 + dx, y0 + dy
            wgt = (1 - (tx - cx).abs()) * (1 - (ty - cy).abs())
            inside = (cx >= 0) & (cx < w) & (cy >= 0) & (cy < h)
            wgt = (wgt * inside).flatten(1).unsqueeze(1)
            idx = (cy.clamp(0, h - 1) * w + cx.clamp(0, w - 1)).long()
            idx = idx.flatten(1).unsqueeze(1)
            out.scatter_add_(2, idx.expand(n, c, -1), src * wgt)
            weight.scatter_add_(2, idx, wgt)
    if normalize:
        out = torch.where(weight > eps, out / weight.clamp(min=eps),
                          torch.zeros_like(out))
    else:
        out = out.clamp(0, 1)
    return out.view(n, c, h, w)


def warp_backward(x: Tensor, flow: Tensor) -> Tensor:
    """Backward-warp ``x`` (frame t + 1) to frame t with the flow of frame t.

    Args:
        x (Tensor): Maps of frame t + 1, shape (N, C, H, W).
        flow (Tensor): Forward flow of frame t, (N, 2, H, W), pixels.

    Returns:
        Tensor: Shape (N, C, H, W): ``x`` sampled at ``p + F(p)`` (zeros
        outside the frame).
    """
    n, _, h, w = x.shape
    if flow.shape != (n, 2, h, w):
        raise ValueError(f'flow of shape {tuple(flow.shape)} does not match '
                         f'maps of shape {tuple(x.shape)}')
    ys, xs = torch.meshgrid(
        torch.arange(h, dtype=x.dtype, device=x.device),
        torch.arange(w, dtype=x.dtype, device=x.device),
        indexing='ij')
    gx = (2 * (xs + flow[:, 0]) + 1) / w - 1
    gy = (2 * (ys + flow[:, 1]) + 1) / h - 1
    grid = torch.stack([gx, gy], dim=-1)
    return F.grid_sample(
        x, grid, mode='bilinear', padding_mode='zeros', align_corners=False)


def motion_fields(flows: Tensor) -> Tensor:
    """One flow map aligned with every frame of a video.

    Frame t < T - 1 gets its forward flow ``F_t``; the last frame, which
    has none, gets ``F_{T-2}`` splatted forward onto it.

    Args:
        flows (Tensor): Forward flows, shape (T - 1, 2, H, W).

    Returns:
        Tensor: Shape (T, 2, H, W).
    """
    if flows.size(0) == 0:
        raise ValueError('a video of one frame has no motion')
    last = splat_forward(flows[-1:], flows[-1:])
    return torch.cat([flows, last])


def mask_boxes(masks: Tensor, thr: float = 0.5) -> Tuple[Tensor, Tensor]:
    """Tight (x1, y1, x2, y2) boxes (exclusive ends) of masks.

    Args:
        masks (Tensor): Shape (N, H, W), probabilities or 0/1.
        thr (float): Foreground threshold.

    Returns:
        tuple:
        - boxes (Tensor): Shape (N, 4), float; zeros for empty masks.
        - valid (Tensor): Shape (N, ), bool, whether a mask is non-empty.
    """
    fg = masks > thr
    rows, cols = fg.any(2), fg.any(1)
    valid = rows.any(1)
    h, w = masks.shape[-2:]
    ar_h = torch.arange(h, device=masks.device)
    ar_w = torch.arange(w, device=masks.device)
    y1 = torch.where(rows, ar_h, h).amin(1)
    y2 = torch.where(rows, ar_h, -1).amax(1) + 1
    x1 = torch.where(cols, ar_w, w).amin(1)
    x2 = torch.where(cols, ar_w, -1).amax(1) + 1
    boxes = torch.stack([x1, y1, x2, y2], dim=1).float()
    return boxes * valid[:, None], valid


def expand_boxes(boxes: Tensor, ratio, min_size: float = 8.0) -> Tensor:
    """Grow (N, 4) boxes about their centres by ``ratio`` (float or (N, )
    tensor), each side at least ``min_size`` pixels."""
    ctr = (boxes[:, :2] + boxes[:, 2:]) / 2
    half = ((boxes[:, 2:] - boxes[:, :2]) * torch.as_tensor(
        ratio, dtype=boxes.dtype, device=boxes.device).reshape(-1, 1)).clamp(
            min=min_size) / 2
    return torch.cat([ctr - half, ctr + half], dim=1)


def _patch_grid(boxes: Tensor, size: Tuple[int, int],
                frame: Tuple[int, int]) -> Tensor:
    """Sampling grid (N, h, w, 2) of each box's patch in frame coords."""
    h, w = size
    fh, fw = frame
    dev, dt = boxes.device, boxes.dtype
    u = (torch.arange(w, device=dev, dtype=dt) + 0.5) / w
    v = (torch.arange(h, device=dev, dtype=dt) + 0.5) / h
    px = boxes[:, 0:1] + u[None] * (boxes[:, 2:3] - boxes[:, 0:1])
    py = boxes[:, 1:2] + v[None] * (boxes[:, 3:4] - boxes[:, 1:2])
    gx = (2 * px / fw - 1)[:, None, :].expand(-1, h, -1)
    gy = (2 * py / fh - 1)[:, :, None].expand(-1, -1, w)
    return torch.stack([gx, gy], dim=-1)


def crop_patches(x: Tensor, boxes: Tensor, size: Tuple[int, int],
                 mode: str = 'bilinear') -> Tensor:
    """Cut box ``i`` out of map ``i`` and resize it to ``size``.

    Args:
        x (Tensor): Maps, shape (N, C, H, W).
        boxes (Tensor): (N, 4) float (x1, y1, x2, y2) in pixels (may leave
            the frame: outside is zero).
        size (tuple): Patch (h, w).
        mode (str): ``grid_sample`` mode.

    Returns:
        Tensor: Shape (N, C, h, w).
    """
    grid = _patch_grid(boxes, size, x.shape[-2:])
    return F.grid_sample(
        x, grid, mode=mode, padding_mode='zeros', align_corners=False)


def paste_patches(patches: Tensor, boxes: Tensor,
                  frame: Tuple[int, int]) -> Tensor:
    """Put (N, C, h, w) patches back at their (N, 4) boxes in frames of size
    ``frame`` (H, W); zero outside the boxes.

    Returns:
        Tensor: Shape (N, C, H, W).
    """
    fh, fw = frame
    h, w = patches.shape[-2:]
    dev, dt = patches.device, patches.dtype
    xs = torch.arange(fw, device=dev, dtype=dt) + 0.5
    ys = torch.arange(fh, device=dev, dtype=dt) + 0.5
    bw = (boxes[:, 2] - boxes[:, 0]).clamp(min=1e-3)
    bh = (boxes[:, 3] - boxes[:, 1]).clamp(min=1e-3)
    gx = 2 * (xs[None] - boxes[:, 0:1]) / bw[:, None] - 1
    gy = 2 * (ys[None] - boxes[:, 1:2]) / bh[:, None] - 1
    grid = torch.stack([
        gx[:, None, :].expand(-1, fh, -1), gy[:, :, None].expand(-1, -1, fw)
    ], dim=-1)
    return F.grid_sample(
        patches, grid, mode='bilinear', padding_mode='zeros',
        align_corners=False)
