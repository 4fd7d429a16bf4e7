# Copyright (c) OpenMMLab. All rights reserved.
from mmvidseg.registry import DATASETS
from .kitti_step import CITYSCAPES_CLASSES, CITYSCAPES_PALETTE
from .video_sequence import DepthVideoSequenceDataset


@DATASETS.register_module()
class CityscapesDVPSDataset(DepthVideoSequenceDataset):
    """Cityscapes-DVPS depth-aware video panoptic segmentation
    (`ViP-DeepLab <https://arxiv.org/abs/2012.05258>`_), as released::

        data_root/video_sequence/{train,val}/
            {seq}_{frame}_{city}_{seq}_{frame}_leftImg8bit.png
            ..._gtFine_instanceTrainIds.png   # uint16, class * 1000 +
                                              # instance; 32000 void
            ..._depth.png                     # uint16, metres * 256,
                                              # 0 = no depth

    The sequence and frame come from the first two fields of the name; a
    sequence's frame numbers must count up by one and every panoptic or
    depth map must have its frame (see
    :class:`~mmvidseg.datasets.video_sequence.VideoSequenceDataset`).
    19 Cityscapes classes, 8 things (person ... bicycle). Decode with
    ``LoadPanopticMap(format='cityscapes_dvps')`` and ``LoadDepthMap()``.

    Args:
        data_prefix (dict): ``img_path``: the split folder. Defaults to
            ``dict(img_path='video_sequence/val')``.
        with_gt (bool): Whether panoptic maps exist. Defaults to True.
        with_depth (bool): Whether depth maps exist. Defaults to True.
        **kwargs: See :class:`~mmvidseg.datasets.BaseVideoDataset`.
    """

    METAINFO = dict(
        classes=CITYSCAPES_CLASSES,
        thing_classes=CITYSCAPES_CLASSES[11:],
        palette=CITYSCAPES_PALETTE)
    ANN_SUFFIXES = ('_gtFine_instanceTrainIds.png', '_depth.png')

    def frame_annotations(self, stem: str, where: str) -> dict:
        """``pan_map_path`` (``with_gt``), ``depth_map_path``
        (``with_depth``)."""
        info = {}
        if self.with_gt:
            info['pan_map_path'] = self.require_file(
                stem + '_gtFine_instanceTrainIds.png', 'panoptic map ' + where)
        if self.with_depth:
            info['depth_map_path'] = self.require_file(stem + '_depth.png',
                                                       'depth map ' + where)
        return info
