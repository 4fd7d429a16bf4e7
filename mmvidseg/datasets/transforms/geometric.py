# Copyright (c) OpenMMLab. All rights reserved.
"""Resize / crop / flip that also move mmvidseg's dense annotations.

mmdet's ``Resize``, ``RandomCrop`` and ``RandomFlip`` handle the image,
boxes, instance masks and ``gt_seg_map`` only. The subclasses here apply the
same geometry to the other dense maps a video sample may carry:

* ``gt_panoptic_map`` (H, W) panoptic ids: nearest neighbour;
* ``gt_depth_map`` (H, W) metres: nearest neighbour (no mixing of valid
  depth with the 0 "no depth" value; depth values are not rescaled);
* ``gt_flow_map`` (H, W, 2) forward flow in pixels: nearest neighbour, the
  vectors scaled with the image on resize and negated along the flip axis.

Boxes may be numpy (N, 4) arrays, the form mmdet's tracking pipeline
(``LoadTrackAnnotations``, ``PackTrackInputs``) and mmvidseg's loaders use:
they are wrapped in ``HorizontalBoxes`` for mmdet's code and handed back as
numpy arrays.

They are registered in the ``mmvidseg`` scope under mmdet's names, so a
config in that scope writes ``type='Resize'`` (or mmcv's ``RandomResize``,
whose default ``resize_type='Resize'`` then resolves to this class) and
gets every map moved. Use them inside ``TransformBroadcaster`` with
``share_random_params=True`` so that all frames of a clip share the crop
and flip.
"""
from typing import Optional, Tuple

import mmcv
import numpy as np
from mmdet.datasets.transforms import RandomCrop as MMDetRandomCrop
from mmdet.datasets.transforms import RandomFlip as MMDetRandomFlip
from mmdet.datasets.transforms import Resize as MMDetResize
from mmdet.structures.bbox import HorizontalBoxes

from mmvidseg.registry import TRANSFORMS

#: Dense per-pixel maps handled here besides mmdet's ``gt_seg_map``.
DENSE_KEYS = ('gt_panoptic_map', 'gt_depth_map', 'gt_flow_map')


def _wrap_boxes(results: dict) -> bool:
    """Wrap numpy ``gt_bboxes`` in ``HorizontalBoxes``; True if wrapped."""
    boxes = results.get('gt_bboxes')
    if isinstance(boxes, np.ndarray):
        results['gt_bboxes'] = HorizontalBoxes(boxes.reshape(-1, 4))
        return True
    return False


def _unwrap_boxes(results: Optional[dict], wrapped: bool) -> Optional[dict]:
    """Undo :func:`_wrap_boxes`."""
    if results is not None and wrapped and 'gt_bboxes' in results:
        results['gt_bboxes'] = results['gt_bboxes'].numpy().astype(
            np.float32)
    return results


@TRANSFORMS.register_module()
class Resize(MMDetResize):
    """mmdet's ``Resize`` that also resizes :data:`DENSE_KEYS`.

    Args: see mmdet's ``Resize`` (``scale``, ``scale_factor``,
        ``keep_ratio``, ...).
    """

    def transform(self, results: dict) -> dict:
        wrapped = _wrap_boxes(results)
        results = _unwrap_boxes(super().transform(results), wrapped)
        height, width = results['img_shape'][:2]
        for key in DENSE_KEYS:
            value = results.get(key)
            if value is None:
                continue
            old_h, old_w = value.shape[:2]
            resized = mmcv.imresize(
                value, (width, height),
                interpolation='nearest',
                backend=self.backend)
            if key == 'gt_flow_map':
                resized = resized * np.array(
                    [width / old_w, height / old_h], np.float32)
            results[key] = resized
        return results


@TRANSFORMS.register_module()
class RandomCrop(MMDetRandomCrop):
    """mmdet's ``RandomCrop`` that also crops :data:`DENSE_KEYS`.

    The crop window is the one mmdet chose (recovered from the translation
    it records in ``homography_matrix``), so the random offset is drawn once
    and shared by ``TransformBroadcaster``.

    Args: see mmdet's ``RandomCrop``. In video pipelines set
        ``allow_negative_crop=True``: a frame whose crop holds no box would
        otherwise make the whole sample None.
    """

    def transform(self, results: dict) -> Optional[dict]:
        wrapped = _wrap_boxes(results)
        return _unwrap_boxes(super().transform(results), wrapped)

    def _crop_data(self, results: dict, crop_size: Tuple[int, int],
                   allow_negative_crop: bool) -> Optional[dict]:
        before = results.pop('homography_matrix', None)
        results = super()._crop_data(results, crop_size, allow_negative_crop)
        if results is None:
            return None
        crop = results['homography_matrix']  # the pure crop translation
        if before is not None:
            results['homography_matrix'] = crop @ before
        x1, y1 = int(round(-crop[0, 2])), int(round(-crop[1, 2]))
        height, width = results['img_shape'][:2]
        for key in DENSE_KEYS:
            if results.get(key) is not None:
                results[key] = results[key][y1:y1 + height, x1:x1 + width]
        return results


@TRANSFORMS.register_module()
class RandomFlip(MMDetRandomFlip):
    """mmdet's ``RandomFlip`` that also flips :data:`DENSE_KEYS`.

    Args: see mmdet's ``RandomFlip`` (``prob``, ``direction``).
    """

    def transform(self, results: dict) -> dict:
        wrapped = _wrap_boxes(results)
        return _unwrap_boxes(super().transform(results), wrapped)

    def _flip(self, results: dict) -> None:
        super()._flip(results)
        direction = results['flip_direction']
        for key in DENSE_KEYS:
            value = results.get(key)
            if value is None:
                continue
            flipped = mmcv.imflip(value, direction=direction).copy()
            if key == 'gt_flow_map':
                if direction in ('horizontal', 'diagonal'):
                    flipped[..., 0] *= -1
                if direction in ('vertical', 'diagonal'):
                    flipped[..., 1] *= -1
            results[key] = flipped
