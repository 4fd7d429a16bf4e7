# Copyright (c) OpenMMLab. All rights reserved.
from mmseg.datasets import CityscapesDataset

from mmvidseg.registry import DATASETS
from .video_sequence import VideoSequenceDataset

#: The 19 Cityscapes training classes (KITTI-STEP and Cityscapes-(D)VPS
#: use them in this order), taken from mmseg.
CITYSCAPES_CLASSES = tuple(CityscapesDataset.METAINFO['classes'])
CITYSCAPES_PALETTE = [list(c) for c in CityscapesDataset.METAINFO['palette']]


@DATASETS.register_module()
class KITTISTEPDataset(VideoSequenceDataset):
    """`KITTI-STEP <https://www.cvlibs.net/datasets/kitti/eval_step.php>`_
    video panoptic segmentation, in the ``video_sequence`` layout that
    Video K-Net and Tube-Link train on::

        data_root/video_sequence/{train,val}/
            {seq:06d}_{frame:06d}_leftImg8bit.png
            {seq:06d}_{frame:06d}_panoptic.png    # RGB: R = class id
                                                  # (255 void), instance
                                                  # id = G * 256 + B

    19 Cityscapes classes; only ``person`` and ``car`` are things. Decode
    the annotations with ``LoadPanopticMap(format='kitti_step')``. A
    sequence's frame numbers must count up by one and every panoptic map
    must have its frame (see :class:`VideoSequenceDataset`).

    Args:
        data_prefix (dict): ``img_path``: the split folder. Defaults to
            ``dict(img_path='video_sequence/val')``.
        with_gt (bool): Whether ``*_panoptic.png`` files exist (False for
            the test split). Defaults to True.
        **kwargs: See :class:`~mmvidseg.datasets.BaseVideoDataset`;
            ``metainfo`` may replace ``classes`` / ``thing_classes`` (e.g.
            the toy classes).
    """

    METAINFO = dict(
        classes=CITYSCAPES_CLASSES,
        thing_classes=('person', 'car'),
        palette=CITYSCAPES_PALETTE)
    ANN_SUFFIXES = ('_panoptic.png', )

    def frame_annotations(self, stem: str, where: str) -> dict:
        """``pan_map_path`` (with ``with_gt``)."""
        if not self.with_gt:
            return {}
        return dict(
            pan_map_path=self.require_file(stem +
                                           '_panoptic.png', 'panoptic map ' +
                                           where))
