# Copyright (c) OpenMMLab. All rights reserved.
import os.path as osp
from collections import OrderedDict
from typing import Dict, List

from mmvidseg.registry import DATASETS
from .base_video_dataset import BaseVideoDataset
from .kitti_step import CITYSCAPES_CLASSES, CITYSCAPES_PALETTE
from .utils import (VideoDatasetError, check_thing_classes, frame_record,
                    require_keys, video_record)


@DATASETS.register_module()
class CityscapesVPSDataset(BaseVideoDataset):
    """`Cityscapes-VPS <https://github.com/mcahny/vps>`_ video panoptic
    segmentation, in VPSNet's layout::

        data_root/
          panoptic_gt_{train,val}_city_vps.json
          {train,val}/img/<file_name>             # frames
          {train,val}/panoptic_video/<file_name>  # RGB, segment id =
                                                  # R + 256 G + 256^2 B

    The JSON is COCO panoptic: ``images`` (``id``, ``file_name``,
    ``width``, ``height``), ``annotations`` (``image_id``, ``file_name``,
    ``segments_info`` of ``id``, ``category_id``, ``iscrowd``) and
    ``categories`` (``id``, ``name``, ``isthing``). A segment keeps its id
    (colour) over its whole video, and a video is the set of frames whose
    names share the first ``_``-separated field (``0005_0025_...``).

    The grouped form that VIPSeg's official scripts write is read as well
    (``videos`` / ``annotations`` lists with ``video_id`` and nested
    ``images`` / ``annotations``); there files live in one folder per video
    (``<img_path>/<video_id>/<file_name>``), and VIPSeg's JSON names the
    frames by their ``.png`` annotation, so pass ``img_suffix='.jpg'``.

    Track ids are assigned per video to the non-crowd thing segments in
    order of first appearance (1, 2, ...); the dataset stores each frame's
    ``segments_info`` with class indices and track ids, decoded by
    ``LoadPanopticMap(format='coco_video')``. JSON categories are matched
    to ``classes`` by name.

    What a video is: the JSON's images of that video (sorted by file name
    in the flat form, in list order in the grouped form). Each needs its
    annotation, frame file and panoptic PNG; a missing one is an error
    naming it. An image removed from the JSON together with its
    annotation cannot be told from a shorter video.

    Args:
        ann_file (str): The JSON, relative to ``data_root``. Defaults to
            ``'panoptic_gt_val_city_vps.json'``.
        data_prefix (dict): ``img_path`` (frames) and ``seg_map_path``
            (panoptic PNGs). Defaults to
            ``dict(img_path='val/img', seg_map_path='val/panoptic_video')``.
        img_suffix (str, optional): Replace the extension of the images'
            ``file_name`` with this one. Defaults to None (keep it).
        **kwargs: See :class:`BaseVideoDataset`.
    """

    METAINFO = dict(
        classes=CITYSCAPES_CLASSES,
        thing_classes=CITYSCAPES_CLASSES[11:],
        palette=CITYSCAPES_PALETTE)

    def __init__(self,
                 ann_file: str = 'panoptic_gt_val_city_vps.json',
                 data_prefix: dict = dict(
                     img_path='val/img', seg_map_path='val/panoptic_video'),
                 img_suffix: str = None,
                 **kwargs):
        self.img_suffix = img_suffix
        super().__init__(ann_file=ann_file, data_prefix=data_prefix, **kwargs)

    def _videos(self, gt: dict) -> 'OrderedDict[str, List[tuple]]':
        """``{video: [(image, annotation), ...]}`` in frame order."""
        path = self.ann_file
        if 'videos' in gt:  # grouped (VIPSeg) form
            anns = {}
            for i, item in enumerate(gt['annotations']):
                require_keys(item, ('video_id', 'annotations'), path,
                             f'annotations[{i}]')
                anns[item['video_id']] = item['annotations']
            out = OrderedDict()
            for i, video in enumerate(gt['videos']):
                require_keys(video, ('video_id', 'images'), path,
                             f'videos[{i}]')
                if video['video_id'] not in anns:
                    raise VideoDatasetError(
                        f'{path}: video {video["video_id"]} has no entry in '
                        '"annotations"')
                pairs = list(zip(video['images'], anns[video['video_id']]))
                if len(video['images']) != len(anns[video['video_id']]):
                    raise VideoDatasetError(
                        f'{path}: video {video["video_id"]} lists '
                        f'{len(video["images"])} images but '
                        f'{len(anns[video["video_id"]])} annotations')
                folder = str(video['video_id'])
                for i, (img, ann) in enumerate(pairs):
                    where = f'frame {i} of video {folder}'
                    require_keys(img, ('file_name', ), path,
                                 'image of ' + where)
                    require_keys(ann, ('file_name', 'segments_info'), path,
                                 'annotation of ' + where)
                out[folder] = [
                    (dict(img, file_name=osp.join(folder, img['file_name'])),
                     dict(ann, file_name=osp.join(folder, ann['file_name'])))
                    for img, ann in pairs
                ]
            return out
        require_keys(gt, ('images', ), path, 'the top level')
        anns = {a.get('image_id'): a for a in gt['annotations']}
        groups: Dict[str, list] = {}
        for i, image in enumerate(gt['images']):
            require_keys(image, ('id', 'file_name'), path, f'images[{i}]')
            if image['id'] not in anns:
                raise VideoDatasetError(
                    f'{path}: image {image["id"]} has no annotation')
            video = osp.basename(image['file_name']).split('_')[0]
            groups.setdefault(video, []).append((image, anns[image['id']]))
        return OrderedDict(
            (v, sorted(groups[v], key=lambda p: p[0]['file_name']))
            for v in sorted(groups))

    def load_data_list(self) -> List[dict]:
        check_thing_classes(self._metainfo, type(self).__name__)
        path = self.ann_file
        gt = self.load_json(path, 'panoptic video annotation file')
        require_keys(gt, ('annotations', 'categories'), path, 'the top level')
        classes = list(self._metainfo['classes'])
        things = set(self._metainfo['thing_classes'])
        cat_to_label, thing_cats = {}, set()
        for i, cat in enumerate(gt['categories']):
            require_keys(cat, ('id', 'name'), path, f'categories[{i}]')
            if cat['name'] not in classes:
                raise VideoDatasetError(
                    f'{path}: category "{cat["name"]}" (id {cat["id"]}) is '
                    f'not in the class list {tuple(classes)}')
            cat_to_label[cat['id']] = classes.index(cat['name'])
            if cat['name'] in things:
                thing_cats.add(cat['id'])
        img_root = self.data_prefix['img_path']
        pan_root = self.data_prefix['seg_map_path']
        data_list, img_id = [], 0
        for video_id, (name, pairs) in enumerate(self._videos(gt).items()):
            tracks: Dict[int, int] = {}
            images = []
            for t, (image, ann) in enumerate(pairs):
                require_keys(ann, ('file_name', 'segments_info'), path,
                             f'the annotation of image {image.get("id")}')
                segments = []
                for seg in ann['segments_info']:
                    require_keys(seg, ('id', 'category_id'), path,
                                 f'a segment of image {image.get("id")}')
                    cat = seg['category_id']
                    if cat not in cat_to_label:
                        raise VideoDatasetError(
                            f'{path}: segment {seg["id"]} of image '
                            f'{image.get("id")} has category_id {cat}, which '
                            '"categories" does not list')
                    crowd = int(seg.get('iscrowd', 0))
                    track = 0
                    if cat in thing_cats and not crowd:
                        track = tracks.setdefault(seg['id'], len(tracks) + 1)
                    segments.append(
                        dict(
                            id=seg['id'],
                            category_id=cat_to_label[cat],
                            iscrowd=crowd,
                            track_id=track))
                img_name = image['file_name']
                if self.img_suffix is not None:
                    img_name = osp.splitext(img_name)[0] + self.img_suffix
                info = frame_record(
                    self.require_file(
                        osp.join(img_root, img_name),
                        f'frame of image {image.get("id")}:'),
                    img_id,
                    t,
                    name,
                    pan_map_path=self.require_file(
                        osp.join(pan_root, ann['file_name']),
                        f'panoptic PNG of image {image.get("id")}:'),
                    segments_info=segments)
                images.append(info)
                img_id += 1
            data_list.append(video_record(video_id, name, images))
        return data_list
