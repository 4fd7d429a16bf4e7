# Copyright (c) OpenMMLab. All rights reserved.
"""Areas and grouped pairwise intersections of COCO compressed RLE masks.

Evaluation helper for mask AP over videos (YouTube-VIS): every predicted
and ground-truth mask of the same (video, category, frame) group is
intersected, and every mask's area is needed. The C++ kernel
(``csrc/rle.cpp``) decodes each compressed string once and computes both,
in parallel over the groups; the reference decodes with pycocotools.
"""
from typing import List, Sequence, Tuple, Union

import numpy as np
import torch

from ..utils import load_ext

RLECounts = Union[str, bytes]


class InvalidRLEError(ValueError):
    """A mask that is not a valid compressed RLE of its size.

    Attributes:
        index (int): The index of the first such mask in the input.
    """

    def __init__(self, index: int, message: str):
        super().__init__(message)
        self.index = index


def _as_str(counts: Sequence[RLECounts]) -> List[str]:
    return [c.decode('ascii') if isinstance(c, bytes) else c for c in counts]


def _groups(key: np.ndarray, is_gt: np.ndarray) -> List[np.ndarray]:
    """Mask indices per key >= 0, ascending key, ground truth first (stable
    within each side)."""
    sel = np.flatnonzero(key >= 0)
    order = sel[np.lexsort((~is_gt[sel], key[sel]))]
    bounds = np.flatnonzero(np.diff(key[order])) + 1
    return np.split(order, bounds) if order.size else []


def area_and_intersections(
        counts: Sequence[RLECounts], heights: Sequence[int],
        widths: Sequence[int], key: Sequence[int], is_gt: Sequence[bool]
) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Areas of all masks and the intersections of the pairs in each group.

    Args:
        counts (Sequence[str | bytes]): (M) compressed RLE ``counts`` (the
            pycocotools string form).
        heights (Sequence[int]): (M,) mask heights; ``widths`` (M,) widths.
        key (Sequence[int]): (M,) group of each mask: masks with the same
            key >= 0 are paired, ground truth x prediction (they must be
            of the same size); key < 0 means area only.
        is_gt (Sequence[bool]): (M,) whether each mask is ground truth.

    Returns:
        tuple: ``area`` (M,), ``pair_gt`` (P,), ``pair_dt`` (P,) and
        ``inter`` (P,), int64 numpy arrays: every (ground truth,
        prediction) pair of each group as mask indices, grouped by
        ascending key, in input order within a group.

    Raises:
        InvalidRLEError: A string that does not decode or whose runs do not
            cover ``height * width`` pixels (``.index``: the first such
            mask).
        ValueError: A group mixing sizes.
    """
    key = np.asarray(key, np.int64)
    is_gt = np.asarray(is_gt, bool)
    heights = np.asarray(heights, np.int64)
    widths = np.asarray(widths, np.int64)
    _check_group_sizes(key, heights, widths)
    ext = load_ext('rle')
    if ext is None:
        return area_and_intersections_reference(counts, heights, widths, key,
                                                is_gt)
    area, pg, pd, inter, bad = ext.area_and_intersections(
        _as_str(counts), torch.from_numpy(heights * widths),
        torch.from_numpy(key),
        torch.from_numpy(is_gt))
    if int(bad[0]) >= 0:
        raise _bad(int(bad[0]), heights, widths)
    return area.numpy(), pg.numpy(), pd.numpy(), inter.numpy()


def _check_group_sizes(key: np.ndarray, heights: np.ndarray,
                       widths: np.ndarray) -> None:
    """Raise if two masks of one group differ in size."""
    sel = np.flatnonzero(key >= 0)
    order = sel[np.argsort(key[sel], kind='stable')]
    k, h, w = key[order], heights[order], widths[order]
    clash = np.flatnonzero((k[1:] == k[:-1]) & ((h[1:] != h[:-1])
                                                | (w[1:] != w[:-1])))
    if clash.size:
        a, b = order[clash[0]], order[clash[0] + 1]
        raise ValueError(f'masks {a} and {b} are paired but have different '
                         f'sizes ({h[clash[0]]}x{w[clash[0]]} and '
                         f'{h[clash[0] + 1]}x{w[clash[0] + 1]})')


def _bad(m: int, heights, widths) -> InvalidRLEError:
    return InvalidRLEError(
        m, f'mask {m} is not a valid compressed RLE of size '
        f'{int(heights[m])}x{int(widths[m])} (its counts do not decode to '
        f'runs covering that many pixels)')


def area_and_intersections_reference(
        counts: Sequence[RLECounts], heights: Sequence[int],
        widths: Sequence[int], key: Sequence[int], is_gt: Sequence[bool]
) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`area_and_intersections` with pycocotools ``decode`` and
    numpy (dense masks; slow, for tests and machines without the kernel).
    """
    from pycocotools import mask as mask_utils
    key = np.asarray(key, np.int64)
    is_gt = np.asarray(is_gt, bool)
    _check_group_sizes(key, np.asarray(heights, np.int64),
                       np.asarray(widths, np.int64))

    def dense(m):
        h, w = int(heights[m]), int(widths[m])
        c = counts[m]
        runs = _decode_counts(c if isinstance(c, bytes) else c.encode())
        if runs is None or sum(runs) != h * w:
            raise _bad(m, heights, widths)
        return mask_utils.decode(dict(size=[h, w], counts=c)).astype(bool)

    M = len(counts)
    area = np.zeros(M, np.int64)
    masks = {}
    for m in range(M):
        mask = dense(m)
        area[m] = int(mask.sum())
        if key[m] >= 0:
            masks[m] = mask
    pg, pd, inter = [], [], []
    for grp in _groups(key, is_gt):
        g_side, d_side = grp[is_gt[grp]], grp[~is_gt[grp]]
        for g in g_side.tolist():
            for d in d_side.tolist():
                pg.append(g)
                pd.append(d)
                inter.append(int((masks[g] & masks[d]).sum()))
    as_arr = lambda x: np.array(x, np.int64)  # noqa: E731
    return area, as_arr(pg), as_arr(pd), as_arr(inter)


def _decode_counts(s: bytes):
    """Runs of a compressed RLE string in pure Python (None if malformed)."""
    runs, p, n = [], 0, len(s)
    while p < n:
        x = k = 0
        more = True
        while more:
            if p >= n:
                return None
            c = s[p] - 48
            if not 0 <= c <= 63:
                return None
            x |= (c & 0x1f) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and c & 0x10:
                x |= -1 << (5 * k)
        if len(runs) > 2:
            x += runs[-2]
        if x < 0:
            return None
        runs.append(x)
    return runs
