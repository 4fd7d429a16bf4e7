# Copyright (c) OpenMMLab. All rights reserved.
"""Transforms of frame triplets (:class:`FrameTripletDataset` items).

A triplet's results hold per-frame lists of length 3 (``img``,
``img_path``, ...), ``key_frame_flags`` and, per frame, an optional motion
mask (``gt_motion_mask``; only the key frame has one). The geometric
transforms here apply the same random parameters to the three frames and
the mask.
"""
import random
from typing import Callable, List, Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.fileio import get
from mmengine.structures import PixelData

from mmvidseg.registry import TRANSFORMS
from .formatting import PackVideoInputs

#: Per-frame keys reordered / transformed together.
_FRAME_KEYS = ('img', 'img_path', 'img_id', 'frame_id', 'img_shape',
               'ori_shape', 'gt_motion_mask', 'motion_mask_path', 'flip',
               'flip_direction', 'key_frame_flags')


def _frames_of(results: dict) -> List[str]:
    return [str(p) for p in results.get('img_path', ['?', '?', '?'])]


def _map_frames(
        results: dict,
        img_fn: Callable[[np.ndarray], np.ndarray],
        mask_fn: Optional[Callable[[np.ndarray], np.ndarray]] = None) -> None:
    """Apply ``img_fn`` to the 3 frames and ``mask_fn`` (default
    ``img_fn``) to the motion masks that exist, in place; ``img_shape``
    becomes the frames' new (h, w)."""
    mask_fn = mask_fn or img_fn
    results['img'] = [img_fn(img) for img in results['img']]
    results['gt_motion_mask'] = [
        None if m is None else mask_fn(m)
        for m in results.get('gt_motion_mask', [None] * 3)
    ]
    results['img_shape'] = [img.shape[:2] for img in results['img']]


def _set_flip(results: dict, direction: Optional[str]) -> None:
    """Record the flip of the 3 frames (``direction`` None: not flipped)."""
    results['flip'] = [direction is not None] * 3
    results['flip_direction'] = [direction] * 3


@TRANSFORMS.register_module()
class LoadFrameTriplet(BaseTransform):
    """Load the 3 frames (and the key frame's motion mask) of a triplet.

    Adds per-frame lists ``img`` ((H, W, 3) uint8, BGR as mmcv loads it),
    ``img_shape``, ``ori_shape`` and ``gt_motion_mask`` ((H, W) uint8, 1
    where the mask file is non-zero; None for frames without a mask).

    Args:
        to_float32 (bool): Convert the frames to float32. Defaults to False.
        imdecode_backend (str): mmcv decoding backend. Defaults to 'cv2'.
        backend_args (dict, optional): mmengine file backend arguments.

    Raises:
        FileNotFoundError: A frame or mask file is missing (named).
        ValueError: A file cannot be decoded, or the frames / mask of the
            triplet differ in size (the files and sizes are named).
    """

    def __init__(self,
                 to_float32: bool = False,
                 imdecode_backend: str = 'cv2',
                 backend_args: Optional[dict] = None) -> None:
        self.to_float32 = to_float32
        self.imdecode_backend = imdecode_backend
        self.backend_args = backend_args

    def _read(self, path: str, flag: str) -> np.ndarray:
        try:
            data = get(path, backend_args=self.backend_args)
        except FileNotFoundError:
            raise FileNotFoundError(f'frame file {path} does not exist')
        img = mmcv.imfrombytes(data, flag=flag, backend=self.imdecode_backend)
        if img is None:
            raise ValueError(f'{path} is not a readable image')
        return img

    def transform(self, results: dict) -> dict:
        paths = results['img_path']
        if len(paths) != 3:
            raise ValueError(f'a triplet needs 3 frames, got {len(paths)}: '
                             f'{paths}')
        imgs = [self._read(p, 'color') for p in paths]
        shapes = [img.shape[:2] for img in imgs]
        if len(set(shapes)) != 1:
            raise ValueError('the frames of a triplet differ in size: ' +
                             ', '.join(f'{p} {h}x{w}'
                                       for p, (h, w) in zip(paths, shapes)))
        if self.to_float32:
            imgs = [img.astype(np.float32) for img in imgs]
        masks = []
        for mask_path in results.get('motion_mask_path', [None] * 3):
            if mask_path is None:
                masks.append(None)
                continue
            mask = self._read(mask_path, 'unchanged')
            if mask.ndim == 3:
                mask = mask[..., 0]
            if mask.shape[:2] != shapes[0]:
                raise ValueError(
                    f'motion mask {mask_path} is {mask.shape[0]}x'
                    f'{mask.shape[1]} but the frames ({paths[0]} ...) are '
                    f'{shapes[0][0]}x{shapes[0][1]}')
            masks.append((mask > 0).astype(np.uint8))
        results['img'] = imgs
        results['img_shape'] = list(shapes)
        results['ori_shape'] = list(shapes)
        results['gt_motion_mask'] = masks
        _set_flip(results, None)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(to_float32={self.to_float32}, '
                f'imdecode_backend={self.imdecode_backend!r})')


@TRANSFORMS.register_module()
class TripletResize(BaseTransform):
    """Resize the 3 frames (bilinear) and the mask (nearest) to one size.

    The authors' PyTorch code resizes UCF-101 frames (320 x 240) to the
    training size 256 x 256 this way (aspect ratio not kept).

    Args:
        scale (tuple[int, int]): Target (w, h), mmcv's convention.
    """

    def __init__(self, scale: Tuple[int, int]) -> None:
        if len(scale) != 2 or min(scale) < 1:
            raise ValueError(f'scale must be (w, h) > 0, got {scale}')
        self.scale = (int(scale[0]), int(scale[1]))

    def transform(self, results: dict) -> dict:
        _map_frames(
            results, lambda img: mmcv.imresize(
                img, self.scale, interpolation='bilinear'),
            lambda m: mmcv.imresize(m, self.scale, interpolation='nearest'))
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(scale={self.scale})'


@TRANSFORMS.register_module()
class TripletRandomCrop(BaseTransform):
    """Crop the same random window from the 3 frames and the mask.

    Args:
        crop_size (int | tuple[int, int]): (h, w) of the crop.
    """

    def __init__(self, crop_size: Union[int, Tuple[int, int]]) -> None:
        if isinstance(crop_size, int):
            crop_size = (crop_size, crop_size)
        if len(crop_size) != 2 or min(crop_size) < 1:
            raise ValueError(f'crop_size must be (h, w) > 0, got {crop_size}')
        self.crop_size = tuple(int(x) for x in crop_size)

    def transform(self, results: dict) -> dict:
        h, w = results['img'][0].shape[:2]
        ch, cw = self.crop_size
        if ch > h or cw > w:
            raise ValueError(f'crop {ch}x{cw} is larger than the frames '
                             f'({h}x{w}) of {_frames_of(results)}')
        y0 = random.randint(0, h - ch)
        x0 = random.randint(0, w - cw)
        crop = (slice(y0, y0 + ch), slice(x0, x0 + cw))
        _map_frames(results, lambda x: x[crop])
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(crop_size={self.crop_size})'


@TRANSFORMS.register_module()
class TripletRandomFlip(BaseTransform):
    """Flip the 3 frames and the mask together.

    Args:
        prob (float): Probability of flipping. Defaults to 0.5.
        direction (str | Sequence[str]): ``'horizontal'`` and / or
            ``'vertical'``; one is drawn at random. Defaults to
            ``'horizontal'``.
    """

    def __init__(self,
                 prob: float = 0.5,
                 direction: Union[str, Sequence[str]] = 'horizontal') -> None:
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        directions = [direction] if isinstance(direction, str) else \
            list(direction)
        for d in directions:
            if d not in ('horizontal', 'vertical'):
                raise ValueError(f'unknown flip direction {d!r}')
        self.prob = prob
        self.directions = directions

    def transform(self, results: dict) -> dict:
        if random.random() >= self.prob:
            return results
        direction = random.choice(self.directions)
        _map_frames(results, lambda x: mmcv.imflip(x, direction))
        _set_flip(results, direction)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, '
                f'direction={self.directions})')


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _range(value: Union[float, Sequence[float]], name: str,
           symmetric: bool) -> Tuple[float, float]:
    """``(low, high)`` from a pair with ``low <= high`` or, when
    ``symmetric``, from a number ``v >= 0`` as ``(-v, v)``; a ValueError
    names ``name`` otherwise."""
    if symmetric and _is_number(value):
        if value < 0:
            raise ValueError(f'{name} must be >= 0, got {value}')
        return -float(value), float(value)
    is_pair = (
        isinstance(value, Sequence) and not isinstance(value, str)
        and len(value) == 2 and all(_is_number(v) for v in value))
    if not is_pair:
        kind = 'a number >= 0 or ' if symmetric else ''
        raise ValueError(f'{name} must be {kind}a (low, high) pair, got '
                         f'{value!r}')
    low, high = float(value[0]), float(value[1])
    if low > high:
        raise ValueError(f'{name} must have low <= high, got {value!r}')
    return low, high


@TRANSFORMS.register_module()
class TripletRandomRescale(BaseTransform):
    """Rescale the 3 frames and the mask by one random factor.

    The factor is drawn uniformly from ``ratio_range`` once per triplet and
    applied to the 3 frames (bilinear) and the motion mask (nearest) with
    :func:`mmcv.imrescale`, keeping the aspect ratio: (H, W) frames become
    (round(s H), round(s W)). ``results['rescale_ratio']`` records the
    factor drawn. Follow it with :class:`TripletRandomCrop` to get back to a
    fixed size.

    Args:
        ratio_range (tuple[float, float]): ``(low, high)``, both > 0.

    Raises:
        ValueError: ``ratio_range`` is not a pair ``0 < low <= high``.
    """

    def __init__(self, ratio_range: Tuple[float, float]) -> None:
        self.ratio_range = _range(ratio_range, 'ratio_range', False)
        if self.ratio_range[0] <= 0:
            raise ValueError(f'ratio_range must be > 0, got {ratio_range!r}')

    def transform(self, results: dict) -> dict:
        scale = random.uniform(*self.ratio_range)
        _map_frames(
            results,
            lambda img: mmcv.imrescale(img, scale, interpolation='bilinear'),
            lambda m: mmcv.imrescale(m, scale, interpolation='nearest'))
        results['rescale_ratio'] = scale
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(ratio_range={self.ratio_range})'


@TRANSFORMS.register_module()
class TripletRandomRotate(BaseTransform):
    """Rotate the 3 frames and the mask by one random angle.

    With probability ``prob`` an angle is drawn uniformly from ``degree``
    (positive: clockwise, :func:`mmcv.imrotate`'s convention) and the 3
    frames (bilinear) and the motion mask (nearest) rotate by it about the
    frame centre, keeping their (H, W). Pixels that come from outside the
    frame are set to ``border_value`` (the mask to 0); DVF's PyTorch
    release (lxx1991/pytorch-voxel-flow) fills them with the input mean, 0
    after normalisation.
    ``results['rotate_angle']`` records the angle (0 when not rotated).

    Args:
        degree (float | tuple[float, float]): ``d >= 0`` for
            ``(-d, d)``, or ``(low, high)``.
        prob (float): Probability of rotating. Defaults to 0.5.
        border_value (float | Sequence[float]): Fill value, one for every
            channel or one per channel of the (H, W, C) frames. Defaults
            to 0.
        interpolation (str): mmcv interpolation of the frames. Defaults to
            ``'bilinear'``.

    Raises:
        ValueError: ``degree``, ``prob`` or ``border_value`` is malformed
            (named); at transform time, a per-channel ``border_value`` whose
            length differs from the frames' channel count.
    """

    def __init__(self,
                 degree: Union[float, Tuple[float, float]],
                 prob: float = 0.5,
                 border_value: Union[float, Sequence[float]] = 0,
                 interpolation: str = 'bilinear') -> None:
        self.degree = _range(degree, 'degree', True)
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        values = [border_value] if _is_number(border_value) else \
            border_value
        if not isinstance(values, Sequence) or not 0 < len(values) <= 4 or \
                not all(_is_number(v) for v in values):
            raise ValueError('border_value must be a number or 1-4 numbers, '
                             f'got {border_value!r}')
        if interpolation not in mmcv.image.geometric.cv2_interp_codes:
            raise ValueError('interpolation must be one of '
                             f'{sorted(mmcv.image.geometric.cv2_interp_codes)}'
                             f', got {interpolation!r}')
        border_value = float(border_value) if _is_number(border_value) else \
            tuple(float(v) for v in border_value)
        self.prob = prob
        self.border_value = border_value
        self.interpolation = interpolation

    def _fill(self, img: np.ndarray) -> Tuple[float, ...]:
        """The border value as one entry per channel (OpenCV reads a bare
        number as (v, 0, 0, 0), i.e. only for the first channel)."""
        channels = 1 if img.ndim == 2 else img.shape[2]
        if isinstance(self.border_value, float):
            return (self.border_value, ) * channels
        if len(self.border_value) != channels:
            raise ValueError(
                f'border_value {self.border_value} has '
                f'{len(self.border_value)} values but the frames have '
                f'{channels} channels')
        return self.border_value

    def transform(self, results: dict) -> dict:
        angle = 0.0
        if random.random() < self.prob:
            angle = random.uniform(*self.degree)

            def rotate_img(img: np.ndarray) -> np.ndarray:
                return mmcv.imrotate(
                    img,
                    angle,
                    border_value=self._fill(img),
                    interpolation=self.interpolation)

            def rotate_mask(mask: np.ndarray) -> np.ndarray:
                return mmcv.imrotate(
                    mask, angle, border_value=0, interpolation='nearest')

            _map_frames(results, rotate_img, rotate_mask)
        results['rotate_angle'] = angle
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(degree={self.degree}, '
                f'prob={self.prob}, border_value={self.border_value}, '
                f'interpolation={self.interpolation!r})')


@TRANSFORMS.register_module()
class TripletTemporalFlip(BaseTransform):
    """Reverse the frame order of interpolation triplets.

    Playing a triplet backwards keeps its middle frame as the target, so
    this doubles the motions seen in training. Extrapolation triplets
    (target last) cannot be reversed and raise an error.

    Args:
        prob (float): Probability of reversing. Defaults to 0.5.
    """

    def __init__(self, prob: float = 0.5) -> None:
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        self.prob = prob

    def transform(self, results: dict) -> dict:
        flags = list(results.get('key_frame_flags', []))
        if flags != [False, True, False]:
            raise ValueError('TripletTemporalFlip needs interpolation '
                             'triplets (target in the middle), got '
                             f'key_frame_flags={flags} for '
                             f'{_frames_of(results)}')
        if random.random() >= self.prob:
            return results
        for key in _FRAME_KEYS:
            if key in results and key != 'frame_id':
                results[key] = list(results[key])[::-1]
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(prob={self.prob})'


@TRANSFORMS.register_module()
class PackTripletInputs(PackVideoInputs):
    """Pack a triplet: ``inputs`` (3, C, H, W), a ``TrackDataSample``.

    On top of :class:`PackVideoInputs` (frames in temporal order, the target
    as the key frame, inputs as reference frames), packs into the frame
    samples:

    * ``gt_frame``: ``PixelData(data=(3, H, W) uint8)``, the frame in RGB
      (``to_rgb``), which :class:`PSNRSSIMMetric` compares the prediction
      with: on the key frame only (``pack_frames='key'``), on all frames
      (``'all'``, needed for the frame-averaging baseline) or on none
      (``'none'``, training: the model reads its target from ``inputs``);
    * ``gt_motion_mask``: ``PixelData(data=(1, H, W) uint8)`` on the key
      frame, when the dataset has motion masks.

    Args:
        pack_frames (str): ``'key'``, ``'all'`` or ``'none'``. Defaults to
            ``'key'``.
        to_rgb (bool): The loaded frames are BGR (mmcv): store ``gt_frame``
            as RGB. Defaults to True.
        meta_keys (tuple, optional): Extra meta keys to collect.
    """

    def __init__(self,
                 pack_frames: str = 'key',
                 to_rgb: bool = True,
                 meta_keys: Optional[tuple] = None) -> None:
        super().__init__(meta_keys=meta_keys)
        if pack_frames not in ('key', 'all', 'none'):
            raise ValueError("pack_frames must be 'key', 'all' or 'none', "
                             f'got {pack_frames!r}')
        self.pack_frames = pack_frames
        self.to_rgb = to_rgb

    def transform(self, results: dict) -> dict:
        imgs = results['img']
        flags = list(results.get('key_frame_flags', []))
        if len(imgs) != 3 or flags.count(True) != 1:
            raise ValueError(
                'PackTripletInputs needs 3 frames with one key frame, got '
                f'{len(imgs)} frames and key_frame_flags={flags} for '
                f'{_frames_of(results)}')
        packed = super().transform(results)
        frames = packed['data_samples'].video_data_samples
        key = flags.index(True)
        for i, (sample, img) in enumerate(zip(frames, imgs)):
            if self.pack_frames == 'all' or (self.pack_frames == 'key'
                                             and i == key):
                arr = img[..., ::-1] if self.to_rgb else img
                data = torch.from_numpy(
                    np.ascontiguousarray(arr.transpose(2, 0, 1)))
                sample.set_field(PixelData(data=data), 'gt_frame')
        mask = results.get('gt_motion_mask', [None] * 3)[key]
        if mask is not None:
            if mask.shape[:2] != imgs[key].shape[:2]:
                raise ValueError(
                    f'motion mask of {_frames_of(results)[key]} is '
                    f'{mask.shape[:2]} but the frame is '
                    f'{imgs[key].shape[:2]}: transform it with the '
                    'Triplet* transforms')
            frames[key].set_field(
                PixelData(
                    data=torch.from_numpy(np.ascontiguousarray(mask[None]))),
                'gt_motion_mask')
        return packed

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(pack_frames='
                f'{self.pack_frames!r}, to_rgb={self.to_rgb})')
