# Copyright (c) OpenMMLab. All rights reserved.
import os.path as osp
from typing import List, Optional

from mmvidseg.registry import DATASETS
from .base_video_dataset import BaseVideoDataset
from .utils import VideoDatasetError, frame_record, require_keys, video_record

#: YouTube-VIS 2019 categories in id order (ids 1..40).
YTVIS_2019_CLASSES = ('person', 'giant_panda', 'lizard', 'parrot',
                      'skateboard', 'sedan', 'ape', 'dog', 'snake', 'monkey',
                      'hand', 'rabbit', 'duck', 'cat', 'cow', 'fish', 'train',
                      'horse', 'turtle', 'bear', 'motorbike', 'giraffe',
                      'leopard', 'fox', 'deer', 'owl', 'surfboard', 'airplane',
                      'truck', 'zebra', 'tiger', 'elephant', 'snowboard',
                      'boat', 'shark', 'mouse', 'frog', 'eagle',
                      'earless_seal', 'tennis_racket')
#: YouTube-VIS 2021 categories in id order (ids 1..40).
YTVIS_2021_CLASSES = ('airplane', 'bear', 'bird', 'boat', 'car', 'cat', 'cow',
                      'deer', 'dog', 'duck', 'earless_seal', 'elephant',
                      'fish', 'flying_disc', 'fox', 'frog', 'giant_panda',
                      'giraffe', 'horse', 'leopard', 'lizard', 'monkey',
                      'motorbike', 'mouse', 'parrot', 'person', 'rabbit',
                      'shark', 'skateboard', 'snake', 'snowboard', 'squirrel',
                      'surfboard', 'tennis_racket', 'tiger', 'train', 'truck',
                      'turtle', 'whale', 'zebra')


@DATASETS.register_module()
class YouTubeVISDataset(BaseVideoDataset):
    """`YouTube-VIS <https://youtube-vos.org/dataset/vis/>`_ 2019 / 2021 and
    `OVIS <https://songbai.site/ovis/>`_ video instance segmentation, read
    from the official JSON (no conversion)::

        data_root/
          train/JPEGImages/<video>/00000.jpg ...
          train.json              # 2019, OVIS (annotations_train.json)
          train/instances.json    # 2021

    The JSON holds ``videos`` (``id``, ``file_names``, ``height``,
    ``width``), ``categories`` (``id``, ``name``) and, for annotated
    splits, ``annotations``: one per track with per-frame lists
    ``segmentations`` (polygons, RLE or null), ``bboxes`` (``[x, y, w, h]``
    or null) and ``areas``, plus ``category_id``, ``iscrowd`` and ``id``
    (used as the track id). Each frame gets ``instances`` in mmdet's form
    (``bbox`` xyxy, ``bbox_label``, ``mask``, ``instance_id``,
    ``ignore_flag``) for ``LoadVideoInstances``. Videos keep their JSON
    ``id`` as ``video_id``.

    Class lists live on the instance: ``dataset_version='2019'`` or
    ``'2021'`` picks the official list, ``metainfo=dict(classes=...)``
    sets one, and with neither the JSON's ``categories`` (sorted by id) are
    used (OVIS, toy data). Both versions can be built in one process.
    Categories are matched to classes by name; annotations of categories
    not in the class list are dropped.

    What a video is: its ``file_names`` in the JSON, in order; each frame
    file must exist (an error naming it), a video must list at least one
    frame and every track must give one entry per frame.

    Args:
        ann_file (str): The JSON, relative to ``data_root``.
        dataset_version (str, optional): ``'2019'``, ``'2021'`` or None.
        data_prefix (dict): ``img_path``: the ``JPEGImages`` folder.
            Defaults to ``dict(img_path='train/JPEGImages')``.
        **kwargs: See :class:`BaseVideoDataset`.
    """

    VERSIONS = {'2019': YTVIS_2019_CLASSES, '2021': YTVIS_2021_CLASSES}

    def __init__(self,
                 ann_file: str = 'train.json',
                 dataset_version: Optional[str] = None,
                 data_prefix: dict = dict(img_path='train/JPEGImages'),
                 metainfo: Optional[dict] = None,
                 **kwargs):
        if dataset_version is not None:
            if dataset_version not in self.VERSIONS:
                raise ValueError(f'dataset_version must be one of '
                                 f'{tuple(self.VERSIONS)} or None, got '
                                 f'{dataset_version!r}')
            metainfo = dict(metainfo or {})
            metainfo.setdefault('classes', self.VERSIONS[dataset_version])
        self.dataset_version = dataset_version
        super().__init__(
            ann_file=ann_file,
            data_prefix=data_prefix,
            metainfo=metainfo,
            **kwargs)

    def _tracks(self, ann: dict, videos: dict, labels: dict) -> dict:
        """``{video id: {frame: [instance, ...]}}`` from ``annotations``."""
        path = self.ann_file
        declared = {c['id'] for c in ann['categories']}
        per_video = {vid: {} for vid in videos}
        for i, track in enumerate(ann.get('annotations', [])):
            where = f'annotations[{i}]'
            require_keys(track,
                         ('video_id', 'category_id', 'segmentations', 'id'),
                         path, where)
            video = videos.get(track['video_id'])
            if video is None:
                raise VideoDatasetError(
                    f'{path}: {where} refers to video {track["video_id"]}, '
                    'which "videos" does not list')
            if track['category_id'] not in declared:
                raise VideoDatasetError(
                    f'{path}: {where} has category_id '
                    f'{track["category_id"]}, which "categories" does not '
                    'list')
            if track['category_id'] not in labels:
                continue
            length = len(video['file_names'])
            segms = track['segmentations']
            bboxes = track.get('bboxes') or [None] * len(segms)
            if len(segms) != length or len(bboxes) != length:
                raise VideoDatasetError(
                    f'{path}: {where} has {len(segms)} segmentations and '
                    f'{len(bboxes)} bboxes for the {length} frames of video '
                    f'{track["video_id"]}')
            size = [video['height'], video['width']]
            for t, (segm, bbox) in enumerate(zip(segms, bboxes)):
                if segm is None and bbox is None:
                    continue
                if isinstance(segm, dict) and list(segm.get('size',
                                                            size)) != size:
                    raise VideoDatasetError(
                        f'{path}: the mask of {where} in frame {t} is '
                        f'{segm["size"][1]}x{segm["size"][0]} (WxH) but its '
                        f'video {track["video_id"]} is {size[1]}x{size[0]}')
                if bbox is None:
                    bbox = _mask_box(segm, size)
                x, y, w, h = bbox
                instance = dict(
                    bbox=[x, y, x + w, y + h],
                    bbox_label=labels[track['category_id']],
                    instance_id=track['id'],
                    ignore_flag=int(bool(track.get('iscrowd', 0))))
                if segm is not None:
                    instance['mask'] = segm
                per_video[track['video_id']].setdefault(t, []).append(instance)
        return per_video

    def load_data_list(self) -> List[dict]:
        path = self.ann_file
        ann = self.load_json(path, 'YouTube-VIS annotation file')
        require_keys(ann, ('videos', 'categories'), path, 'the top level')
        if not self.test_mode and 'annotations' not in ann:
            raise VideoDatasetError(
                f'{path} is missing the key "annotations" (an unannotated '
                'split can only be used with test_mode=True)')
        videos = {}
        for i, video in enumerate(ann['videos']):
            require_keys(video, ('id', 'file_names', 'height', 'width'), path,
                         f'videos[{i}]')
            if not video['file_names']:
                raise VideoDatasetError(
                    f'{path}: video {video["id"]} lists no frame (an empty '
                    'video)')
            videos[video['id']] = video
        labels = self.category_labels(ann['categories'], path)
        instances = self._tracks(ann, videos, labels)
        img_root = self.data_prefix['img_path']
        data_list, img_id = [], 0
        for vid, video in videos.items():
            name = osp.dirname(video['file_names'][0])
            images = []
            for t, fname in enumerate(video['file_names']):
                images.append(
                    frame_record(
                        self.require_file(
                            osp.join(img_root, fname),
                            f'frame {t} of video {vid} in {path}:'),
                        img_id,
                        t,
                        name,
                        height=video['height'],
                        width=video['width'],
                        ann_file=path,
                        instances=instances[vid].get(t, [])))
                img_id += 1
            # keep the JSON's video id: results files refer to it
            data_list.append(video_record(vid, name, images))
        return data_list


def _mask_box(segm, size: list) -> list:
    """COCO ``[x, y, w, h]`` of a polygon / RLE mask."""
    from pycocotools import mask as mask_utils
    height, width = size
    if isinstance(segm, list):
        rle = mask_utils.merge(mask_utils.frPyObjects(segm, height, width))
    elif isinstance(segm.get('counts'), list):
        rle = mask_utils.frPyObjects(segm, height, width)
    else:
        rle = segm
    return [float(v) for v in mask_utils.toBbox(rle)]
