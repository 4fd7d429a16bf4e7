# Copyright (c) OpenMMLab. All rights reserved.
import os.path as osp
from typing import List

from mmvidseg.registry import DATASETS
from .base_video_dataset import BaseVideoDataset
from .utils import VideoDatasetError


@DATASETS.register_module()
class VSPWDataset(BaseVideoDataset):
    """`VSPW <https://www.vspwdataset.com/>`_ video semantic segmentation.

    Layout as released::

        data_root/
          label_num_dic_final.json      # {"others": 0, "wall": 1, ...}
          train.txt / val.txt / test.txt
          data/<video>/origin/*.jpg
          data/<video>/mask/*.png       # class value v in 1..124, 0 others,
                                        # 253/255 void

    The training id of mask value ``v`` is ``v - 1``; values 0, 253 and 255
    are void (``ignore_index``). This mapping is done by
    :class:`~mmvidseg.datasets.transforms.LoadSemSegMap` with
    ``reduce_zero_label=True``; the dataset only lists the files.

    Args:
        ann_file (str): Split file (``val.txt``) relative to ``data_root``.
        data_prefix (dict): ``img_path`` folder holding the videos.
            Defaults to ``dict(img_path='data')``.
        with_gt (bool): Whether masks exist (False for the test split).
            Defaults to True.
        **kwargs: See :class:`BaseVideoDataset`.

    Class names come from ``metainfo=dict(classes=...)`` or, when not given,
    from ``label_num_dic_final.json`` in ``data_root``.

    What a video is: the frames in ``origin/`` sorted by name. With
    ``with_gt`` every frame must have its mask and every mask in ``mask/``
    its frame, so a deleted frame or mask is an error naming the missing
    file, not a shorter video. Frame names are not required to be
    consecutive numbers, so in a split without masks (``with_gt=False``)
    a deleted frame cannot be detected.
    """

    def __init__(self,
                 ann_file: str = 'val.txt',
                 data_prefix: dict = dict(img_path='data'),
                 with_gt: bool = True,
                 **kwargs):
        self.with_gt = with_gt
        super().__init__(ann_file=ann_file, data_prefix=data_prefix, **kwargs)

    def _read_class_names(self) -> List[str]:
        path = osp.join(self.data_root or '', 'label_num_dic_final.json')
        try:
            name_to_value = self.load_json(path, 'VSPW class names')
        except FileNotFoundError:
            raise FileNotFoundError(
                f'VSPW class names: pass metainfo=dict(classes=...) or put '
                f'label_num_dic_final.json in data_root ({path} is missing)'
            ) from None
        try:
            pairs = sorted((int(v), str(k)) for k, v in name_to_value.items())
        except (ValueError, TypeError, AttributeError) as e:
            raise VideoDatasetError(
                f'{path} is not a {{class name: mask value}} JSON ({e})')
        return [name for value, name in pairs if value >= 1]

    def _annotate(self, name: str, frames: List[str], t: int) -> dict:
        """``seg_map_path`` of frame ``t`` (with ``with_gt``)."""
        if not self.with_gt:
            return {}
        return dict(
            seg_map_path=self.frame_file(
                osp.join(self.data_prefix['img_path'], name, 'mask'),
                frames[t], '.png', 'mask', name))

    def _check(self, name: str, folder: str, frames: List[str]) -> None:
        """With ``with_gt``, every mask of video ``name`` has its frame."""
        if self.with_gt:
            self.check_annotated_frames(
                folder, frames,
                osp.join(self.data_prefix['img_path'], name, 'mask'), '.png',
                'mask', name)

    def load_data_list(self) -> List[dict]:
        if self._metainfo.get('classes') is None:
            self._metainfo['classes'] = tuple(self._read_class_names())
        root = self.data_prefix['img_path']
        return self.load_split_videos(
            lambda name: osp.join(root, name, 'origin'),
            ('.jpg', '.jpeg', '.png'), self._annotate, self._check)
