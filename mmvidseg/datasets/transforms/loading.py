# Copyright (c) OpenMMLab. All rights reserved.
import io
from typing import Optional, Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.datasets.transforms import LoadTrackAnnotations
from mmengine.fileio import get
from PIL import Image

from mmvidseg.registry import TRANSFORMS
from mmvidseg.structures import LABEL_DIVISOR
from ..utils import check_choice


def read_label_png(path: str,
                   backend_args: Optional[dict] = None,
                   what: str = 'annotation') -> np.ndarray:
    """Decode a label PNG without changing its values or channels.

    Args:
        path (str): File path or URI.
        backend_args (dict, optional): mmengine file backend arguments.
        what (str): What the file is, for error messages.

    Returns:
        np.ndarray: (H, W) or (H, W, C) array of the stored values: palette
        indices for 'P' PNGs, uint16 for 16-bit PNGs, RGB order for colour
        PNGs.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: It cannot be decoded (truncated or not an image).
    """
    try:
        data = get(path, backend_args=backend_args)
    except FileNotFoundError:
        raise FileNotFoundError(f'{what} {path} does not exist') from None
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()  # decode now: a truncated file fails here
            # 'P' gives palette indices, 'I;16' uint16, 'RGB' (H, W, 3)
            return np.array(img)
    except Exception as e:  # Pillow raises OSError, SyntaxError, ...
        raise ValueError(f'{what} {path} cannot be decoded: {e}') from None


@TRANSFORMS.register_module()
class LoadSemSegMap(BaseTransform):
    """Load a single-channel semantic mask and map it to training ids.

    Reads ``results['seg_map_path']`` and writes ``results['gt_seg_map']``
    (uint8 (H, W), ``ignore_index`` on void). Stored values in
    ``ignore_values`` become void; with ``reduce_zero_label`` every other
    value ``v`` becomes ``v - 1`` (VSPW, ADE20K). Any remaining id outside
    ``[0, num_classes)`` is an error naming the file, as is a mask whose
    size differs from the loaded image.

    Args:
        num_classes (int, optional): Number of classes; ids are checked
            when given. Defaults to None.
        reduce_zero_label (bool): Subtract 1 from stored values. Defaults
            to False.
        ignore_values (Sequence[int]): Stored values meaning void.
            Defaults to (255, ).
        ignore_index (int): Id written on void pixels. Defaults to 255.
        backend_args (dict, optional): mmengine file backend arguments.
    """

    def __init__(self,
                 num_classes: Optional[int] = None,
                 reduce_zero_label: bool = False,
                 ignore_values: Sequence[int] = (255, ),
                 ignore_index: int = 255,
                 backend_args: Optional[dict] = None):
        if num_classes is not None and num_classes > ignore_index:
            raise ValueError(f'num_classes={num_classes} collides with '
                             f'ignore_index={ignore_index}')
        self.num_classes = num_classes
        self.reduce_zero_label = reduce_zero_label
        self.ignore_values = tuple(int(v) for v in ignore_values)
        self.ignore_index = ignore_index
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        path = results['seg_map_path']
        raw = read_label_png(path, self.backend_args, 'mask')
        if raw.ndim != 2:
            raise ValueError(f'mask {path} has shape {raw.shape}: expected a '
                             'single-channel (H, W) PNG')
        # ori_shape: the frame as loaded, before any resize
        frame_shape = results.get('ori_shape')
        if frame_shape is not None and tuple(frame_shape[:2]) != raw.shape:
            raise ValueError(
                f'mask {path} is {raw.shape[1]}x{raw.shape[0]} (WxH) but its '
                f'frame {results.get("img_path")} is '
                f'{frame_shape[1]}x{frame_shape[0]}')
        seg = raw.astype(np.int64)
        void = np.isin(seg, self.ignore_values)
        if self.reduce_zero_label:
            seg = seg - 1
        if self.num_classes is not None:
            bad = ~void & ((seg < 0) | (seg >= self.num_classes))
            if bad.any():
                value = int(raw[bad][0])
                raise ValueError(
                    f'mask {path} holds value {value}, which is neither a '
                    f'class of the {self.num_classes}-class list nor void '
                    f'{self.ignore_values}')
        seg[void] = self.ignore_index
        results['gt_seg_map'] = seg.astype(np.uint8)
        results.setdefault('seg_fields', []).append('gt_seg_map')
        results['ignore_index'] = self.ignore_index
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_classes={self.num_classes}, '
                f'reduce_zero_label={self.reduce_zero_label}, '
                f'ignore_values={self.ignore_values}, '
                f'ignore_index={self.ignore_index})')


def _check_frame_size(results: dict, shape: tuple, path: str,
                      what: str) -> None:
    """Raise if an annotation's (H, W) differs from its loaded frame's."""
    # ori_shape: the frame as loaded, before any resize
    frame_shape = results.get('ori_shape')
    if frame_shape is not None and tuple(frame_shape[:2]) != tuple(shape[:2]):
        raise ValueError(
            f'{what} {path} is {shape[1]}x{shape[0]} (WxH) but its frame '
            f'{results.get("img_path")} is {frame_shape[1]}x{frame_shape[0]}')


def _as_2d(raw: np.ndarray, path: str, what: str) -> np.ndarray:
    if raw.ndim != 2:
        raise ValueError(f'{what} {path} has shape {raw.shape}: expected a '
                         'single-channel (H, W) PNG')
    return raw.astype(np.int32)


def decode_kitti_step(raw: np.ndarray, path: str) -> tuple:
    """KITTI-STEP panoptic PNG: R = class (255 void), G * 256 + B = instance.

    Args:
        raw (np.ndarray): RGB PNG, (H, W, 3) uint8.
        path (str): Its path, for error messages.

    Returns:
        tuple: ``(classes, instances, void)``, each (H, W): int32 class ids,
        int32 instance ids (0 on stuff and crowd), bool void mask.
    """
    if raw.ndim != 3 or raw.shape[2] < 3:
        raise ValueError(f'KITTI-STEP panoptic map {path} has shape '
                         f'{raw.shape}: expected an RGB (H, W, 3) PNG')
    classes = raw[..., 0].astype(np.int32)
    instances = (raw[..., 1].astype(np.int32) << 8) | raw[..., 2]
    return classes, instances, classes == 255


#: VIPSeg stores ``class + 1`` on stuff (<= 124) and ``(class + 1) * 100 +
#: instance`` on things; 0 is void, and 200 marks void too in the release
#: (a stray value that Video K-Net and Tube-Link also drop).
VIPSEG_DIVISOR = 100
VIPSEG_VOID = (0, 200)


def decode_vipseg(raw: np.ndarray, path: str) -> tuple:
    """VIPSeg ``panomasks`` PNG (see :data:`VIPSEG_DIVISOR`).

    VIPSeg numbers the instances of a class from 0, so the instance id
    returned is the stored one plus 1 (0 stays "no instance").

    Returns:
        tuple: ``(classes, instances, void)`` as :func:`decode_kitti_step`.
    """
    raw = _as_2d(raw, path, 'VIPSeg panomask')
    void = (raw == VIPSEG_VOID[0]) | (raw == VIPSEG_VOID[1])
    thing = raw > 124
    classes = np.where(thing, raw // VIPSEG_DIVISOR, raw) - 1
    instances = np.where(thing, raw % VIPSEG_DIVISOR + 1, 0)
    return classes, instances, void


#: Cityscapes-DVPS ``instanceTrainIds``: ``class * 1000 + instance``; class
#: 32 (stored 32000) and 255 are void.
CITYSCAPES_DVPS_DIVISOR = 1000
CITYSCAPES_DVPS_VOID = (32, 255)


def decode_cityscapes_dvps(raw: np.ndarray, path: str) -> tuple:
    """Cityscapes-DVPS ``*_gtFine_instanceTrainIds.png`` (uint16).

    Returns:
        tuple: ``(classes, instances, void)`` as :func:`decode_kitti_step`.
    """
    raw = _as_2d(raw, path, 'Cityscapes-DVPS panoptic map')
    classes = raw // CITYSCAPES_DVPS_DIVISOR
    instances = raw - classes * CITYSCAPES_DVPS_DIVISOR
    void = (classes == CITYSCAPES_DVPS_VOID[0]) | \
        (classes == CITYSCAPES_DVPS_VOID[1])
    return classes, instances, void


def rgb_to_id(rgb: np.ndarray) -> np.ndarray:
    """COCO-panoptic segment id of an RGB PNG: R + 256 * G + 256**2 * B."""
    rgb = rgb[..., :3].astype(np.int64)
    return rgb[..., 0] + 256 * rgb[..., 1] + 65536 * rgb[..., 2]


@TRANSFORMS.register_module()
class LoadPanopticMap(BaseTransform):
    """Load a panoptic annotation of any supported benchmark format.

    Every format is decoded into class ids and per-video track ids and
    written in mmvidseg's convention (:mod:`mmvidseg.structures`):

    * ``gt_panoptic_map``: int32 (H, W), ``class * 1000 + track`` (track 0
      on stuff and crowd), ``255 * 1000`` on void;
    * ``gt_seg_map`` (``with_seg``): uint8 (H, W) class ids,
      ``ignore_index`` on void;
    * with ``with_instances``, one instance per thing segment (track > 0):
      ``gt_masks`` (``BitmapMasks``), ``gt_bboxes`` (numpy (K, 4) xyxy),
      ``gt_bboxes_labels`` (class ids), ``gt_instances_ids`` (the panoptic
      id, unique within a video across classes) and ``gt_ignore_flags``
      (all False).

    Formats (``format``) and the keys they read:

    ==================  =====================================================
    ``kitti_step``      ``pan_map_path``: RGB, R = class, G * 256 + B = inst
    ``vipseg``          ``pan_map_path``: ``panomasks`` uint16, 0/200 void,
                        stuff ``class + 1``, things ``(class + 1) * 100 +
                        inst``; track = inst + 1
    ``cityscapes_dvps`` ``pan_map_path``: uint16 ``class * 1000 + inst``,
                        class 32 void
    ``semkitti_dvps``   ``seg_map_path`` (uint8 class, 255 void) and
                        ``inst_map_path`` (uint16 instance, 0 on stuff)
    ``coco_video``      ``pan_map_path``: RGB segment ids (COCO panoptic)
                        and ``segments_info``: ``[dict(id, category_id,
                        iscrowd, track_id)]`` from the dataset, whose
                        ``category_id`` is already a class index
    ==================  =====================================================

    Args:
        format (str): One of the formats above.
        num_classes (int, optional): Number of classes; a non-void class
            outside ``[0, num_classes)`` raises an error naming the file.
            Defaults to None (classes are then only checked to fit below
            ``ignore_index``).
        with_seg (bool): Also write ``gt_seg_map``. Defaults to True.
        with_instances (bool): Also write the thing instances. Defaults to
            False.
        ignore_index (int): Class id of void pixels in ``gt_seg_map``.
            Defaults to 255.
        backend_args (dict, optional): mmengine file backend arguments.
    """

    FORMATS = ('kitti_step', 'vipseg', 'cityscapes_dvps', 'semkitti_dvps',
               'coco_video')

    def __init__(self,
                 format: str,
                 num_classes: Optional[int] = None,
                 with_seg: bool = True,
                 with_instances: bool = False,
                 ignore_index: int = 255,
                 backend_args: Optional[dict] = None):
        check_choice('format', format, self.FORMATS)
        if num_classes is not None and num_classes > ignore_index:
            raise ValueError(f'num_classes={num_classes} collides with '
                             f'ignore_index={ignore_index}')
        self.format = format
        self.num_classes = num_classes
        self.with_seg = with_seg
        self.with_instances = with_instances
        self.ignore_index = ignore_index
        self.backend_args = backend_args

    def _read(self, results: dict, key: str, what: str) -> tuple:
        path = results.get(key)
        if path is None:
            raise KeyError(f'{self.format} panoptic loading needs '
                           f'"{key}" in the frame info of '
                           f'{results.get("img_path")}')
        raw = read_label_png(path, self.backend_args, what)
        _check_frame_size(results, raw.shape, path, what)
        return raw, path

    def _decode(self, results: dict) -> tuple:
        """Class ids, track ids, void mask and the file to blame."""
        if self.format == 'semkitti_dvps':
            cls_raw, path = self._read(results, 'seg_map_path',
                                       'SemKITTI-DVPS class map')
            inst_raw, inst_path = self._read(results, 'inst_map_path',
                                             'SemKITTI-DVPS instance map')
            classes = _as_2d(cls_raw, path, 'SemKITTI-DVPS class map')
            instances = _as_2d(inst_raw, inst_path,
                               'SemKITTI-DVPS instance map')
            void = classes == 255
            return classes, instances, void, path
        raw, path = self._read(results, 'pan_map_path', 'panoptic map')
        if self.format == 'kitti_step':
            return (*decode_kitti_step(raw, path), path)
        if self.format == 'vipseg':
            return (*decode_vipseg(raw, path), path)
        if self.format == 'cityscapes_dvps':
            return (*decode_cityscapes_dvps(raw, path), path)
        # coco_video
        if raw.ndim != 3:
            raise ValueError(f'COCO panoptic PNG {path} has shape '
                             f'{raw.shape}: expected RGB (H, W, 3)')
        ids = rgb_to_id(raw)
        classes = np.full(ids.shape, -1, np.int64)
        instances = np.zeros(ids.shape, np.int64)
        for seg in results.get('segments_info', []):
            mask = ids == seg['id']
            classes[mask] = seg['category_id']
            if not seg.get('iscrowd', 0):
                instances[mask] = seg.get('track_id', 0)
        void = classes < 0
        listed = {seg['id'] for seg in results.get('segments_info', [])}
        unknown = set(np.unique(ids).tolist()) - listed - {0}
        if unknown:
            raise ValueError(
                f'COCO panoptic PNG {path} holds segment id '
                f'{min(unknown)} that its JSON segments_info does not list')
        return classes, instances, void, path

    def transform(self, results: dict) -> dict:
        classes, instances, void, path = self._decode(results)
        valid = ~void
        cls_valid, inst_valid = classes[valid], instances[valid]
        limit = self.num_classes if self.num_classes is not None else \
            self.ignore_index
        if cls_valid.size and (cls_valid.min() < 0
                               or cls_valid.max() >= limit):
            bad = cls_valid[(cls_valid < 0) | (cls_valid >= limit)]
            raise ValueError(
                f'panoptic map {path} holds class {int(bad[0])}, outside '
                f'the {limit}-class list (and not void)')
        if inst_valid.size and inst_valid.max() >= LABEL_DIVISOR:
            raise ValueError(
                f'panoptic map {path} holds instance id '
                f'{int(inst_valid.max())}; ids must be < {LABEL_DIVISOR}')
        pan = classes.astype(np.int32) * LABEL_DIVISOR + instances.astype(
            np.int32, copy=False)
        pan[void] = self.ignore_index * LABEL_DIVISOR
        results['gt_panoptic_map'] = pan
        results['ignore_index'] = self.ignore_index
        if self.with_seg:
            seg = classes.astype(np.uint8)
            seg[void] = self.ignore_index
            results['gt_seg_map'] = seg
            results.setdefault('seg_fields', []).append('gt_seg_map')
        if self.with_instances:
            things = pan[valid & (instances > 0)]
            # ids < 256 * 1000: counting is faster than sorting (np.unique)
            ids = np.flatnonzero(np.bincount(things)) if things.size else \
                np.zeros(0, np.int64)
            masks = pan[None] == ids[:, None, None].astype(np.int32)
            _set_instances(results, masks, ids // LABEL_DIVISOR, ids)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(format={self.format!r}, '
                f'num_classes={self.num_classes}, '
                f'with_seg={self.with_seg}, '
                f'with_instances={self.with_instances})')


def _set_instances(results: dict, masks: np.ndarray, labels: np.ndarray,
                   ids: np.ndarray) -> None:
    """Write mmdet's tracking instance keys from (K, H, W) bool masks.

    Boxes are numpy (K, 4) float32 xyxy, as mmdet's ``LoadTrackAnnotations``
    gives them (``PackTrackInputs`` needs arrays).
    """
    from mmdet.structures.mask import BitmapMasks
    boxes = np.zeros((len(masks), 4), np.float32)
    for k, mask in enumerate(masks):
        rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
        # x2/y2 are exclusive pixel edges, as mmdet's BitmapMasks boxes
        boxes[k] = (cols[0], rows[0], cols[-1] + 1, rows[-1] + 1)
    height, width = masks.shape[1:]
    results['gt_masks'] = BitmapMasks(
        masks.view(np.uint8) if masks.dtype == bool else masks, height, width)
    results['gt_bboxes'] = boxes
    results['gt_bboxes_labels'] = np.asarray(labels, np.int64)
    results['gt_instances_ids'] = np.asarray(ids, np.int64)
    results['gt_ignore_flags'] = np.zeros(len(masks), bool)


@TRANSFORMS.register_module()
class LoadDepthMap(BaseTransform):
    """Load a 16-bit depth PNG as metres.

    Reads ``results['depth_map_path']`` (uint16, ``metres * scale``, 0 where
    there is no ground truth, as Cityscapes-DVPS and SemKITTI-DVPS store it)
    and writes ``results['gt_depth_map']``: float32 (H, W) metres, 0 where
    there is no depth.

    Args:
        scale (float): Stored value per metre. Defaults to 256.
        backend_args (dict, optional): mmengine file backend arguments.
    """

    def __init__(self,
                 scale: float = 256.0,
                 backend_args: Optional[dict] = None):
        if scale <= 0:
            raise ValueError(f'scale must be > 0, got {scale}')
        self.scale = float(scale)
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        path = results['depth_map_path']
        raw = read_label_png(path, self.backend_args, 'depth map')
        if raw.ndim != 2 or raw.dtype not in (np.uint16, np.int32, np.uint8):
            raise ValueError(
                f'depth map {path} is {raw.dtype} {raw.shape}: expected a '
                'single-channel 16-bit PNG')
        _check_frame_size(results, raw.shape, path, 'depth map')
        results['gt_depth_map'] = (raw.astype(np.float32) / self.scale)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(scale={self.scale})'


#: First float of a Middlebury ``.flo`` file (the bytes ``PIEH``).
FLO_MAGIC = 202021.25


def read_flo(path: str, backend_args: Optional[dict] = None) -> np.ndarray:
    """Read a Middlebury ``.flo`` optical-flow file.

    Layout: float32 magic 202021.25, int32 width, int32 height, then
    float32 (u, v) pairs row by row, all little-endian.

    Returns:
        np.ndarray: float32 (H, W, 2), (dx, dy) in pixels.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: Wrong magic number, size header or length.
    """
    try:
        data = get(path, backend_args=backend_args)
    except FileNotFoundError:
        raise FileNotFoundError(f'flow file {path} does not exist') from None
    if len(data) < 12 or np.frombuffer(data[:4], '<f4')[0] != FLO_MAGIC:
        raise ValueError(f'flow file {path} is not a Middlebury .flo file: '
                         f'the magic number {FLO_MAGIC} is missing')
    width, height = (int(v) for v in np.frombuffer(data[4:12], '<i4'))
    if width <= 0 or height <= 0:
        raise ValueError(f'flow file {path} has an invalid size header '
                         f'{width}x{height}')
    expected = width * height * 2 * 4
    if len(data) - 12 != expected:
        state = 'is truncated' if len(data) - 12 < expected else \
            'has trailing bytes'
        raise ValueError(
            f'flow file {path} {state}: {width}x{height} needs '
            f'{width * height * 2} floats ({expected} bytes), found '
            f'{len(data) - 12} bytes')
    values = np.frombuffer(data, '<f4', offset=12)
    return values.reshape(height, width, 2).astype(np.float32)


@TRANSFORMS.register_module()
class LoadOpticalFlow(BaseTransform):
    """Load precomputed forward optical flow (Middlebury ``.flo``).

    Reads ``results['flow_path']`` (flow from this frame to the next) and
    writes ``results['gt_flow_map']``, float32 (H, W, 2). The last frame of a
    video has no forward flow (``flow_path`` None): its map is zeros and
    ``results['flow_valid']`` is False (True otherwise).

    Args:
        backend_args (dict, optional): mmengine file backend arguments.
    """

    def __init__(self, backend_args: Optional[dict] = None):
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        path = results.get('flow_path')
        if path is None:
            height, width = results['ori_shape'][:2]
            results['gt_flow_map'] = np.zeros((height, width, 2), np.float32)
            results['flow_valid'] = False
            return results
        flow = read_flo(path, self.backend_args)
        _check_frame_size(results, flow.shape, path, 'flow file')
        results['gt_flow_map'] = flow
        results['flow_valid'] = True
        return results


@TRANSFORMS.register_module()
class LoadVOSAnnotation(BaseTransform):
    """Load a video-object-segmentation mask (DAVIS / YouTube-VOS).

    Reads ``results['seg_map_path']``, a palette PNG whose indices are
    object ids (0 background), and writes:

    * ``gt_seg_map``: uint8 (H, W) object ids; frames without an annotation
      file (``seg_map_path`` None, e.g. YouTube-VOS validation frames after
      the first) are all ``ignore_index``;
    * ``gt_masks`` / ``gt_bboxes`` / ``gt_bboxes_labels`` (0) /
      ``gt_instances_ids`` (object ids) / ``gt_ignore_flags``: one instance
      per object present in the frame.

    Args:
        binary (bool): Merge every object into object 1 (DAVIS 2016, whose
            masks store 0/255). Defaults to False.
        ignore_index (int): Value of unannotated frames. Defaults to 255.
        backend_args (dict, optional): mmengine file backend arguments.
    """

    def __init__(self,
                 binary: bool = False,
                 ignore_index: int = 255,
                 backend_args: Optional[dict] = None):
        self.binary = binary
        self.ignore_index = ignore_index
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        path = results.get('seg_map_path')
        height, width = results['ori_shape'][:2]
        if path is None:
            ids = np.full((height, width), self.ignore_index, np.uint8)
        else:
            raw = read_label_png(path, self.backend_args, 'VOS mask')
            if raw.ndim == 3:  # RGB-saved masks: any colour is an object
                raise ValueError(
                    f'VOS mask {path} is an RGB image: expected a palette '
                    "('P' mode) or greyscale PNG of object ids")
            _check_frame_size(results, raw.shape, path, 'VOS mask')
            ids = raw.astype(np.uint8)
            if self.binary:
                ids = (ids > 0).astype(np.uint8)
        objects = np.unique(ids[(ids > 0) & (ids != self.ignore_index)])
        masks = np.stack([ids == i for i in objects]) if len(objects) else \
            np.zeros((0, height, width), bool)
        results['gt_seg_map'] = ids
        results.setdefault('seg_fields', []).append('gt_seg_map')
        results['ignore_index'] = self.ignore_index
        _set_instances(results, masks, np.zeros(len(objects), np.int64),
                       objects.astype(np.int64))
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(binary={self.binary})'


@TRANSFORMS.register_module()
class LoadVideoInstances(LoadTrackAnnotations):
    """mmdet's ``LoadTrackAnnotations`` plus checks of the frame size.

    Loads the per-frame ``instances`` (``bbox``, ``bbox_label``, ``mask`` as
    polygon / RLE, ``instance_id``, ``ignore_flag``) that
    :class:`~mmvidseg.datasets.YouTubeVISDataset` and
    :class:`~mmvidseg.datasets.ImageNetVIDDataset` list, after checking that
    the frame decoded at the size its annotation file declares
    (``height``/``width`` of the frame info), so a mask never gets decoded
    at the wrong size.

    Frame infos may carry ``ann_file``, the annotation file named in error
    messages.

    Args:
        **kwargs: Arguments of mmdet's ``LoadTrackAnnotations``
            (``with_bbox``, ``with_mask``, ``poly2mask``...).
    """

    def transform(self, results: dict) -> dict:
        frame_shape = results.get('ori_shape')
        declared = (results.get('height'), results.get('width'))
        if frame_shape is not None and None not in declared and \
                tuple(frame_shape[:2]) != tuple(declared):
            raise ValueError(
                f'frame {results.get("img_path")} is {frame_shape[1]}x'
                f'{frame_shape[0]} (WxH) but its annotation file '
                f'{results.get("ann_file", "")} declares {declared[1]}x'
                f'{declared[0]}')
        return super().transform(results)
