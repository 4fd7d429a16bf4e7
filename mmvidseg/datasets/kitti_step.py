# Copyright (c) OpenMMLab. All rights reserved.
from typing import List

from mmseg.datasets import CityscapesDataset

from mmvidseg.registry import DATASETS
from .base_video_dataset import BaseVideoDataset
from .utils import (check_thing_classes, frame_record, scan_sequence_folder,
                    video_record)

#: The 19 Cityscapes training classes (KITTI-STEP and Cityscapes-(D)VPS
#: use them in this order), taken from mmseg.
CITYSCAPES_CLASSES = tuple(CityscapesDataset.METAINFO['classes'])
CITYSCAPES_PALETTE = [list(c) for c in CityscapesDataset.METAINFO['palette']]


@DATASETS.register_module()
class KITTISTEPDataset(BaseVideoDataset):
    """`KITTI-STEP <https://www.cvlibs.net/datasets/kitti/eval_step.php>`_
    video panoptic segmentation, in the ``video_sequence`` layout that
    Video K-Net and Tube-Link train on::

        data_root/video_sequence/{train,val}/
            {seq:06d}_{frame:06d}_leftImg8bit.png
            {seq:06d}_{frame:06d}_panoptic.png    # RGB: R = class id
                                                  # (255 void), instance
                                                  # id = G * 256 + B

    19 Cityscapes classes; only ``person`` and ``car`` are things. Decode
    the annotations with ``LoadPanopticMap(format='kitti_step')``.

    Args:
        data_prefix (dict): ``img_path``: the split folder. Defaults to
            ``dict(img_path='video_sequence/val')``.
        with_gt (bool): Whether ``*_panoptic.png`` files exist (False for
            the test split). Defaults to True.
        **kwargs: See :class:`BaseVideoDataset`; ``metainfo`` may replace
            ``classes`` / ``thing_classes`` (e.g. the toy classes).
    """

    METAINFO = dict(
        classes=CITYSCAPES_CLASSES,
        thing_classes=('person', 'car'),
        palette=CITYSCAPES_PALETTE)

    def __init__(self,
                 data_prefix: dict = dict(img_path='video_sequence/val'),
                 with_gt: bool = True,
                 **kwargs):
        self.with_gt = with_gt
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
                if self.with_gt:
                    info['pan_map_path'] = self.require_file(
                        stem + '_panoptic.png',
                        f'panoptic map of frame {t} of sequence {seq}:')
                images.append(info)
                img_id += 1
            data_list.append(video_record(video_id, seq, images))
        return data_list
