# Copyright (c) OpenMMLab. All rights reserved.
"""Frame triplets for video frame synthesis (interpolation, extrapolation)."""
import os.path as osp
import warnings
from typing import Any, List, Optional, Sequence, Tuple, Union

from mmengine import fileio

from mmvidseg.registry import DATASETS
from .base_video_dataset import BaseVideoDataset
from .utils import VideoDatasetError, check_choice, check_frame_numbers

IMG_SUFFIXES = ('.png', '.jpg', '.jpeg', '.bmp')


@DATASETS.register_module()
class FrameTripletDataset(BaseVideoDataset):
    """Three frames in temporal order; one of them is to be synthesised.

    Each item is a triplet ``(f0, f1, f2)`` as per-frame lists (``img_path``,
    ``img_id``, ``frame_id`` 0..2, ``video_id``, ``video_length``,
    ``motion_mask_path``) plus ``key_frame_flags`` marking the target:
    ``f1`` for interpolation (input ``f0, f2``), ``f2`` for extrapolation
    (input ``f0, f1``), as in the official code's ``syn_type``. The pipeline
    (``LoadFrameTriplet`` ... ``PackTripletInputs``) turns it into a
    (3, C, H, W) tensor and a ``TrackDataSample`` whose key frame is the
    target. Unlike the other :class:`BaseVideoDataset` subclasses an item
    is one sample, not a video to draw frames from: the pipeline gets it
    as it is, and a frame-level sampler (``mmdet.TrackImgSampler``) sees
    each triplet as a one-frame video.

    Two on-disk formats (``list_format``):

    * ``'dvf'``: the Deep Voxel Flow release (liuziwei7/voxel-flow). Three
      parallel lists ``..._frame1.txt``, ``..._frame2.txt``,
      ``..._frame3.txt``; ``ann_file`` names the frame-1 list and the other
      two are found by replacing ``frame1`` in its name. Line k of each
      list (e.g. ``1011/frame_2.png``) is frame j of triplet k, relative to
      ``data_prefix['img_path']`` (the release's ``ucf101_triplets/``).
      With ``data_prefix['mask_path']``, the motion mask of a triplet is
      ``<mask_path>/<folder of its frame-2 line>/motion_mask.png``.
    * ``'folder'``: any video folder ``<img_path>/<video>/<frames>``. With
      no ``ann_file``, every run of three frames ``frame_interval`` apart
      (starting every ``triplet_stride`` frames) of every video, frames
      sorted by name. With an ``ann_file`` in lxx1991/pytorch-voxel-flow's
      format, one ``<video> <first index>`` line per triplet, frames named
      ``frame_tmpl.format(index)``. Motion masks, with
      ``data_prefix['mask_path']``: ``<mask_path>/<video>/<middle frame
      name>``.

    What a triplet is: the three files its list lines name, each of which
    must exist (an error naming it otherwise). Without a list, a video
    folder's frames are sorted by name; when the names end with numbers
    (``000012.png``) these must count up by one, so a deleted frame is an
    error naming it rather than a triplet spanning a gap. Folders of
    unnumbered frames are taken in name order as they are. Lists must be
    UTF-8 text.

    Args:
        list_format (str): ``'dvf'`` or ``'folder'``. Defaults to ``'dvf'``.
        synthesis (str): ``'inter'`` or ``'extra'``. Defaults to ``'inter'``.
        frame_interval (int): Folder mode: frames between the triplet's
            frames. Defaults to 1.
        triplet_stride (int): Folder mode without a list: frames between the
            starts of consecutive triplets. Defaults to 1.
        frame_tmpl (str): Folder mode with a list: frame file names.
            Defaults to ``'{:06d}.png'``.
        **kwargs: :class:`BaseVideoDataset` arguments (``check_files``,
            ``backend_args``, ``ann_file``, ``data_root``, ``data_prefix``,
            ``pipeline``, ``test_mode``...).
    """

    METAINFO = dict(classes=None)
    FORMATS = ('dvf', 'folder')
    SYNTHESIS = ('inter', 'extra')

    def __init__(self,
                 *args,
                 list_format: str = 'dvf',
                 synthesis: str = 'inter',
                 frame_interval: int = 1,
                 triplet_stride: int = 1,
                 frame_tmpl: str = '{:06d}.png',
                 data_prefix: dict = dict(img_path='', mask_path=None),
                 **kwargs):
        check_choice('list_format', list_format, self.FORMATS)
        check_choice('synthesis', synthesis, self.SYNTHESIS)
        if frame_interval < 1 or triplet_stride < 1:
            raise ValueError('frame_interval and triplet_stride must be >= '
                             f'1, got {frame_interval}, {triplet_stride}')
        self.list_format = list_format
        self.synthesis = synthesis
        self.frame_interval = frame_interval
        self.triplet_stride = triplet_stride
        self.frame_tmpl = frame_tmpl
        data_prefix = dict(data_prefix)
        data_prefix.setdefault('img_path', '')
        if not data_prefix.get('mask_path'):
            data_prefix.pop('mask_path', None)
        super().__init__(*args, data_prefix=data_prefix, **kwargs)

    # ------------------------------------------------------------ items
    def prepare_data(self, idx: Union[int, Tuple[int, int]]) -> Any:
        """Run the pipeline on triplet ``idx`` (or ``(idx, 0)``, as a
        frame-level sampler gives it)."""
        if isinstance(idx, tuple):
            idx = idx[0]
        return self.pipeline(self.get_data_info(idx))

    def get_len_per_video(self, idx: int) -> int:
        """1: a triplet is one sample."""
        return 1

    def filter_data(self) -> List[dict]:
        """Keep every triplet."""
        return self.data_list

    def _item(self, index: int, name: str, paths: Sequence[str],
              mask_path: Optional[str]) -> dict:
        key = 1 if self.synthesis == 'inter' else 2
        return dict(
            img_path=list(paths),
            img_id=[3 * index + k for k in range(3)],
            frame_id=[0, 1, 2],
            video_id=[index] * 3,
            video_name=[name] * 3,
            video_length=[3] * 3,
            motion_mask_path=[
                mask_path if k == key else None for k in range(3)
            ],
            key_frame_flags=[k == key for k in range(3)])

    # ------------------------------------------------------------ formats
    def _load_dvf(self) -> List[dict]:
        if not self.ann_file:
            raise ValueError('list_format="dvf" needs ann_file: the frame-1 '
                             'list, e.g. data_list/ucf101_train_files_'
                             'frame1.txt')
        folder, base = osp.split(self.ann_file)
        if 'frame1' not in base:
            raise VideoDatasetError(
                f'triplet list {self.ann_file}: the DVF lists are found by '
                'replacing "frame1" in the name of the frame-1 list, which '
                'this name does not contain')
        paths = [
            osp.join(folder, ('frame' + str(k)).join(base.rsplit('frame1', 1)))
            for k in (1, 2, 3)
        ]
        lists = [self.read_lines(p, 'triplet list') for p in paths]
        if not len(lists[0]) == len(lists[1]) == len(lists[2]):
            raise VideoDatasetError('the DVF lists differ in length: ' +
                                    ', '.join(f'{p} ({len(x)} lines)'
                                              for p, x in zip(paths, lists)))
        img_root = self.data_prefix['img_path']
        mask_root = self.data_prefix.get('mask_path')
        if mask_root and self.synthesis != 'inter':
            raise ValueError(
                'the DVF release\'s motion masks belong to the middle frames '
                '(interpolation targets); drop data_prefix["mask_path"] for '
                'synthesis="extra"')
        data_list = []
        for lineno, lines in enumerate(zip(*lists), 1):
            if not any(lines):
                continue  # a blank line in all three lists
            for path, line in zip(paths, lines):
                if not line or len(line.split()) != 1 or \
                        not line.lower().endswith(IMG_SUFFIXES):
                    raise VideoDatasetError(
                        f'{path}:{lineno}: expected one relative image path '
                        f'such as "1011/frame_2.png", got {line!r}')
            frames = [
                self.require_file(osp.join(img_root, line), 'frame')
                for line in lines
            ]
            name = osp.dirname(lines[1]) or str(lineno)
            mask = None
            if mask_root:
                mask = self.require_file(
                    osp.join(mask_root, osp.dirname(lines[1]),
                             'motion_mask.png'), 'motion mask')
            data_list.append(self._item(len(data_list), name, frames, mask))
        if not data_list:
            raise VideoDatasetError(f'triplet list {paths[0]} is empty')
        return data_list

    def _load_folder(self) -> List[dict]:
        img_root = self.data_prefix['img_path']
        mask_root = self.data_prefix.get('mask_path')
        if not fileio.isdir(img_root, backend_args=self.backend_args):
            raise FileNotFoundError(f'video folder root {img_root} does not '
                                    'exist')
        step = self.frame_interval
        data_list = []

        def add(video, names):
            frames = [
                self.require_file(osp.join(img_root, video, n), 'frame')
                for n in names
            ]
            mask = None
            if mask_root:
                stem = osp.splitext(
                    names[1 if self.synthesis == 'inter' else 2])[0]
                mask = self.require_file(
                    osp.join(mask_root, video, stem + '.png'), 'motion mask')
            data_list.append(
                self._item(
                    len(data_list), f'{video}/{names[1]}', frames, mask))

        if self.ann_file:
            for lineno, line in enumerate(
                    self.read_lines(self.ann_file, 'triplet list'), 1):
                if not line:
                    continue
                fields = line.split()
                if len(fields) != 2 or not fields[1].lstrip('-').isdigit() \
                        or int(fields[1]) < 0:
                    raise VideoDatasetError(
                        f'{self.ann_file}:{lineno}: expected "<video> '
                        f'<first frame index>", got {line!r}')
                start = int(fields[1])
                add(fields[0], [
                    self.frame_tmpl.format(start + k * step) for k in range(3)
                ])
        else:
            for video in self.list_dirs(img_root, 'video folder root'):
                vdir = osp.join(img_root, video)
                names = self.list_files(vdir, IMG_SUFFIXES)
                check_frame_numbers(vdir, names, f'video {video}')
                if len(names) < 2 * step + 1:
                    warnings.warn(f'video folder {vdir} has {len(names)} '
                                  f'frames, fewer than a triplet with '
                                  f'frame_interval={step}: skipped')
                    continue
                for start in range(0,
                                   len(names) - 2 * step, self.triplet_stride):
                    add(video, names[start:start + 2 * step + 1:step])
        if not data_list:
            where = self.ann_file or img_root
            raise VideoDatasetError(f'{where} yields no frame triplet')
        return data_list

    def load_data_list(self) -> List[dict]:
        """Read the triplets of the configured format."""
        if self.list_format == 'dvf':
            return self._load_dvf()
        return self._load_folder()
