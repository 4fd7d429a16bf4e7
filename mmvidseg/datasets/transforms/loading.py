# Copyright (c) OpenMMLab. All rights reserved.
import io
from typing import Optional, Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.fileio import get
from PIL import Image

from mmvidseg.registry import TRANSFORMS


def read_label_png(path: str, backend_args: Optional[dict] = None,
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
