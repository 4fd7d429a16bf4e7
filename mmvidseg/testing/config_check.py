# Copyright (c) OpenMMLab. All rights reserved.
"""Check a config at the real size of its dataset.

Toy configs train on small frames; a real config's sizes (crop, rescale
range, padding, class count) are only exercised on the real data, which a
test cannot download. :func:`check_config` writes a few toy videos at the
REAL dataset's frame size and class count, in the dataset's on-disk format
(:mod:`mmvidseg.testing.toy_formats`), points the config at them and checks:

1. **pipeline** (:func:`check_train_pipeline`): the config's own train
   dataset, pipeline and data preprocessor, over several seeded samples,
   give the training input the dataset's recipe specifies
   (:class:`InputSpec`, e.g. KITTI-STEP 375x1242 frames -> 384x1248), clips
   of the recipe's length, a dataset class count equal to
   ``model.num_classes`` and labels ``< num_classes`` or the ignore index;
2. **training** (:func:`check_training_step`): the real model (full width,
   configured depth; backbone ``init_cfg=None`` so nothing downloads) runs
   one iteration on a batch of 1 on the CPU through the config's
   ``optim_wrapper``: finite losses, gradients in the backbone, a step;
3. **test** (:func:`check_test_step`): one ``model.test_step`` on the val
   pipeline writes its predictions at the real frame size;
4. **parameters** (:func:`check_parameters`): the count
   ``tools/analysis_tools/get_flops.py`` prints equals the row of the
   method README's ``| config | params (get_flops.py) |`` table.

Every failure is a :class:`ConfigCheckError` (an ``AssertionError``) whose
message names the config and what is wrong. What each dataset's real data
looks like is a :class:`DatasetSpec` in :func:`dataset_specs`, keyed by the
train dataset's type: a config on a dataset without a spec fails, asking
for one.

Example:
    >>> from mmvidseg.testing import check_config
    >>> report = check_config(
    ...     'configs/video_knet/video-knet_r50_8xb1-24e_kitti-step.py',
    ...     work_dir='/tmp/check', train=False)
    >>> report['max_input']
    (384, 1248)
"""
import copy
import glob
import math
import os.path as osp
import random
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Callable, Dict, Iterator, List, Optional, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope

from .toy_video import TOY_CLASSES, TOY_IGNORE, ToyVideo, generate_toy_video

#: Class id of void pixels (mmvidseg's and mmseg's ignore index).
IGNORE_INDEX = 255
#: Keys every real config must have.
REQUIRED_KEYS = ('model', 'train_dataloader', 'val_dataloader',
                 'optim_wrapper')
#: Header of the README table of parameter counts (first two cells).
PARAMS_TABLE_HEADER = ('config', 'params (get_flops.py)')


class ConfigCheckError(AssertionError):
    """A config does not match its dataset's real sizes, or its README."""


@dataclass(frozen=True)
class InputSpec:
    """The training input of a dataset's recipe as it reaches the model
    (after the data preprocessor), ``(h, w)``.

    Kinds:

    * ``'crop'``: random rescaling, then a crop of ``size`` (padded to the
      preprocessor's divisor): every input is at most ``size`` and exactly
      ``size`` when the rescale ratio is >= 1. The ratio of a sample is its
      scale factor over the one that fits the frame into ``scale``
      (``(w, h)``, mmcv's order; the ``scale`` of the recipe's
      ``RandomResize`` at ratio 1).
    * ``'fixed'``: every input is exactly ``size``.
    * ``'short_side'``: frames are rescaled, aspect kept, to a short side in
      ``short_sides``, then padded to the preprocessor's divisor.

    Args:
        kind (str): ``'crop'``, ``'fixed'`` or ``'short_side'``.
        size (Tuple[int, int], optional): (h, w) for ``crop`` / ``fixed``.
        scale (Tuple[int, int], optional): (w, h) for ``crop``.
        short_sides (Tuple[int, ...]): For ``short_side``.
    """
    kind: str
    size: Optional[Tuple[int, int]] = None
    scale: Optional[Tuple[int, int]] = None
    short_sides: Tuple[int, ...] = ()

    def __post_init__(self):
        if self.kind not in ('crop', 'fixed', 'short_side'):
            raise ValueError(f'InputSpec kind must be crop, fixed or '
                             f'short_side, got {self.kind!r}')


@dataclass(frozen=True)
class DatasetSpec:
    """What a real dataset looks like, for :func:`check_config`.

    Args:
        name (str): Dataset name for messages (``'KITTI-STEP'``).
        frame_size (Tuple[int, int]): (h, w) of the real frames.
        train_input (InputSpec): The training input of the recipe.
        write (Callable): ``write(root, {'train': videos, 'val': videos},
            spec)`` writes toy videos (already at ``frame_size`` and
            relabelled with ``class_map``) in the dataset's on-disk format.
        classes (Tuple[str, ...], optional): The real class names; None for
            data without classes (frame synthesis).
        thing_ids (Tuple[int, ...]): Class ids of the thing classes.
        class_map (Dict[str, int]): Toy class name -> real class id
            (things to things); :data:`TOY_IGNORE` drops a class.
        clip_frames (int | Tuple[int, ...], optional): Frames per
            training sample in the recipe, or the lengths of the recipes of
            several methods (None: images, inputs (N, C, H, W)).
        train_clip_frames (int, optional): Frames per clip in the training
            iteration when fewer than ``clip_frames`` (to keep the CPU
            check short; ``clip_frames`` is still checked on the pipeline).
        num_frames (int): Frames of the toy training video. Defaults to 3.
        val_num_frames (int): Frames of the toy validation video. Defaults
            to 1.
        pred_fields (Tuple[str, ...]): Prediction fields the test step must
            write at the frame size of the val data.
        val_frame_size (Tuple[int, int], optional): (h, w) of the val
            frames where the release ships them at another size than the
            training frames (UCF-101: 240x320 videos, 256x256 test
            triplets). Defaults to ``frame_size``.
    """
    name: str
    frame_size: Tuple[int, int]
    train_input: InputSpec
    write: Callable
    classes: Optional[Tuple[str, ...]] = None
    thing_ids: Tuple[int, ...] = ()
    class_map: Dict[str, int] = field(default_factory=dict)
    clip_frames: Optional[Union[int, Tuple[int, ...]]] = None
    train_clip_frames: Optional[int] = None
    num_frames: int = 3
    val_num_frames: int = 1
    pred_fields: Tuple[str, ...] = ()
    val_frame_size: Optional[Tuple[int, int]] = None

    @property
    def val_size(self) -> Tuple[int, int]:
        """(h, w) of the real val frames."""
        return self.val_frame_size or self.frame_size

    @property
    def num_classes(self) -> Optional[int]:
        """Number of classes of the real dataset (None without classes)."""
        return None if self.classes is None else len(self.classes)


# --------------------------------------------------------------- writers
def _write_kitti_step(root: str, splits: dict, spec: DatasetSpec) -> None:
    from .toy_formats import write_kitti_step
    write_kitti_step(root, splits)


def _write_cityscapes_vps(root: str, splits: dict,
                          spec: DatasetSpec) -> None:
    from .toy_formats import write_cityscapes_vps
    categories = [
        dict(id=i, name=name, isthing=int(i in spec.thing_ids))
        for i, name in enumerate(spec.classes)
    ]
    write_cityscapes_vps(root, splits, categories=categories)


def _write_cityscapes_dvps(root: str, splits: dict,
                           spec: DatasetSpec) -> None:
    from .toy_formats import write_cityscapes_dvps
    write_cityscapes_dvps(root, splits, thing_ids=spec.thing_ids)


def _write_semkitti_dvps(root: str, splits: dict,
                         spec: DatasetSpec) -> None:
    from .toy_formats import write_semkitti_dvps
    write_semkitti_dvps(root, splits, thing_ids=spec.thing_ids)


def _dvps_specs(cs, cs_map, video_preds) -> Dict[str, DatasetSpec]:
    """Cityscapes-DVPS (1024x2048, crop 1024x2048 of x1..2 rescaling) and
    SemKITTI-DVPS (376x1241, crop 384x1248 of x1..2 of 1248x384): single
    frames (image stage) or a key + one reference frame (video stage);
    predictions include the depth."""
    from mmvidseg.datasets.semkitti_dvps import SEMKITTI_CLASSES
    sk = tuple(SEMKITTI_CLASSES)
    preds = video_preds + ('pred_depth', )
    return dict(
        CityscapesDVPSDataset=DatasetSpec(
            name='Cityscapes-DVPS', frame_size=(1024, 2048), classes=cs,
            thing_ids=tuple(range(11, 19)), class_map=_ids(cs, cs_map),
            train_input=InputSpec('crop', (1024, 2048), scale=(2048, 1024)),
            clip_frames=(1, 2), num_frames=2, pred_fields=preds,
            write=_write_cityscapes_dvps),
        SemKITTIDVPSDataset=DatasetSpec(
            name='SemKITTI-DVPS', frame_size=(376, 1241), classes=sk,
            thing_ids=tuple(range(8)),
            class_map=_ids(sk, dict(road='road', sky='traffic-sign',
                                    building='building', car='car',
                                    person='person', ball='bicycle')),
            train_input=InputSpec('crop', (384, 1248), scale=(1248, 384)),
            clip_frames=(1, 2), num_frames=2, pred_fields=preds,
            write=_write_semkitti_dvps))


def _write_vipseg(root: str, splits: dict, spec: DatasetSpec) -> None:
    from .toy_formats import voc_palette, write_vipseg
    palette = voc_palette()  # distinct colours, index 0 black (void)
    categories = [
        dict(id=i, name=name, isthing=int(i in spec.thing_ids),
             color=[int(c) for c in palette[i + 1]])
        for i, name in enumerate(spec.classes)
    ]
    write_vipseg(root, splits, categories=categories)


def _write_youtube_vis(root: str, splits: dict, spec: DatasetSpec) -> None:
    from .toy_formats import write_youtube_vis
    categories = [
        dict(supercategory='object', id=i + 1, name=name)
        for i, name in enumerate(spec.classes)
    ]
    write_youtube_vis(root, splits, version='2019', categories=categories)


def _write_youtube_vis_2021(root: str, splits: dict,
                            spec: DatasetSpec) -> None:
    from .toy_formats import write_youtube_vis
    categories = [
        dict(supercategory='object', id=i + 1, name=name)
        for i, name in enumerate(spec.classes)
    ]
    write_youtube_vis(root, splits, version='2021', categories=categories)


def _write_ovis(root: str, splits: dict, spec: DatasetSpec) -> None:
    """OVIS: the YouTube-VIS 2019 schema with frames in
    ``<split>/<video>`` and the JSONs named ``annotations_<split>.json``."""
    import os
    _write_youtube_vis(root, splits, spec)
    for split in ('train', 'valid'):
        frames = osp.join(root, split, 'JPEGImages')
        if not osp.isdir(frames):
            continue
        for video in os.listdir(frames):
            shutil.move(osp.join(frames, video), osp.join(root, split))
        os.rmdir(frames)
        shutil.move(osp.join(root, f'{split}.json'),
                    osp.join(root, f'annotations_{split}.json'))


def _write_vspw(root: str, splits: dict, spec: DatasetSpec) -> None:
    from .toy_formats import write_vspw
    write_vspw(root, splits, classes=spec.classes)


def _write_cityscapes(root: str, splits: dict, spec: DatasetSpec) -> None:
    from .toy_formats.mmseg_images import write_cityscapes_images
    write_cityscapes_images(root, splits)


def _write_pascal_voc(root: str, splits: dict, spec: DatasetSpec) -> None:
    from .toy_formats.mmseg_images import write_pascal_voc

    # the configs train on VOC train + SBD aug and validate on val
    write_pascal_voc(
        root, dict(train=splits['train'], aug=splits['train'],
                   val=splits['val']))


def _write_triplets(root: str, splits: dict, spec: DatasetSpec) -> None:
    from .toy_formats import write_triplets

    # the real config trains on a "<video> <first frame>" motion list over
    # the videos and tests on the release's test lists
    write_triplets(root, dict(train=splits['train'], test=splits['val']))
    shutil.copy(
        osp.join(root, 'videos_train.txt'),
        osp.join(root, 'train_motion.txt'))


def _write_imagenet_vid(root: str, splits: dict, spec: DatasetSpec) -> None:
    """ImageNet VID with the real categories; the configs train on the
    VID + DET JSON, here the VID one under that name."""
    from .toy_formats.imagenet_vid import write_imagenet_vid
    categories = [
        dict(id=i + 1, name=name, encode_name=name)
        for i, name in enumerate(spec.classes)
    ]
    write_imagenet_vid(root, splits, categories=categories)
    ann = osp.join(root, 'annotations')
    shutil.copy(
        osp.join(ann, 'imagenet_vid_train.json'),
        osp.join(ann, 'imagenet_vid_det_train.json'))


#: The 30 ImageNet VID classes, in category-id order.
IMAGENET_VID_CLASSES = (
    'airplane', 'antelope', 'bear', 'bicycle', 'bird', 'bus', 'car', 'cattle',
    'dog', 'domestic_cat', 'elephant', 'fox', 'giant_panda', 'hamster',
    'horse', 'lion', 'lizard', 'monkey', 'motorcycle', 'rabbit', 'red_panda',
    'sheep', 'snake', 'squirrel', 'tiger', 'train', 'turtle', 'watercraft',
    'whale', 'zebra')


def _imagenet_vid_spec() -> DatasetSpec:
    """ImageNet VID: 1280x720 frames (the most common size), resized to at
    most 1000x600 (TransVOD: 1000x563), clips of 1 (single-frame stage),
    12 (TransVOD Lite) or 15 frames (TransVOD: 14 references)."""
    classes = IMAGENET_VID_CLASSES
    return DatasetSpec(
        name='ImageNet VID', frame_size=(720, 1280), classes=classes,
        thing_ids=tuple(range(len(classes))),
        class_map=dict(
            _ids(classes, dict(car='car', person='monkey', ball='zebra')),
            road=TOY_IGNORE, sky=TOY_IGNORE, building=TOY_IGNORE),
        train_input=InputSpec('fixed', (563, 1000)),
        clip_frames=(1, 12, 15),
        num_frames=16, val_num_frames=1, pred_fields=('pred_instances', ),
        write=_write_imagenet_vid)


def _write_davis(root: str, splits: dict, spec: DatasetSpec) -> None:
    from .toy_formats.davis import write_davis
    write_davis(root, splits)  # with Flow/480p .flo files (VS-ReID)


def _davis_spec() -> DatasetSpec:
    """DAVIS 2017 (semi-supervised VOS): 480p frames (854x480), no
    classes (object ids), exact forward flow in Flow/480p; clips of 3
    frames cropped to 480x480 after a 0.8-1.2 rescale of 854x480."""
    return DatasetSpec(
        name='DAVIS 2017', frame_size=(480, 854),
        train_input=InputSpec('crop', (480, 480), scale=(854, 480)),
        clip_frames=3, num_frames=3, val_num_frames=3,
        pred_fields=('pred_sem_seg', ), write=_write_davis)


def _write_youtube_vos(root: str, splits: dict, spec: DatasetSpec) -> None:
    from .toy_formats.youtube_vos import write_youtube_vos
    write_youtube_vos(root, splits, with_flow=True)  # Flow/<video> (VS-ReID)


def _youtube_vos_spec() -> DatasetSpec:
    """YouTube-VOS (semi-supervised VOS): 720x1280 frames as YouTube-VIS
    2019, no classes (object ids), exact forward flow in
    ``<split>/Flow``; clips of 3 frames cropped to 480x480 after a 0.8-1.2
    rescale of 854x480 (the DAVIS recipe)."""
    return DatasetSpec(
        name='YouTube-VOS', frame_size=(720, 1280),
        train_input=InputSpec('crop', (480, 480), scale=(854, 480)),
        clip_frames=3, num_frames=3, val_num_frames=3,
        pred_fields=('pred_sem_seg', ), write=_write_youtube_vos)


# ----------------------------------------------------------------- specs
def _ids(classes, names: Dict[str, str]) -> Dict[str, int]:
    """Toy class name -> id of the real class named ``names[toy]``."""
    return {toy: list(classes).index(real) for toy, real in names.items()}


@lru_cache()
def dataset_specs() -> Dict[str, DatasetSpec]:
    """The real-size spec of every dataset a real config trains on.

    Keys are the train dataset's ``type`` (the leaves of a dataset wrapper)
    plus ``/<dataset_version>`` where the config sets one. Class maps send
    the toy classes to real ones (things to things) and, where possible,
    a large region to the highest class id, so that an off-by-one in label
    decoding reaches ``num_classes``.

    Returns:
        Dict[str, DatasetSpec]: key -> spec.
    """
    from mmseg.datasets import CityscapesDataset, PascalVOCDataset

    from mmvidseg.datasets.kitti_step import CITYSCAPES_CLASSES
    from mmvidseg.datasets.vipseg import VIPSEG_CLASSES, VIPSEG_THING_IDS
    from mmvidseg.datasets.youtube_vis import YTVIS_2019_CLASSES
    cs = tuple(CITYSCAPES_CLASSES)
    cs_map = dict(road='road', sky='sky', building='building', car='car',
                  person='person', ball='bicycle')
    video_preds = ('pred_panoptic_seg', 'pred_sem_seg',
                   'pred_track_instances')
    specs = dict(
        KITTISTEPDataset=DatasetSpec(
            name='KITTI-STEP', frame_size=(375, 1242), classes=cs,
            thing_ids=(11, 13),
            # bicycle is stuff in KITTI-STEP: the highest id on every frame
            class_map=_ids(cs, dict(cs_map, building='bicycle', ball='car')),
            train_input=InputSpec('crop', (384, 1248), scale=(1248, 384)),
            clip_frames=(2, 4), pred_fields=video_preds,
            write=_write_kitti_step),
        CityscapesVPSDataset=DatasetSpec(
            name='Cityscapes-VPS', frame_size=(1024, 2048), classes=cs,
            thing_ids=tuple(range(11, 19)), class_map=_ids(cs, cs_map),
            train_input=InputSpec('crop', (1024, 1024), scale=(2048, 1024)),
            clip_frames=2, num_frames=2, pred_fields=video_preds,
            write=_write_cityscapes_vps),
        VIPSegDataset=DatasetSpec(
            name='VIPSeg', frame_size=(720, 1280),
            classes=tuple(VIPSEG_CLASSES), thing_ids=tuple(VIPSEG_THING_IDS),
            class_map=_ids(VIPSEG_CLASSES, dict(cs_map, ball='train')),
            train_input=InputSpec('crop', (736, 736), scale=(1280, 720)),
            clip_frames=(2, 4), pred_fields=video_preds, write=_write_vipseg),
        VSPWDataset=DatasetSpec(
            name='VSPW', frame_size=(480, 853),
            classes=tuple(f'vspw_{i:03d}' for i in range(124)),
            class_map=dict(road=0, building=30, sky=123, car=60, person=61,
                           ball=70),
            train_input=InputSpec('crop', (480, 480), scale=(853, 480)),
            clip_frames=(2, 4), pred_fields=('pred_sem_seg', ),
            write=_write_vspw),
        **_image_and_clip_specs(cs, cs_map, CityscapesDataset,
                                PascalVOCDataset, YTVIS_2019_CLASSES))
    specs.update(_more_vis_specs(specs['YouTubeVISDataset/2019']))
    specs['ImageNetVIDDataset'] = _imagenet_vid_spec()
    specs.update(_dvps_specs(cs, cs_map, video_preds))
    specs['DAVISDataset'] = _davis_spec()
    specs['YouTubeVOSDataset'] = _youtube_vos_spec()
    return specs


OVIS_CLASSES = ('Person', 'Bird', 'Cat', 'Dog', 'Horse', 'Sheep', 'Cow',
                'Elephant', 'Bear', 'Zebra', 'Giraffe', 'Poultry',
                'Giant_panda', 'Lizard', 'Parrot', 'Monkey', 'Rabbit',
                'Tiger', 'Fish', 'Turtle', 'Bicycle', 'Motorcycle',
                'Airplane', 'Boat', 'Vehicle')


def _more_vis_specs(ytvis19: DatasetSpec) -> Dict[str, DatasetSpec]:
    """YouTube-VIS 2021 and OVIS (classes from its JSON, no version), as
    YouTube-VIS 2019 but for the classes and the layout."""
    from mmvidseg.datasets.youtube_vis import YTVIS_2021_CLASSES
    ignore = TOY_IGNORE
    walls = dict(road=ignore, sky=ignore, building=ignore)
    return {
        'YouTubeVISDataset/2021': replace(
            ytvis19, name='YouTube-VIS 2021',
            classes=tuple(YTVIS_2021_CLASSES),
            thing_ids=tuple(range(len(YTVIS_2021_CLASSES))),
            class_map=dict(_ids(YTVIS_2021_CLASSES, dict(
                car='car', person='person', ball='tennis_racket')), **walls),
            write=_write_youtube_vis_2021),
        'YouTubeVISDataset': replace(
            ytvis19, name='OVIS', classes=OVIS_CLASSES,
            thing_ids=tuple(range(len(OVIS_CLASSES))),
            class_map=dict(_ids(OVIS_CLASSES, dict(
                car='Vehicle', person='Person', ball='Bicycle')), **walls),
            write=_write_ovis),
    }


def _image_and_clip_specs(cs, cs_map, cityscapes, voc,
                          ytvis_classes) -> Dict[str, DatasetSpec]:
    """The specs of the image datasets (mmseg), YouTube-VIS and UCF-101."""
    voc_classes = tuple(voc.METAINFO['classes'])
    ignore = TOY_IGNORE
    return {
        'mmseg.CityscapesDataset': DatasetSpec(
            name='Cityscapes', frame_size=(1024, 2048),
            classes=tuple(cityscapes.METAINFO['classes']),
            class_map=_ids(cs, cs_map),
            train_input=InputSpec('fixed', (512, 1024)), num_frames=1,
            pred_fields=('pred_sem_seg', ), write=_write_cityscapes),
        'mmseg.PascalVOCDataset': DatasetSpec(
            name='PASCAL VOC 2012 aug', frame_size=(375, 500),
            classes=voc_classes,
            class_map=_ids(voc_classes, dict(
                road='background', sky='background', building='tvmonitor',
                car='car', person='person', ball='bottle')),
            train_input=InputSpec('fixed', (512, 512)), num_frames=1,
            pred_fields=('pred_sem_seg', ), write=_write_pascal_voc),
        'YouTubeVISDataset/2019': DatasetSpec(
            name='YouTube-VIS 2019', frame_size=(720, 1280),
            classes=tuple(ytvis_classes),
            thing_ids=tuple(range(len(ytvis_classes))),
            class_map=dict(
                _ids(ytvis_classes, dict(car='sedan', person='person',
                                         ball='tennis_racket')),
                road=ignore, sky=ignore, building=ignore),
            train_input=InputSpec(
                'short_side',
                short_sides=(288, 320, 352, 392, 416, 448, 480, 512)),
            clip_frames=5, train_clip_frames=2, num_frames=5,
            val_num_frames=2,
            pred_fields=('pred_track_instances', ),
            write=_write_youtube_vis),
        # trains on extracted UCF-101 frames (320x240), tests on the DVF
        # release's 256x256 triplets
        'FrameTripletDataset': DatasetSpec(
            name='UCF-101 (DVF)', frame_size=(240, 320),
            val_frame_size=(256, 256),
            train_input=InputSpec('fixed', (256, 256)), clip_frames=3,
            num_frames=4, val_num_frames=3, pred_fields=('pred_frame', ),
            write=_write_triplets),
    }


# ------------------------------------------------------------ toy data
def relabel_toy_video(video: ToyVideo, class_map: Dict[str, int]) -> ToyVideo:
    """A copy of ``video`` with its toy class ids replaced.

    Args:
        video (ToyVideo): A generated video.
        class_map (Dict[str, int]): Toy class name -> new class id (< 256;
            :data:`TOY_IGNORE` for void). Unmapped classes become void.

    Returns:
        ToyVideo: ``semantic`` (T, H, W) and the objects' labels relabelled.
    """
    lut = np.full(256, TOY_IGNORE, np.uint8)
    for name, new in class_map.items():
        lut[TOY_CLASSES.index(name)] = new
    objects = [replace(o, label=int(lut[o.label])) for o in video.objects]
    return replace(video, semantic=lut[video.semantic], objects=objects)


def write_real_size_data(spec: DatasetSpec, root: str, seed: int = 0) -> str:
    """Write one training video (``spec.num_frames`` frames) and one
    validation video (``spec.val_num_frames``) at the real frame sizes and
    class ids of ``spec``, in its on-disk format.

    Args:
        spec (DatasetSpec): The dataset.
        root (str): Output directory.
        seed (int): Seed of the training video (validation: seed + 1000).

    Returns:
        str: ``root``.
    """
    splits = dict(
        train=[generate_toy_video(seed, spec.num_frames, *spec.frame_size)],
        val=[
            generate_toy_video(seed + 1000, spec.val_num_frames,
                               *spec.val_size)
        ])
    if spec.classes is not None:
        splits = {
            split: [relabel_toy_video(v, spec.class_map) for v in videos]
            for split, videos in splits.items()
        }
    spec.write(root, splits, spec)
    return root


# -------------------------------------------------------------- config
def non_toy_configs(config_dir: str) -> List[str]:
    """Every real config: ``config_dir/**/*.py`` except ``_base_`` folders
    and file names containing ``toy``, sorted."""
    paths = glob.glob(osp.join(config_dir, '**', '*.py'), recursive=True)
    rel = (osp.relpath(p, config_dir) for p in paths)
    return sorted(
        osp.join(config_dir, p) for p in rel
        if '_base_' not in p.split(osp.sep)
        and 'toy' not in osp.basename(p))


def load_config(path: Union[str, Config]) -> Tuple[Config, str]:
    """Load a config, failing clearly.

    Args:
        path (str | Config): Config file (or an already loaded config).

    Returns:
        Tuple[Config, str]: The config and its name for messages.

    Raises:
        ConfigCheckError: If it does not load (a missing ``_base_`` file, a
            syntax error) or lacks a key of :data:`REQUIRED_KEYS`.
    """
    if isinstance(path, Config):
        cfg, name = path, osp.basename(path.filename or '<config>')
    else:
        name = osp.basename(path)
        try:
            cfg = Config.fromfile(path)
        except Exception as e:  # noqa: B902 (any load error is reported)
            raise ConfigCheckError(
                f'{name}: the config does not load ({type(e).__name__}: '
                f'{e}); check its _base_ files') from e
    missing = [k for k in REQUIRED_KEYS if k not in cfg]
    missing += [
        f'{k}.dataset' for k in ('train_dataloader', 'val_dataloader')
        if k in cfg and 'dataset' not in cfg[k]
    ]
    if missing:
        raise ConfigCheckError(
            f'{name}: missing key(s) {", ".join(missing)}: the config '
            'neither sets nor inherits them (a _base_ file left out?)')
    return cfg, name


def _leaf_datasets(ds) -> Iterator[dict]:
    """The dataset configs inside wrappers (Concat/Repeat/...)."""
    if 'datasets' in ds:
        for sub in ds['datasets']:
            yield from _leaf_datasets(sub)
    elif 'dataset' in ds:
        yield from _leaf_datasets(ds['dataset'])
    else:
        yield ds


def dataset_key(cfg: Config) -> str:
    """The :func:`dataset_specs` key of the config's train dataset."""
    keys = set()
    for ds in _leaf_datasets(cfg.train_dataloader.dataset):
        kind = ds.get('type')
        kind = getattr(kind, '__name__', kind)
        version = ds.get('dataset_version')
        keys.add(f'{kind}/{version}' if version else str(kind))
    return ' + '.join(sorted(keys))


def find_spec(cfg: Config, name: str) -> DatasetSpec:
    """The :class:`DatasetSpec` of the config's train dataset.

    Raises:
        ConfigCheckError: If no spec exists for it (a new dataset: add one).
    """
    key = dataset_key(cfg)
    spec = dataset_specs().get(key)
    if spec is None:
        raise ConfigCheckError(
            f'{name}: no real-size dataset spec for {key!r}: add a '
            'DatasetSpec (frame size, classes, toy writer, training input) '
            'for it to dataset_specs() in mmvidseg/testing/config_check.py')
    return spec


def point_to_data(cfg: Config, root: str) -> Dict[str, str]:
    """Point every dataset of the train / val / test loaders at ``root``,
    as ``--cfg-options`` would (``cfg`` is changed in place).

    Returns:
        Dict[str, str]: The options merged, e.g.
        ``{'train_dataloader.dataset.datasets.0.data_root': root}``.
    """
    options = {}

    def collect(ds, prefix):
        if 'datasets' in ds:
            for i, sub in enumerate(ds['datasets']):
                collect(sub, f'{prefix}.datasets.{i}')
        elif 'dataset' in ds:
            collect(ds['dataset'], f'{prefix}.dataset')
        else:
            options[f'{prefix}.data_root'] = root

    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(loader) and 'dataset' in cfg[loader]:
            collect(cfg[loader]['dataset'], f'{loader}.dataset')
    cfg.merge_from_dict(options)
    return options


@contextmanager
def _scope(cfg: Config, what: str):
    """Run ``what`` in the config's default scope (restoring the previous
    one); an error other than a :class:`ConfigCheckError` becomes one
    naming the config and ``what``."""
    from mmvidseg.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    try:
        with DefaultScope.overwrite_default_scope(
                cfg.get('default_scope', 'mmvidseg')):
            yield
    except ConfigCheckError:
        raise
    except Exception as e:  # noqa: B902 (reported with the config's name)
        name = osp.basename(cfg.filename or '<config>')
        raise ConfigCheckError(
            f'{name}: {what} failed: {type(e).__name__}: {e}') from e


def _drop_pretrained(cfg) -> None:
    """Set every ``init_cfg`` of type ``Pretrained`` in a nested config
    to None, in place."""
    if isinstance(cfg, dict):
        init = cfg.get('init_cfg')
        if isinstance(init, dict) and init.get('type') == 'Pretrained':
            cfg['init_cfg'] = None
        for value in cfg.values():
            _drop_pretrained(value)
    elif isinstance(cfg, (list, tuple)):
        for value in cfg:
            _drop_pretrained(value)


def build_real_model(cfg: Config) -> torch.nn.Module:
    """The config's model at full size, on the CPU, without downloads.

    The backbone's ``init_cfg`` (also a wrapped ``detector``'s) and every
    ``Pretrained`` ``init_cfg`` elsewhere (a second stream, a ReID
    embedder) are set to None (nothing is downloaded; the parameter count
    does not change) and
    SyncBN becomes BN (no process group on the CPU; same parameters).
    Weights are initialised.
    """
    from mmengine.model import revert_sync_batchnorm

    from mmvidseg.registry import MODELS
    model_cfg = copy.deepcopy(cfg.model)
    for holder in (model_cfg, model_cfg.get('detector')):
        if holder is not None and holder.get('backbone') is not None:
            holder.backbone.init_cfg = None
    _drop_pretrained(model_cfg)
    with _scope(cfg, 'building the model'):
        model = revert_sync_batchnorm(MODELS.build(model_cfg))
        model.init_weights()
    return model


# ------------------------------------------------------------ pipeline
def _seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _index(loader: dict, dataset, position: int):
    """Dataset index of the ``position``-th sample: ``(video, frame)`` for
    frame-level samplers (TrackImgSampler), else an int."""
    sampler = str(loader.get('sampler', {}).get('type', ''))
    if 'TrackImgSampler' in sampler:
        video = position % len(dataset)
        return video, position % dataset.get_len_per_video(video)
    return position % len(dataset)


def _frames(sample) -> list:
    """The per-frame data samples of a video sample (or [image sample])."""
    return list(getattr(sample, 'video_data_samples', [sample]))


def _key_frame(sample):
    keys = getattr(sample, 'key_frames_inds', None) or [0]
    return _frames(sample)[keys[0]]


def _label_values(sample) -> torch.Tensor:
    """Distinct class ids in the ground truth of every frame of a sample
    (semantic maps, panoptic maps // 1000, instance labels)."""
    from mmvidseg.structures import LABEL_DIVISOR
    values = [torch.zeros(0, dtype=torch.long)]
    for frame in _frames(sample):
        if 'gt_sem_seg' in frame:
            values.append(frame.gt_sem_seg.data.long().unique())
        if 'gt_panoptic_seg' in frame:
            values.append(
                (frame.gt_panoptic_seg.sem_seg.long() // LABEL_DIVISOR)
                .unique())
        if 'gt_instances' in frame and 'labels' in frame.gt_instances:
            values.append(frame.gt_instances.labels.long().unique())
    return torch.cat(values).unique()


def _scale_ratio(meta: dict, scale: Optional[Tuple[int, int]]) -> float:
    """A frame's rescale ratio: its scale factor over the one that fits the
    original frame into ``scale`` (w, h); 1 without rescaling."""
    factor = meta.get('scale_factor')
    if factor is None or scale is None:
        return 1.0
    ori_h, ori_w = meta['ori_shape'][:2]
    return float(min(factor)) / min(scale[0] / ori_w, scale[1] / ori_h)


def _pipeline_transforms(transforms) -> Iterator[dict]:
    """Every transform config in a pipeline, wrappers' insides too."""
    for t in transforms or []:
        if isinstance(t, (list, tuple)):
            yield from _pipeline_transforms(t)
            continue
        yield t
        yield from _pipeline_transforms(t.get('transforms'))


def _crop_reads_wh(kind) -> bool:
    """Whether a crop transform reads ``crop_size`` as (w, h) (mmdet's
    ``RandomCrop`` and subclasses) rather than (h, w) (mmseg's)."""
    from mmdet.datasets.transforms import RandomCrop as MMDetRandomCrop

    from mmvidseg.registry import TRANSFORMS
    cls = TRANSFORMS.get(kind) if isinstance(kind, str) else kind
    return isinstance(cls, type) and issubclass(cls, MMDetRandomCrop)


def transposed_crop(cfg: Config, size: Tuple[int, int]) -> Optional[str]:
    """A message when a crop of the train pipeline gives ``size`` (h, w)
    transposed, e.g. mmdet's ``RandomCrop(crop_size=(384, 1248))``, which
    reads (w, h), where 384x1248 (h x w) was meant; else None."""
    for ds in _leaf_datasets(cfg.train_dataloader.dataset):
        for t in _pipeline_transforms(ds.get('pipeline')):
            crop = t.get('crop_size') if isinstance(t, dict) else None
            if crop is None:
                continue
            crop = (crop, crop) if isinstance(crop, int) else tuple(crop)
            reads_wh = _crop_reads_wh(t.get('type'))
            hw = crop[::-1] if reads_wh else crop
            if hw != tuple(size) and hw[::-1] == tuple(size):
                order = '(w,h)' if reads_wh else '(h,w)'
                return (f'{t.get("type")}(crop_size={crop}) reads {order}: '
                        f'crop {order} looks transposed: input '
                        f'{hw[0]}x{hw[1]} expected {size[0]}x{size[1]} '
                        '(h x w)')
    return None


def _fmt(hw) -> str:
    return f'{hw[0]}x{hw[1]}'


def _check_input_sizes(name: str, spec: DatasetSpec, cfg: Config,
                       records: List[dict]) -> None:
    """Compare the training inputs of the seeded samples with
    ``spec.train_input``."""
    want = spec.train_input
    if want.kind in ('crop', 'fixed'):
        hint = transposed_crop(cfg, want.size)
        if hint:
            raise ConfigCheckError(f'{name}: {hint}')
    for r in records:
        where = (f'{name}: training input {_fmt(r["input"])} (h x w) of '
                 f'seeded sample {r["seed"]}')
        if want.kind == 'fixed' and r['input'] != want.size:
            raise ConfigCheckError(f'{where}, expected {_fmt(want.size)} '
                                   f'({spec.name})')
        if want.kind == 'crop':
            if r['input'][0] > want.size[0] or r['input'][1] > want.size[1]:
                raise ConfigCheckError(
                    f'{where} is larger than the {_fmt(want.size)} crop of '
                    f'{spec.name}')
            if r['ratio'] >= 1 - 1e-3 and r['input'] != want.size:
                raise ConfigCheckError(
                    f'{where} at scale ratio {r["ratio"]:.2f} >= 1, expected '
                    f'{_fmt(want.size)} ({spec.name})')
        if want.kind == 'short_side':
            _check_short_side(where, spec, r)
    if want.kind == 'crop' and not any(r['ratio'] >= 1 - 1e-3
                                       for r in records):
        raise ConfigCheckError(
            f'{name}: no seeded sample was rescaled by a ratio >= 1 '
            f'(ratios {[round(r["ratio"], 2) for r in records]}): the '
            f'rescale does not reach {spec.name} scale {want.scale} (w, h)')


def _check_short_side(where: str, spec: DatasetSpec, r: dict) -> None:
    """Short side in the recipe's list, aspect kept, padding only."""
    img_h, img_w = r['img_shape']
    ori_h, ori_w = r['ori_shape']
    short = min(img_h, img_w)
    if short not in spec.train_input.short_sides:
        raise ConfigCheckError(
            f'{where}: frames rescaled to {img_h}x{img_w}, short side '
            f'{short} not in {spec.name} short sides '
            f'{spec.train_input.short_sides}')
    if abs(img_w * ori_h - img_h * ori_w) > max(ori_h, ori_w):
        raise ConfigCheckError(
            f'{where}: frames {ori_h}x{ori_w} rescaled to {img_h}x{img_w} '
            'do not keep their aspect ratio')
    pad = (r['input'][0] - img_h, r['input'][1] - img_w)
    if min(pad) < 0 or max(pad) >= r['pad_divisor']:
        raise ConfigCheckError(
            f'{where}: frames of {img_h}x{img_w} are not just padded to a '
            f'multiple of {r["pad_divisor"]}')


def check_classes(name: str, spec: DatasetSpec, dataset,
                  model: torch.nn.Module) -> Optional[int]:
    """The dataset's class count is the real one and ``model.num_classes``;
    the model's thing classes are the dataset's.

    Returns:
        int, optional: The number of classes (None without classes).
    """
    classes = dataset.metainfo.get('classes')
    if spec.classes is None and tuple(classes or ()) == ('object', ):
        return None  # VOS (DAVIS): labels are object ids, not classes
    num = None if classes is None else len(classes)
    if num != spec.num_classes:
        raise ConfigCheckError(
            f'{name}: dataset has {num} classes, the real {spec.name} has '
            f'{spec.num_classes}')
    model_num = getattr(model, 'num_classes', None)
    if num != model_num:
        raise ConfigCheckError(
            f'{name}: dataset has {num} classes, '
            f'model.num_classes={model_num}')
    things = dataset.metainfo.get('thing_classes')
    model_things = getattr(model, 'thing_classes', None)
    if things is not None and model_things is not None:
        named = [classes[i] for i in model_things]
        if set(named) != set(things):
            raise ConfigCheckError(
                f'{name}: model.thing_classes {list(model_things)} are '
                f'{named}, the dataset\'s thing classes are {list(things)}')
    return num


def _check_labels(name: str, seed: int, values: torch.Tensor,
                  num_classes: Optional[int]) -> None:
    if num_classes is None:
        return
    bad = [
        v for v in values.tolist()
        if not (0 <= v < num_classes or v == IGNORE_INDEX)
    ]
    if bad:
        raise ConfigCheckError(
            f'{name}: label values {bad} of seeded sample {seed} are not '
            f'< num_classes={num_classes} nor the ignore index '
            f'{IGNORE_INDEX}')


def _train_dataset(cfg: Config, clip_frames: Optional[int] = None):
    """The config's train dataset; with ``clip_frames``, its
    ``VideoFrameSample`` draws that many frames."""
    from mmvidseg.registry import DATASETS
    ds_cfg = copy.deepcopy(cfg.train_dataloader.dataset)
    if clip_frames is not None:
        for t in _pipeline_transforms(ds_cfg.get('pipeline')):
            if t.get('type') == 'VideoFrameSample':
                t['num_frames'] = clip_frames
    with _scope(cfg, 'building the train dataset'):
        return DATASETS.build(ds_cfg)


def _record(seed: int, sample: dict, data: dict, divisor: int,
            spec: DatasetSpec) -> dict:
    """Sizes of one seeded training sample and its preprocessed input."""
    inputs = data['inputs']
    key = _key_frame(sample['data_samples'])
    return dict(
        seed=seed,
        input=tuple(int(s) for s in inputs.shape[-2:]),
        frames=int(inputs.shape[1]) if inputs.dim() == 5 else None,
        img_shape=tuple(key.img_shape[:2]),
        ori_shape=tuple(key.ori_shape[:2]),
        ratio=_scale_ratio(key.metainfo, spec.train_input.scale),
        pad_divisor=divisor,
        labels=_label_values(sample['data_samples']))


def check_train_pipeline(name: str, cfg: Config, spec: DatasetSpec,
                         model: torch.nn.Module,
                         num_samples: int = 8) -> dict:
    """Run the config's train dataset, pipeline and data preprocessor on
    ``num_samples`` seeded samples of the real-size toy data.

    Checks the class counts (:func:`check_classes`), the original frame
    size, the clip length, the input size (h, w) against
    ``spec.train_input`` and every label value.

    Args:
        name (str): Config name for messages.
        cfg (Config): The config, pointed at the toy data.
        spec (DatasetSpec): Its dataset.
        model (nn.Module): The built model (``num_classes``,
            ``data_preprocessor``).
        num_samples (int): Seeds 0..num_samples-1. Defaults to 8.

    Returns:
        dict: ``records`` (per seed: ``input`` (h, w), ``frames``,
        ``ratio``, ...), ``num_classes``, ``max_input`` (h, w) and
        ``max_seed`` (the seed of the largest input).
    """
    dataset = _train_dataset(cfg)
    num_classes = check_classes(name, spec, dataset, model)
    divisor = int(cfg.model.get('data_preprocessor', {}).get(
        'pad_size_divisor') or 1)
    records = []
    with _scope(cfg, 'the train pipeline / data preprocessor'):
        for seed in range(num_samples):
            _seed(seed)
            sample = dataset[_index(cfg.train_dataloader, dataset, seed)]
            data = model.data_preprocessor(pseudo_collate([sample]), True)
            records.append(_record(seed, sample, data, divisor, spec))
    for r in records:
        if r['ori_shape'] != spec.frame_size:
            raise ConfigCheckError(
                f'{name}: the toy frames are {_fmt(r["ori_shape"])}, not '
                f'the {_fmt(spec.frame_size)} of {spec.name}')
        lengths = spec.clip_frames if isinstance(
            spec.clip_frames, tuple) else (spec.clip_frames, )
        if r['frames'] not in lengths:
            raise ConfigCheckError(
                f'{name}: training samples have {r["frames"]} frames, the '
                f'{spec.name} recipes use '
                f'{" or ".join(str(n) for n in lengths)}')
        _check_labels(name, r['seed'], r['labels'], num_classes)
    if num_classes is not None and not any(
            (r['labels'] != IGNORE_INDEX).any() for r in records):
        raise ConfigCheckError(f'{name}: no seeded sample has a labelled '
                               'pixel or instance')
    _check_input_sizes(name, spec, cfg, records)
    largest = max(records, key=lambda r: r['input'][0] * r['input'][1])
    return dict(records=records, num_classes=num_classes,
                max_input=largest['input'], max_seed=largest['seed'])


# ------------------------------------------------------ training / test
def _backbone(model: torch.nn.Module) -> Optional[torch.nn.Module]:
    """``model.backbone``, or a wrapped ``model.detector.backbone``."""
    backbone = getattr(model, 'backbone', None)
    if backbone is None and hasattr(model, 'detector'):
        backbone = getattr(model.detector, 'backbone', None)
    return backbone


def _backbone_grads(model: torch.nn.Module) -> Dict[str, float]:
    """Gradient norm of every trainable backbone parameter with one."""
    backbone = _backbone(model)
    if backbone is None:
        return {}
    return {
        n: float(p.grad.norm())
        for n, p in backbone.named_parameters()
        if p.requires_grad and p.grad is not None
    }


def check_training_step(name: str, cfg: Config, model: torch.nn.Module,
                        batch: dict) -> Dict[str, float]:
    """One training iteration through the config's ``optim_wrapper``.

    Forward (``mode='loss'``), backward, optimiser step: every logged loss
    must be finite, gradients must reach the backbone (finite, not all
    zero) and the step must change a backbone parameter.

    Args:
        name (str): Config name for messages.
        cfg (Config): The config.
        model (nn.Module): The real model (:func:`build_real_model`).
        batch (dict): A collated batch (``inputs`` (T, C, H, W) or
            (C, H, W) per sample, ``data_samples``).

    Returns:
        Dict[str, float]: The logged losses.
    """
    from mmengine.optim import build_optim_wrapper
    with _scope(cfg, 'the training forward pass'):
        optim_wrapper = build_optim_wrapper(
            model, copy.deepcopy(cfg.optim_wrapper))
        model.train()
        data = model.data_preprocessor(batch, True)
        loss, log_vars = model.parse_losses(model(**data, mode='loss'))
    log_vars = {k: float(v) for k, v in log_vars.items()}
    bad = {k: v for k, v in log_vars.items() if not math.isfinite(v)}
    if bad:
        raise ConfigCheckError(f'{name}: non-finite losses {bad}')
    with _scope(cfg, 'the backward pass'):
        optim_wrapper.backward(loss)
    grads = _backbone_grads(model)
    if not grads or not any(g > 0 for g in grads.values()):
        raise ConfigCheckError(
            f'{name}: no gradient reached model.backbone '
            f'({len(grads)} backbone parameters have a .grad)')
    if not all(math.isfinite(g) for g in grads.values()):
        raise ConfigCheckError(f'{name}: non-finite backbone gradients')
    pname = max(grads, key=grads.get)
    param = dict(_backbone(model).named_parameters())[pname]
    before = param.detach().clone()
    with _scope(cfg, 'the optimizer step'):
        optim_wrapper.step()
        optim_wrapper.zero_grad()
    if torch.equal(before, param.detach()):
        raise ConfigCheckError(
            f'{name}: the optimizer step left backbone.{pname} unchanged')
    return log_vars


def _spatial_size(value) -> Optional[Tuple[int, int]]:
    """(h, w) of a PixelData or of an InstanceData's ``masks``."""
    if hasattr(value, 'masks'):
        masks = value.masks
        if hasattr(masks, 'height'):  # mmdet BitmapMasks
            return masks.height, masks.width
        return tuple(int(s) for s in masks.shape[-2:])
    shape = getattr(value, 'shape', None)
    return None if shape is None else tuple(int(s) for s in shape[-2:])


def _box_frame_size(value, size: Tuple[int, int]) -> Optional[tuple]:
    """For box-only predictions (an InstanceData with ``bboxes`` and no
    ``masks``): ``size`` if every box lies in a frame of that (h, w), else
    the (h, w) the boxes reach; None for other predictions. Boxes carry
    no frame size, so this only catches boxes left at another scale when
    they leave the frame."""
    if value is None or not hasattr(value, 'bboxes') or \
            hasattr(value, 'masks'):
        return None
    boxes = value.bboxes
    if len(boxes) == 0:
        return size
    reach = (int(math.ceil(float(boxes[:, 3].max()))),
             int(math.ceil(float(boxes[:, 2].max()))))
    inside = float(boxes.min()) >= -1 and reach[0] <= size[0] + 1 and \
        reach[1] <= size[1] + 1
    return size if inside else reach


def check_test_step(name: str, cfg: Config, spec: DatasetSpec,
                    model: torch.nn.Module) -> Dict[str, Tuple[int, int]]:
    """One ``model.test_step`` on the first sample of the val dataset.

    The sample must hold frames of the real size, and every field of
    ``spec.pred_fields`` must be written, at the real frame size (h, w)
    (``spec.val_size``).

    Returns:
        Dict[str, Tuple[int, int]]: Prediction field -> (h, w).
    """
    from mmvidseg.registry import DATASETS
    with _scope(cfg, 'the test step'):
        dataset = DATASETS.build(copy.deepcopy(cfg.val_dataloader.dataset))
        sample = dataset[_index(cfg.val_dataloader, dataset, 0)]
        ori = tuple(_key_frame(sample['data_samples']).ori_shape[:2])
        if ori != spec.val_size:
            raise ConfigCheckError(
                f'{name}: val frames are {_fmt(ori)}, not the '
                f'{_fmt(spec.val_size)} of {spec.name}')
        model.eval()
        with torch.no_grad():
            outputs = model.test_step(pseudo_collate([sample]))
    frames = [f for out in outputs for f in _frames(out)]
    sizes = {}
    for key in spec.pred_fields:
        found = {
            _box_frame_size(f.get(key), spec.val_size)
            or _spatial_size(f.get(key))
            for f in frames if key in f
        }
        if not found:
            raise ConfigCheckError(f'{name}: the test step wrote no {key}')
        if found != {spec.val_size}:
            raise ConfigCheckError(
                f'{name}: {key} is {" / ".join(map(_fmt, found))}, expected '
                f'the {spec.name} frame size {_fmt(spec.val_size)}')
        sizes[key] = spec.val_size
    return sizes


# ------------------------------------------------------------ params
def readme_parameters(readme: str) -> Dict[str, str]:
    """The ``| config | params (get_flops.py) |`` table of a README.

    Rows read ``| <config file name> | <N.NN> M | ...``; more columns and
    backticks around the name are allowed. Rows of every such table count.

    Returns:
        Dict[str, str]: Config file name -> count as written
        (``'38.93 M'``).
    """
    rows, in_table = {}, False
    with open(readme, encoding='utf-8') as f:
        for line in f:
            line = line.strip()
            if not line.startswith('|'):
                in_table = False
                continue
            cells = [c.strip().strip('`') for c in line.strip('|').split('|')]
            if tuple(cells[:2]) == PARAMS_TABLE_HEADER:
                in_table = True
            elif in_table and len(cells) >= 2 and \
                    not set(cells[0]) <= set('-: '):
                rows[cells[0]] = cells[1]
    return rows


def check_parameters(name: str, config_path: str,
                     model: torch.nn.Module) -> int:
    """The count get_flops.py prints equals the method README's row.

    The README is ``README.md`` beside the config; the tolerance is the
    printed precision (2 decimals in millions).

    Returns:
        int: The number of parameters.
    """
    from mmvidseg.utils.model_size import count_parameters, format_parameters
    num = count_parameters(model)
    printed = format_parameters(num)
    readme = osp.join(osp.dirname(osp.abspath(config_path)), 'README.md')
    base = osp.basename(config_path)
    row = f'`| {base} | {printed} |`'
    rows = readme_parameters(readme) if osp.isfile(readme) else {}
    if base not in rows:
        raise ConfigCheckError(
            f'{name}: get_flops.py counts {printed} ({num}) parameters; '
            f'{readme} has no row for it in a '
            f'`| {" | ".join(PARAMS_TABLE_HEADER)} |` table: add {row}')
    if rows[base] != printed:
        raise ConfigCheckError(
            f'{name}: get_flops.py counts {printed} ({num}) parameters, '
            f'{readme} says {rows[base]}: update its row to {row}')
    return num


# -------------------------------------------------------------- all
def check_config(config: Union[str, Config],
                 work_dir: str,
                 train: bool = True,
                 params: bool = True,
                 data_root: Optional[str] = None,
                 num_samples: int = 8) -> dict:
    """Check a config at the real size of its dataset (see the module).

    Args:
        config (str | Config): Config file (or loaded config).
        work_dir (str): Where the toy data goes (``work_dir/data``).
        train (bool): Also run one training iteration and one test step
            (slow: minutes for an R50 on the CPU). Defaults to True.
        params (bool): Also check the README's parameter count. Defaults
            to True.
        data_root (str, optional): Toy data already written by
            :func:`write_real_size_data` for this config's spec.
        num_samples (int): Seeded samples of the pipeline check.

    Returns:
        dict: ``spec``, the pipeline report (``records``, ``max_input``,
        ...), ``losses``, ``pred_sizes`` and ``params`` (those checked).

    Raises:
        ConfigCheckError: On the first problem, naming the config.
    """
    cfg, name = load_config(config)
    spec = find_spec(cfg, name)
    if data_root is None:
        data_root = write_real_size_data(spec, osp.join(work_dir, 'data'))
    point_to_data(cfg, data_root)
    model = build_real_model(cfg)
    report = check_train_pipeline(name, cfg, spec, model, num_samples)
    report['spec'] = spec
    if train:
        report['losses'] = check_training_step(
            name, cfg, model, training_batch(cfg, spec, report['max_seed']))
        report['pred_sizes'] = check_test_step(name, cfg, spec, model)
    if params:
        path = config if isinstance(config, str) else cfg.filename
        report['params'] = check_parameters(name, path, model)
    return report


def training_batch(cfg: Config, spec: DatasetSpec, seed: int) -> dict:
    """The batch of 1 of the training iteration: the seeded sample with the
    largest input (the full training size), with
    ``spec.train_clip_frames`` frames where set."""
    dataset = _train_dataset(cfg, spec.train_clip_frames)
    with _scope(cfg, 'the train pipeline'):
        _seed(seed)
        sample = dataset[_index(cfg.train_dataloader, dataset, seed)]
    return pseudo_collate([sample])
