# Copyright (c) OpenMMLab. All rights reserved.
import os
import os.path as osp
from typing import List

from mmvidseg.registry import DATASETS
from .base_video_dataset import BaseVideoDataset, VideoDatasetError
from .utils import (check_thing_classes, frame_record, scan_sequence_folder,
                    video_record)

#: SemanticKITTI's 19 training classes in train-id order; the first 8 are
#: things.
SEMKITTI_CLASSES = ('car', 'bicycle', 'motorcycle', 'truck', 'other-vehicle',
                    'person', 'bicyclist', 'motorcyclist', 'road', 'parking',
                    'sidewalk', 'other-ground', 'building', 'fence',
                    'vegetation', 'trunk', 'terrain', 'pole', 'traffic-sign')


@DATASETS.register_module()
class SemKITTIDVPSDataset(BaseVideoDataset):
    """SemKITTI-DVPS depth-aware video panoptic segmentation
    (`ViP-DeepLab <https://arxiv.org/abs/2012.05258>`_), as released::

        data_root/video_sequence/{train,val}/
            {seq:06d}_{frame:06d}_leftImg8bit.png
            {seq:06d}_{frame:06d}_gtFine_class.png      # uint8, 255 void
            {seq:06d}_{frame:06d}_gtFine_instance.png   # uint16, 0 stuff
            {seq:06d}_{frame:06d}_depth_<focal>.png     # uint16 metres*256

    The focal length in pixels is parsed from the depth file name into each
    frame's ``focal_length``. Decode with
    ``LoadPanopticMap(format='semkitti_dvps')`` and ``LoadDepthMap()``.

    Args:
        data_prefix (dict): ``img_path``: the split folder. Defaults to
            ``dict(img_path='video_sequence/val')``.
        with_gt (bool): Whether class/instance maps exist. Defaults to True.
        with_depth (bool): Whether depth maps exist. Defaults to True.
        **kwargs: See :class:`BaseVideoDataset`.
    """

    METAINFO = dict(
        classes=SEMKITTI_CLASSES,
        thing_classes=SEMKITTI_CLASSES[:8],
        palette=None)

    def __init__(self,
                 data_prefix: dict = dict(img_path='video_sequence/val'),
                 with_gt: bool = True,
                 with_depth: bool = True,
                 **kwargs):
        self.with_gt = with_gt
        self.with_depth = with_depth
        super().__init__(data_prefix=data_prefix, **kwargs)

    @staticmethod
    def _depth_files(folder: str) -> dict:
        """``{frame stem: (depth file, focal length)}`` of a split folder."""
        found = {}
        for name in os.listdir(folder):
            if '_depth_' not in name or not name.endswith('.png'):
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
        check_thing_classes(self._metainfo, type(self).__name__)
        folder = self.data_prefix['img_path']
        seqs = scan_sequence_folder(folder, '_leftImg8bit.png')
        depths = self._depth_files(folder) if self.with_depth else {}
        data_list, img_id = [], 0
        for video_id, (seq, stems) in enumerate(seqs.items()):
            images = []
            for t, stem in enumerate(stems):
                info = frame_record(stem + '_leftImg8bit.png', img_id, t, seq)
                where = f'of frame {t} of sequence {seq}:'
                if self.with_gt:
                    info['seg_map_path'] = self.require_file(
                        stem + '_gtFine_class.png', 'class map ' + where)
                    info['inst_map_path'] = self.require_file(
                        stem + '_gtFine_instance.png', 'instance map ' + where)
                if self.with_depth:
                    if stem not in depths:
                        raise FileNotFoundError(
                            f'depth map {where[:-1]}: no file '
                            f'{stem}_depth_<focal>.png')
                    info['depth_map_path'], info['focal_length'] = \
                        depths[stem]
                images.append(info)
                img_id += 1
            data_list.append(video_record(video_id, seq, images))
        return data_list
