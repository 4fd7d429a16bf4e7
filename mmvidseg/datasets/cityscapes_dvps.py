# Copyright (c) OpenMMLab. All rights reserved.
from typing import List

from mmvidseg.registry import DATASETS
from .base_video_dataset import BaseVideoDataset
from .kitti_step import CITYSCAPES_CLASSES, CITYSCAPES_PALETTE
from .utils import (check_thing_classes, frame_record, scan_sequence_folder,
                    video_record)


@DATASETS.register_module()
class CityscapesDVPSDataset(BaseVideoDataset):
    """Cityscapes-DVPS depth-aware video panoptic segmentation
    (`ViP-DeepLab <https://arxiv.org/abs/2012.05258>`_), as released::

        data_root/video_sequence/{train,val}/
            {seq}_{frame}_{city}_{seq}_{frame}_leftImg8bit.png
            ..._gtFine_instanceTrainIds.png   # uint16, class * 1000 +
                                              # instance; 32000 void
            ..._depth.png                     # uint16, metres * 256,
                                              # 0 = no depth

    The sequence and frame come from the first two fields of the name.
    19 Cityscapes classes, 8 things (person ... bicycle). Decode with
    ``LoadPanopticMap(format='cityscapes_dvps')`` and ``LoadDepthMap()``.

    Args:
        data_prefix (dict): ``img_path``: the split folder. Defaults to
            ``dict(img_path='video_sequence/val')``.
        with_gt (bool): Whether panoptic maps exist. Defaults to True.
        with_depth (bool): Whether depth maps exist. Defaults to True.
        **kwargs: See :class:`BaseVideoDataset`.
    """

    METAINFO = dict(
        classes=CITYSCAPES_CLASSES,
        thing_classes=CITYSCAPES_CLASSES[11:],
        palette=CITYSCAPES_PALETTE)

    def __init__(self,
                 data_prefix: dict = dict(img_path='video_sequence/val'),
                 with_gt: bool = True,
                 with_depth: bool = True,
                 **kwargs):
        self.with_gt = with_gt
        self.with_depth = with_depth
        super().__init__(data_prefix=data_prefix, **kwargs)

    def load_data_list(self) -> List[dict]:
        check_thing_classes(self._metainfo, type(self).__name__)
        seqs = scan_sequence_folder(self.data_prefix['img_path'],
                                    '_leftImg8bit.png')
        data_list, img_id = [], 0
        for video_id, (seq, stems) in enumerate(seqs.items()):
            images = []
            for t, stem in enumerate(stems):
                info = frame_record(stem + '_leftImg8bit.png', img_id, t, seq)
                where = f'of frame {t} of sequence {seq}:'
                if self.with_gt:
                    info['pan_map_path'] = self.require_file(
                        stem + '_gtFine_instanceTrainIds.png',
                        'panoptic map ' + where)
                if self.with_depth:
                    info['depth_map_path'] = self.require_file(
                        stem + '_depth.png', 'depth map ' + where)
                images.append(info)
                img_id += 1
            data_list.append(video_record(video_id, seq, images))
        return data_list
