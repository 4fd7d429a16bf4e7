# Copyright (c) OpenMMLab. All rights reserved.
"""DAVIS 2016-style annotations: every object is the one foreground."""
import numpy as np
from mmcv.transforms import BaseTransform

from mmvidseg.datasets.transforms.loading import _set_instances
from mmvidseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class BinarizeVOSAnnotation(BaseTransform):
    """Merge the object ids of ``results['gt_seg_map']`` into one
    foreground (1); background stays 0 and ``ignore_index`` stays.

    DAVIS 2016 (single object, unsupervised) scores the union of the
    objects; apply this after ``LoadVOSAnnotation`` on DAVIS 2017-style
    data. The instance keys (``gt_masks``, ``gt_instances_ids``...), which
    ``DAVISMetric`` reads before ``gt_sem_seg``, become one instance (id 1)
    or none, and the first frame's ``ref_object_ids`` become ``[1]`` when
    the frame has any foreground.

    Args:
        ignore_index (int): Void label kept as is. Defaults to 255.
    """

    def __init__(self, ignore_index: int = 255) -> None:
        self.ignore_index = ignore_index

    def transform(self, results: dict) -> dict:
        if 'gt_seg_map' not in results:
            raise KeyError('BinarizeVOSAnnotation needs gt_seg_map: put it '
                           'after LoadVOSAnnotation')
        ids = results['gt_seg_map']
        out = ((ids > 0) & (ids != self.ignore_index)).astype(ids.dtype)
        out[ids == self.ignore_index] = self.ignore_index
        results['gt_seg_map'] = out
        if 'gt_masks' in results:
            fg = out == 1
            masks = fg[None] if fg.any() else np.zeros((0, ) + fg.shape, bool)
            _set_instances(results, masks, np.zeros(len(masks), np.int64),
                           np.ones(len(masks), np.int64))
        if 'ref_object_ids' in results:
            results['ref_object_ids'] = [1] if (out == 1).any() else []
        return results
