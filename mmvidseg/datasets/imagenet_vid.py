# Copyright (c) OpenMMLab. All rights reserved.
import os.path as osp
import random
from typing import Any, Dict, List

from mmvidseg.registry import DATASETS
from .base_video_dataset import BaseVideoDataset
from .utils import VideoDatasetError, frame_record, require_keys, video_record


@DATASETS.register_module()
class ImageNetVIDDataset(BaseVideoDataset):
    """`ImageNet VID <https://image-net.org/challenges/LSVRC/2015/>`_ video
    object detection from CocoVID JSON (as mmtracking's
    ``imagenet2coco_vid.py`` and ``tools/dataset_converters/
    imagenet_vid2cocovid.py`` write it)::

        data_root/
          Data/VID/{train/ILSVRC2015_VID_train_0000/<video>,val/<video>}/
              000000.JPEG ...
          annotations/imagenet_vid_{train,val}.json

    The JSON holds ``videos`` (``id``, ``name``), ``images`` (``id``,
    ``file_name`` relative to ``Data/VID``, ``video_id``, ``frame_id``,
    ``height``, ``width``, ``is_vid_train_frame``), ``annotations``
    (``image_id``, ``bbox`` ``[x, y, w, h]``, ``category_id``,
    ``instance_id``, ``iscrowd``...) and ``categories``. ImageNet DET
    images for joint training come in the same schema without
    ``video_id``: each becomes a one-frame video with a negative
    ``video_id`` (-1, -2, ...), which cannot collide with a VID video.

    What a video is: the images of the JSON with its ``video_id``, in
    ``frame_id`` order (frame ids need not be consecutive: some
    converters keep only the key frames). Every image must exist on disk,
    every entry of ``videos`` must have at least one image and the split
    at least one image; each is an error naming the JSON (and the video or
    image), not a silently smaller dataset.

    ``tools/dataset_converters/imagenet_det2cocovid.py`` writes DET images
    as one-frame videos with a ``video_id`` and ``is_vid_train_frame``
    True, either alone or merged into the VID train JSON.

    Class names come from ``metainfo``, else from the JSON's
    ``categories`` sorted by id; annotations of other categories are
    dropped. Boxes with no area are dropped as mmdet does.

    Key frames: the official recipes (mmtracking's DFF/FGFA/SELSA,
    TransVOD) train on the frames flagged ``is_vid_train_frame`` only (the
    15 per video of ``VID_train_15frames.txt``, and every DET image) as key
    frames, while reference frames come from the whole video. With
    ``key_frames_only=True`` in training (not ``test_mode``):

    * ``get_len_per_video`` counts the flagged frames, so
      ``mmdet.TrackImgSampler`` yields ``(video, k)`` for the k-th flagged
      frame of each video, and :meth:`prepare_data` sets ``key_frame_id``
      to that frame's index in the whole video;
    * an integer index (``DefaultSampler``) picks a flagged frame at random
      as the key frame;
    * videos without a flagged frame are dropped;
    * ``video_length`` and ``images`` still hold every frame, so a frame
      sampler such as ``VideoFrameSample`` draws references from the whole
      video around the key frame.

    Each video item carries ``key_frame_indices``, the indices of its
    flagged frames, whatever ``key_frames_only`` is.

    Args:
        ann_file (str): The JSON, relative to ``data_root``. Defaults to
            ``'annotations/imagenet_vid_val.json'``.
        data_prefix (dict): ``img_path``: the ``Data/VID`` folder.
            Defaults to ``dict(img_path='Data/VID')``.
        key_frames_only (bool): Draw training key frames from the frames
            flagged ``is_vid_train_frame`` only (see above). Ignored in
            ``test_mode``. Defaults to False (every frame can be a key
            frame).
        **kwargs: See :class:`BaseVideoDataset`.
    """

    def __init__(self,
                 ann_file: str = 'annotations/imagenet_vid_val.json',
                 data_prefix: dict = dict(img_path='Data/VID'),
                 key_frames_only: bool = False,
                 **kwargs):
        self.key_frames_only = key_frames_only
        super().__init__(ann_file=ann_file, data_prefix=data_prefix, **kwargs)

    @property
    def _key_frames_only(self) -> bool:
        """Whether the key frames are restricted now (training only)."""
        return self.key_frames_only and not self.test_mode

    def filter_data(self) -> List[dict]:
        """Drop empty videos, and in training with ``key_frames_only``
        videos without a flagged frame."""
        videos = super().filter_data()
        if self._key_frames_only:
            videos = self.require_videos(
                [v for v in videos if v['key_frame_indices']])
        return videos

    def get_len_per_video(self, idx: int) -> int:
        """Frames of video ``idx`` a sampler may pick as key frames: all of
        them, or the flagged ones in training with ``key_frames_only``."""
        if not self._key_frames_only:
            return super().get_len_per_video(idx)
        info = self.get_data_info(idx) if self.serialize_data else \
            self.data_list[idx]
        return len(info['key_frame_indices'])

    def prepare_data(self, idx) -> Any:
        """Run the pipeline on video ``idx`` or ``(video, k)``.

        In training with ``key_frames_only``, ``k`` is the index among the
        flagged frames (as :meth:`get_len_per_video` counts them) and an
        integer ``idx`` draws one at random; ``key_frame_id`` is then set
        to the frame's index in the whole video. Otherwise as mmdet's
        ``BaseVideoDataset.prepare_data``.
        """
        if not self._key_frames_only:
            return super().prepare_data(idx)
        video_idx, k = idx if isinstance(idx, tuple) else (idx, None)
        data_info = self.get_data_info(video_idx)
        keys = data_info['key_frame_indices']
        data_info['key_frame_id'] = random.choice(keys) if k is None \
            else keys[k]
        return self.pipeline(data_info)

    def load_data_list(self) -> List[dict]:
        path = self.ann_file
        coco = self.load_json(path, 'CocoVID annotation file')
        require_keys(coco, ('images', 'categories', 'annotations'), path,
                     'the top level')
        labels = self.category_labels(coco['categories'], path)
        declared = {c['id'] for c in coco['categories']}
        for i, video in enumerate(coco.get('videos', [])):
            require_keys(video, ('id', ), path, f'videos[{i}]')
        names = {
            v['id']: v.get('name', str(v['id']))
            for v in coco.get('videos', [])
        }

        anns: Dict[int, list] = {}
        for i, ann in enumerate(coco['annotations']):
            require_keys(ann, ('image_id', 'bbox', 'category_id'), path,
                         f'annotations[{i}]')
            if ann['category_id'] not in declared:
                raise VideoDatasetError(
                    f'{path}: annotations[{i}] has category_id '
                    f'{ann["category_id"]}, which "categories" does not list')
            anns.setdefault(ann['image_id'], []).append(ann)

        videos = self._group_images(coco, names)
        img_root = self.data_prefix['img_path']
        data_list = []
        for index, (key, images) in enumerate(videos.items()):
            images = sorted(images, key=lambda im: im.get('frame_id', 0))
            name = names.get(key[1], str(key[1])) if key[0] == 'vid' else \
                osp.splitext(images[0]['file_name'])[0]
            frames = []
            for t, image in enumerate(images):
                frames.append(
                    frame_record(
                        self.require_file(
                            osp.join(img_root, image['file_name']),
                            f'image {image["id"]} of {path}:'),
                        image['id'],
                        t,
                        name,
                        height=image['height'],
                        width=image['width'],
                        ann_file=path,
                        is_vid_train_frame=bool(
                            image.get('is_vid_train_frame', False)),
                        instances=self._instances(
                            anns.get(image['id'], []), image, labels)))
            video_id = key[1] if key[0] == 'vid' else -key[1]
            video = video_record(video_id, name, frames)
            video['key_frame_indices'] = [
                t for t, frame in enumerate(frames)
                if frame['is_vid_train_frame']
            ]
            data_list.append(video)
        return data_list

    def _group_images(self, coco: dict, names: dict) -> Dict[tuple, list]:
        """``{('vid', video id) | ('det', k): [image, ...]}`` in JSON order.

        Raises:
            VideoDatasetError: An image lacks a key or refers to a video
                ``videos`` does not list, a listed video has no image, or
                there is no image at all.
        """
        path = self.ann_file
        if not coco['images']:
            raise VideoDatasetError(
                f'{path}: "images" is empty: the split holds no frame')
        videos: Dict[tuple, list] = {}
        single = 0
        for i, image in enumerate(coco['images']):
            require_keys(image, ('id', 'file_name', 'height', 'width'), path,
                         f'images[{i}]')
            if image.get('video_id') is None:  # a DET image
                single += 1
                key = ('det', single)
            else:
                key = ('vid', image['video_id'])
                if names and image['video_id'] not in names:
                    raise VideoDatasetError(
                        f'{path}: image {image["id"]} refers to video '
                        f'{image["video_id"]}, which "videos" does not list')
            videos.setdefault(key, []).append(image)
        for vid, name in names.items():
            if ('vid', vid) not in videos:
                raise VideoDatasetError(
                    f'{path}: video {name} (id {vid}) has no image in '
                    '"images": an empty video')
        return videos

    @staticmethod
    def _instances(anns: list, image: dict, labels: dict) -> list:
        """mmdet-style instances of one image."""
        out = []
        for k, ann in enumerate(anns):
            if ann['category_id'] not in labels or ann.get('ignore', False):
                continue
            x, y, w, h = ann['bbox']
            inter_w = max(0, min(x + w, image['width']) - max(x, 0))
            inter_h = max(0, min(y + h, image['height']) - max(y, 0))
            if inter_w * inter_h == 0 or w < 1 or h < 1:
                continue
            out.append(
                dict(
                    bbox=[x, y, x + w, y + h],
                    bbox_label=labels[ann['category_id']],
                    instance_id=ann.get('instance_id', k),
                    ignore_flag=int(bool(ann.get('iscrowd', False)))))
        return out
