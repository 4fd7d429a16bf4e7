# Copyright (c) OpenMMLab. All rights reserved.
import os.path as osp
from typing import List

from mmengine import fileio

from mmvidseg.registry import DATASETS
from .base_video_dataset import BaseVideoDataset
from .utils import VideoDatasetError, check_thing_classes, require_keys

#: VIPSeg's 124 categories in id order (``panoVIPSeg_categories.json``).
VIPSEG_CLASSES = (
    'wall', 'ceiling', 'door', 'stair', 'ladder', 'escalator',
    'Playground_slide', 'handrail_or_fence', 'window', 'rail', 'goal',
    'pillar', 'pole', 'floor', 'ground', 'grass', 'sand', 'athletic_field',
    'road', 'path', 'crosswalk', 'building', 'house', 'bridge', 'tower',
    'windmill', 'well_or_well_lid', 'other_construction', 'sky', 'mountain',
    'stone', 'wood', 'ice', 'snowfield', 'grandstand', 'sea', 'river', 'lake',
    'waterfall', 'water', 'billboard_or_Bulletin_Board', 'sculpture',
    'pipeline', 'flag', 'parasol_or_umbrella', 'cushion_or_carpet', 'tent',
    'roadblock', 'car', 'bus', 'truck', 'bicycle', 'motorcycle',
    'wheeled_machine', 'ship_or_boat', 'raft', 'airplane', 'tyre',
    'traffic_light', 'lamp', 'person', 'cat', 'dog', 'horse', 'cattle',
    'other_animal', 'tree', 'flower', 'other_plant', 'toy', 'ball_net',
    'backboard', 'skateboard', 'bat', 'ball',
    'cupboard_or_showcase_or_storage_rack', 'box',
    'traveling_case_or_trolley_case', 'basket', 'bag_or_package', 'trash_can',
    'cage', 'plate', 'tub_or_bowl_or_pot', 'bottle_or_cup', 'barrel',
    'fishbowl', 'bed', 'pillow', 'table_or_desk', 'chair_or_seat', 'bench',
    'sofa', 'shelf', 'bathtub', 'gun', 'commode', 'roaster', 'other_machine',
    'refrigerator', 'washing_machine', 'Microwave_oven', 'fan', 'curtain',
    'textiles', 'clothes', 'painting_or_poster', 'mirror',
    'flower_pot_or_vase', 'clock', 'book', 'tool', 'blackboard', 'tissue',
    'screen_or_television', 'computer', 'printer', 'Mobile_phone', 'keyboard',
    'other_electronic_product', 'fruit', 'food', 'instrument', 'train')
#: Ids of VIPSeg's 58 thing categories.
VIPSEG_THING_IDS = (2, 4, 8, 10, 41, 43, 44, 46, 47, 48, 49, 50, 51, 52, 54,
                    55, 56, 60, 61, 62, 63, 64, 65, 72, 74, 76, 77, 78, 79, 82,
                    83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 95, 96, 97, 99,
                    100, 101, 102, 106, 107, 108, 109, 114, 115, 116, 117, 118,
                    122, 123)


@DATASETS.register_module()
class VIPSegDataset(BaseVideoDataset):
    """`VIPSeg <https://github.com/VIPSeg-Dataset/VIPSeg-Dataset>`_ video
    panoptic (and semantic) segmentation, in the 720p layout::

        data_root/
          images/<video>/*.jpg
          panomasks/<video>/*.png     # uint16: 0 (and 200) void, stuff
                                      # class + 1, things
                                      # (class + 1) * 100 + instance
          {train,val,test}.txt        # video names
          panoVIPSeg_categories.json  # optional, see below

    124 classes, 58 of them things. Class names (and which are things) come
    from ``metainfo`` when given, else from ``panoVIPSeg_categories.json``
    in ``data_root`` when present, else the official list
    (:data:`VIPSEG_CLASSES`). Decode with
    ``LoadPanopticMap(format='vipseg')``; VIPSeg numbers instances from 0,
    so track ids are the stored instance + 1.

    What a video is: the frames in ``images/<video>/`` sorted by name. With
    ``with_gt`` every frame must have its panomask and every panomask its
    frame, so a deleted frame or mask is an error naming the missing file,
    not a shorter video. Frame names are not required to be consecutive
    numbers, so in a split without panomasks a deleted frame cannot be
    detected.

    Args:
        ann_file (str): Split file relative to ``data_root``. Defaults to
            ``'val.txt'``.
        data_prefix (dict): ``img_path`` and ``seg_map_path`` folders.
            Defaults to ``dict(img_path='images', seg_map_path='panomasks')``.
        with_gt (bool): Whether panomasks exist. Defaults to True.
        **kwargs: See :class:`BaseVideoDataset`.
    """

    METAINFO = dict(classes=None, thing_classes=None, palette=None)

    def __init__(self,
                 ann_file: str = 'val.txt',
                 data_prefix: dict = dict(
                     img_path='images', seg_map_path='panomasks'),
                 with_gt: bool = True,
                 **kwargs):
        self.with_gt = with_gt
        super().__init__(ann_file=ann_file, data_prefix=data_prefix, **kwargs)

    def _set_classes(self) -> None:
        meta = self._metainfo
        if meta.get('classes') is not None:
            if meta.get('thing_classes') is None:
                raise ValueError('VIPSegDataset: metainfo with classes needs '
                                 'thing_classes too')
            return
        path = osp.join(self.data_root or '', 'panoVIPSeg_categories.json')
        if fileio.isfile(path, backend_args=self.backend_args):
            cats = self.load_json(path, 'VIPSeg categories file')
            if not isinstance(cats, list):
                raise VideoDatasetError(f'{path} must hold a list of '
                                        'categories')
            for i, cat in enumerate(cats):
                require_keys(cat, ('id', 'name', 'isthing'), path,
                             f'category {i}')
            cats = sorted(cats, key=lambda c: c['id'])
            if [c['id'] for c in cats] != list(range(len(cats))):
                raise VideoDatasetError(
                    f'{path}: category ids must be 0..{len(cats) - 1}')
            meta['classes'] = tuple(c['name'] for c in cats)
            meta['thing_classes'] = tuple(c['name'] for c in cats
                                          if c['isthing'])
        else:
            meta['classes'] = VIPSEG_CLASSES
            meta['thing_classes'] = tuple(VIPSEG_CLASSES[i]
                                          for i in VIPSEG_THING_IDS)

    def _annotate(self, name: str, frames: List[str], t: int) -> dict:
        """``pan_map_path`` of frame ``t`` (with ``with_gt``)."""
        if not self.with_gt:
            return {}
        return dict(
            pan_map_path=self.frame_file(
                osp.join(self.data_prefix['seg_map_path'], name), frames[t],
                '.png', 'panomask', name))

    def _check(self, name: str, folder: str, frames: List[str]) -> None:
        """With ``with_gt``, every panomask of video ``name`` has its
        frame."""
        if self.with_gt:
            self.check_annotated_frames(
                folder, frames,
                osp.join(self.data_prefix['seg_map_path'], name), '.png',
                'panomask', name)

    def load_data_list(self) -> List[dict]:
        self._set_classes()
        check_thing_classes(self._metainfo, type(self).__name__)
        img_root = self.data_prefix['img_path']
        return self.load_split_videos(lambda name: osp.join(img_root, name),
                                      ('.jpg', '.jpeg', '.png'),
                                      self._annotate, self._check)
