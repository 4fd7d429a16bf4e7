# Copyright (c) OpenMMLab. All rights reserved.
import os.path as osp
from typing import List, Optional

from mmvidseg.registry import DATASETS
from .utils import VideoDatasetError
from .video_sequence import DepthVideoSequenceDataset

#: SemanticKITTI's 19 training classes in train-id order; the first 8 are
#: things.
SEMKITTI_CLASSES = ('car', 'bicycle', 'motorcycle', 'truck', 'other-vehicle',
                    'person', 'bicyclist', 'motorcyclist', 'road', 'parking',
                    'sidewalk', 'other-ground', 'building', 'fence',
                    'vegetation', 'trunk', 'terrain', 'pole', 'traffic-sign')


@DATASETS.register_module()
class SemKITTIDVPSDataset(DepthVideoSequenceDataset):
    """SemKITTI-DVPS depth-aware video panoptic segmentation
    (`ViP-DeepLab <https://arxiv.org/abs/2012.05258>`_), as released::

        data_root/video_sequence/{train,val}/
            {seq:06d}_{frame:06d}_leftImg8bit.png
            {seq:06d}_{frame:06d}_gtFine_class.png      # uint8, 255 void
            {seq:06d}_{frame:06d}_gtFine_instance.png   # uint16, 0 stuff
            {seq:06d}_{frame:06d}_depth_<focal>.png     # uint16 metres*256

    The focal length in pixels is parsed from the depth file name into each
    frame's ``focal_length``. Decode with
    ``LoadPanopticMap(format='semkitti_dvps')`` and ``LoadDepthMap()``. A
    sequence's frame numbers must count up by one and every class,
    instance or depth map must have its frame (see
    :class:`~mmvidseg.datasets.video_sequence.VideoSequenceDataset`).

    Args:
        data_prefix (dict): ``img_path``: the split folder. Defaults to
            ``dict(img_path='video_sequence/val')``.
        with_gt (bool): Whether class/instance maps exist. Defaults to True.
        with_depth (bool): Whether depth maps exist. Defaults to True.
        **kwargs: See :class:`~mmvidseg.datasets.BaseVideoDataset`.
    """

    METAINFO = dict(
        classes=SEMKITTI_CLASSES,
        thing_classes=SEMKITTI_CLASSES[:8],
        palette=None)
    ANN_SUFFIXES = ('_gtFine_class.png', '_gtFine_instance.png')

    def annotation_frame(self, name: str) -> Optional[str]:
        """The frame of a class, instance or ``_depth_<focal>.png`` file."""
        if '_depth_' in name and name.endswith('.png'):
            return name.split('_depth_', 1)[0] + self.IMG_SUFFIX
        return super().annotation_frame(name)

    def _depth_files(self, folder: str) -> dict:
        """``{frame stem: (depth file, focal length)}`` of a split folder."""
        found = {}
        for name in self.list_files(folder, ('.png', ), 'sequence folder'):
            if '_depth_' not in name:
                continue
            prefix, focal = name[:-4].split('_depth_', 1)
            try:
                focal = float(focal)
            except ValueError:
                raise VideoDatasetError(
                    f'{osp.join(folder, name)}: the name must end with '
                    f'_depth_<focal length>.png, got "{focal}"') from None
            stem = osp.join(folder, prefix)
            if stem in found:
                raise VideoDatasetError(
                    f'{stem}_leftImg8bit.png has two depth maps: '
                    f'{found[stem][0]} and {osp.join(folder, name)}')
            found[stem] = (osp.join(folder, name), focal)
        return found

    def load_data_list(self) -> List[dict]:
        self._depths = self._depth_files(self.data_prefix['img_path']) \
            if self.with_depth else {}
        return super().load_data_list()

    def frame_annotations(self, stem: str, where: str) -> dict:
        """``seg_map_path`` and ``inst_map_path`` (``with_gt``),
        ``depth_map_path`` and ``focal_length`` (``with_depth``)."""
        info = {}
        if self.with_gt:
            info['seg_map_path'] = self.require_file(
                stem + '_gtFine_class.png', 'class map ' + where)
            info['inst_map_path'] = self.require_file(
                stem + '_gtFine_instance.png', 'instance map ' + where)
        if self.with_depth:
            if stem not in self._depths:
                raise FileNotFoundError(f'depth map {where[:-1]}: no file '
                                        f'{stem}_depth_<focal>.png')
            info['depth_map_path'], info['focal_length'] = self._depths[stem]
        return info
