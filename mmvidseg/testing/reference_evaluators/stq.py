# Copyright (c) OpenMMLab. All rights reserved.
"""deeplab2's numpy ``STQuality`` algorithm, as plain loops (test oracle)."""
from typing import Dict, Sequence

import numpy as np


class STQReference:
    """deeplab2's numpy ``STQuality`` algorithm (weights = None).

    Args:
        num_classes (int): Number of semantic classes.
        things_list (Sequence[int]): Class ids of things.
        ignore_label (int): Semantic id of void.
        label_bit_shift (int): Bits of the instance id.
        offset (int): Multiplier of the ground-truth id in the pair ids.
    """

    def __init__(self, num_classes: int, things_list: Sequence[int],
                 ignore_label: int, label_bit_shift: int, offset: int):
        self.nc = num_classes
        self.ignore = ignore_label
        self.things = list(things_list)
        self.shift = label_bit_shift
        self.mask = 2**label_bit_shift - 1
        if ignore_label >= num_classes:
            self.size = num_classes + 1
            self.include = np.arange(num_classes)
        else:
            self.size = num_classes
            self.include = np.array(
                [i for i in range(num_classes) if i != ignore_label])
        self.offset = offset
        self.conf, self.preds, self.gts, self.inters = {}, {}, {}, {}

    @staticmethod
    def _update(stat: dict, ids: np.ndarray) -> None:
        uniq, counts = np.unique(ids, return_counts=True)
        for i, c in zip(uniq, counts.astype(np.float32)):
            if i in stat:
                stat[i] += c * 1.0
            else:
                stat[i] = c * 1.0

    def update_state(self, y_true: np.ndarray, y_pred: np.ndarray,
                     seq=0) -> None:
        """Add a frame of sequence ``seq``.

        Args:
            y_true (np.ndarray): (H, W) ground truth ``(semantic << shift)
                + instance``.
            y_pred (np.ndarray): (H, W) prediction, same encoding.
            seq: Sequence id.
        """
        y_true = y_true.astype(np.int64)
        y_pred = y_pred.astype(np.int64)
        st, sp = y_true >> self.shift, y_pred >> self.shift
        if self.ignore > self.nc:
            st = np.where(st != self.ignore, st, self.nc)
            sp = np.where(sp != self.ignore, sp, self.nc)
        if seq not in self.conf:
            self.conf[seq] = np.zeros((self.size, self.size), np.float64)
            self.preds[seq], self.gts[seq], self.inters[seq] = {}, {}, {}
        idx = (st.ravel() << self.shift) + sp.ravel()
        uniq, counts = np.unique(idx, return_counts=True)
        self.conf[seq][uniq >> self.shift, uniq & self.mask] += counts
        inst = y_true & self.mask
        lm = np.zeros(st.shape, bool)
        pm = np.zeros(sp.shape, bool)
        for t in self.things:
            lm |= st == t
            pm |= sp == t
        crowd = (inst == 0) & lm
        lm &= ~crowd
        pm &= ~crowd
        self._update(self.preds[seq], y_pred[pm])
        self._update(self.gts[seq], y_true[lm])
        both = lm & pm
        self._update(self.inters[seq],
                     y_true[both] * self.offset + y_pred[both])

    def _aq(self) -> float:
        """AQ: the summed per-sequence AQ over the number of tubes."""
        aq, tubes = [], []
        for seq in self.gts:
            outer = 0.0
            preds, gts, inters = self.preds[seq], self.gts[seq], \
                self.inters[seq]
            for gid, gsize in gts.items():
                inner = 0.0
                for pid, psize in preds.items():
                    key = self.offset * gid + pid
                    if key in inters:
                        tpa = inters[key]
                        fpa = psize - tpa
                        fna = gsize - tpa
                        inner += tpa * (tpa / (tpa + fpa + fna))
                outer += 1.0 / gsize * inner
            aq.append(outer)
            tubes.append(len(gts))
        return np.sum(aq) / np.maximum(np.sum(tubes), 1e-15)

    def result(self) -> Dict[str, float]:
        """``STQ``, ``AQ`` and ``SQ`` (the official ``IoU``)."""
        aq_mean = self._aq()
        total = np.zeros((self.size, self.size))
        for conf in self.conf.values():
            keep = np.zeros_like(conf)
            keep[self.include, :] = 1.0
            total += conf * keep
        inter = total.diagonal()
        unions = inter + (total.sum(0) - inter) + (total.sum(1) - inter)
        n = np.count_nonzero(unions)
        iou = np.sum(inter / np.maximum(unions, 1e-15)) / n
        return {'STQ': float(np.sqrt(aq_mean * iou)), 'AQ': float(aq_mean),
                'SQ': float(iou)}
