# Copyright (c) OpenMMLab. All rights reserved.
import json
import os.path as osp
from typing import List

from mmvidseg.registry import DATASETS
from .base_video_dataset import BaseVideoDataset, VideoDatasetError


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
    """

    METAINFO = dict(classes=None, palette=None)

    def __init__(self,
                 ann_file: str = 'val.txt',
                 data_prefix: dict = dict(img_path='data'),
                 with_gt: bool = True,
                 **kwargs):
        self.with_gt = with_gt
        super().__init__(ann_file=ann_file, data_prefix=data_prefix, **kwargs)

    def _read_class_names(self) -> List[str]:
        path = osp.join(self.data_root or '', 'label_num_dic_final.json')
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'VSPW class names: pass metainfo=dict(classes=...) or put '
                f'label_num_dic_final.json in data_root ({path} is missing)')
        try:
            with open(path) as f:
                name_to_value = json.load(f)
            pairs = sorted((int(v), str(k)) for k, v in name_to_value.items())
        except (ValueError, TypeError, AttributeError) as e:
            raise VideoDatasetError(
                f'{path} is not a {{class name: mask value}} JSON ({e})')
        return [name for value, name in pairs if value >= 1]

    def load_data_list(self) -> List[dict]:
        if self._metainfo.get('classes') is None:
            self._metainfo['classes'] = tuple(self._read_class_names())
        videos = self.read_split(self.ann_file)
        root = self.data_prefix['img_path']
        data_list, img_id = [], 0
        for video_id, name in enumerate(videos):
            frame_dir = osp.join(root, name, 'origin')
            frames = self.list_frames(frame_dir, ('.jpg', '.jpeg', '.png'))
            images = []
            for t, fname in enumerate(frames):
                info = dict(
                    img_path=osp.join(frame_dir, fname),
                    img_id=img_id,
                    frame_id=t,
                    video_name=name)
                if self.with_gt:
                    stem = osp.splitext(fname)[0]
                    info['seg_map_path'] = self.require_file(
                        osp.join(root, name, 'mask', stem + '.png'),
                        f'mask of frame {fname} of video {name}:')
                images.append(info)
                img_id += 1
            data_list.append(
                dict(
                    video_id=video_id,
                    video_name=name,
                    video_length=len(images),
                    images=images))
        return data_list
