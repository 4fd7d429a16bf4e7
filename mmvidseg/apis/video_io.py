# Copyright (c) OpenMMLab. All rights reserved.
"""Frame sources (video file, frame folder, arrays, webcam) and writers of
drawn frames (a video file or a folder of images)."""
import os
import os.path as osp
from typing import Iterator, Optional, Sequence, Tuple, Union

import cv2
import mmcv
import numpy as np

#: Suffixes of the frame files a folder input is made of.
IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
#: Suffixes written as a video by :class:`FrameWriter`.
VIDEO_SUFFIXES = ('.mp4', '.avi', '.mov', '.mkv')

FramesInput = Union[str, int, Sequence[Union[np.ndarray, str]]]


class FrameSource:
    """The frames of a video input, read one at a time.

    Inputs:

    * a video file path: read with ``mmcv.VideoReader`` (OpenCV);
    * a folder path: its image files (:data:`IMAGE_SUFFIXES`) sorted by
      name;
    * a list of (H, W, 3) uint8 BGR arrays and/or image file paths;
    * an int: the OpenCV camera of that index (a webcam), read until it
      stops or ``max_frames``.

    Iterating yields ``(frame_name, bgr)`` pairs, ``bgr`` an (H, W, 3)
    uint8 array; only the current frame is held (a list input is the
    caller's).

    Args:
        inputs (str | int | list): The input.
        max_frames (int, optional): Stop after this many frames.

    Attributes:
        name (str): The video's name (file stem, folder name, ``frames``
            or ``webcam<i>``).
        fps (float): Frame rate (the file's; 25 when unknown).
        total (int | None): Number of frames, None for a webcam.
        kind (str): ``'video'``, ``'folder'``, ``'list'`` or ``'webcam'``.
    """

    def __init__(self, inputs: FramesInput,
                 max_frames: Optional[int] = None) -> None:
        self.inputs = inputs
        self.max_frames = max_frames
        self.fps = 25.0
        self._capture = None
        if isinstance(inputs, (bool, np.bool_)):
            raise TypeError('a video input is a path, a list of frames or a '
                            f'camera index, got {inputs!r}')
        if isinstance(inputs, (int, np.integer)):
            self._open_webcam(int(inputs))
        elif isinstance(inputs, str):
            self._open_path(inputs)
        elif isinstance(inputs, np.ndarray) and inputs.ndim == 3:
            raise TypeError('one (H, W, 3) array is a frame, not a video: '
                            'pass a list of frames')
        else:
            self.kind, self.name = 'list', 'frames'
            self._items = list(inputs)
            if not self._items:
                raise ValueError('the list of frames is empty')
            self.total = len(self._items)
        if self.max_frames is not None and self.total is not None:
            self.total = min(self.total, self.max_frames)

    def _open_webcam(self, index: int) -> None:
        self.kind, self.name, self.total = 'webcam', f'webcam{index}', None
        self._capture = cv2.VideoCapture(index)
        if not self._capture.isOpened():
            raise ValueError(f'OpenCV cannot open the camera {index}')
        self.fps = self._capture.get(cv2.CAP_PROP_FPS) or 25.0

    def _open_path(self, path: str) -> None:
        if osp.isdir(path):
            names = sorted(n for n in os.listdir(path)
                           if n.lower().endswith(IMAGE_SUFFIXES))
            if not names:
                raise ValueError(f'the folder {path} holds no image file '
                                 f'ending with {IMAGE_SUFFIXES}')
            self.kind = 'folder'
            self.name = osp.basename(osp.normpath(path))
            self._items = [osp.join(path, n) for n in names]
            self.total = len(names)
            return
        if not osp.isfile(path):
            raise FileNotFoundError(f'video {path} does not exist')
        self.kind = 'video'
        self.name = osp.splitext(osp.basename(path))[0]
        self._reader = mmcv.VideoReader(path)
        if not self._reader.opened:
            raise ValueError(f'OpenCV cannot open the video {path}')
        self.fps = self._reader.fps or 25.0
        self.total = self._reader.frame_cnt

    def __iter__(self) -> Iterator[Tuple[str, np.ndarray]]:
        count = 0
        # stop before reading a frame past max_frames (a camera would
        # block on it)
        frames = self._frames() if self.max_frames is None or \
            self.max_frames > 0 else iter(())
        for name, frame in frames:
            count += 1
            yield name, frame
            if self.max_frames is not None and count >= self.max_frames:
                break
        if count == 0:
            raise ValueError(f'no frame could be read from {self.inputs!r}')

    def _frames(self) -> Iterator[Tuple[str, np.ndarray]]:
        if self.kind == 'video':
            for index, frame in enumerate(self._reader):
                yield f'{index:06d}', frame
        elif self.kind == 'webcam':
            index = 0
            while True:
                ok, frame = self._capture.read()
                if not ok:
                    break
                yield f'{index:06d}', frame
                index += 1
        else:
            for index, item in enumerate(self._items):
                yield self._load(index, item)

    @staticmethod
    def _load(index: int, item) -> Tuple[str, np.ndarray]:
        if isinstance(item, str):
            if not osp.isfile(item):
                raise FileNotFoundError(f'frame {item} does not exist')
            frame = mmcv.imread(item, channel_order='bgr')
            if frame is None:
                raise ValueError(f'frame {item} cannot be decoded')
            return osp.splitext(osp.basename(item))[0], frame
        frame = np.asarray(item)
        if frame.ndim != 3 or frame.shape[2] != 3:
            raise ValueError(f'frame {index} has shape {frame.shape}: '
                             'expected (H, W, 3) BGR')
        return f'{index:06d}', np.ascontiguousarray(frame, dtype=np.uint8)

    def close(self) -> None:
        """Release the camera (files need nothing)."""
        if self._capture is not None:
            self._capture.release()
            self._capture = None


class FrameWriter:
    """Writes drawn frames to a video file or to a folder of images.

    A ``path`` ending with a video suffix (:data:`VIDEO_SUFFIXES`) is a
    video at ``fps``, opened on the first frame (whose size every frame
    must have); any other path is a folder, one ``<frame_name>.jpg`` per
    frame.

    Args:
        path (str): Video file or folder.
        fps (float): Frame rate of a video. Defaults to 25.
        fourcc (str, optional): Codec of a video (default: ``mp4v`` for
            ``.mp4``, ``MJPG`` otherwise).
    """

    def __init__(self, path: str, fps: float = 25.0,
                 fourcc: Optional[str] = None) -> None:
        self.path = path
        self.fps = fps
        self.is_video = path.lower().endswith(VIDEO_SUFFIXES)
        self.fourcc = fourcc or ('mp4v' if path.lower().endswith('.mp4')
                                 else 'MJPG')
        self._writer = None
        self._size: Optional[Tuple[int, int]] = None
        self.count = 0

    def write(self, bgr: np.ndarray, frame_name: Optional[str] = None
              ) -> None:
        """Write one (H, W, 3) uint8 BGR frame."""
        self.count += 1
        if not self.is_video:
            name = frame_name or f'{self.count - 1:06d}'
            out = osp.join(self.path, name + '.jpg')
            mmcv.imwrite(bgr, out)
            return
        size = (bgr.shape[1], bgr.shape[0])
        if self._writer is None:
            os.makedirs(osp.dirname(osp.abspath(self.path)), exist_ok=True)
            self._writer = cv2.VideoWriter(
                self.path, cv2.VideoWriter_fourcc(*self.fourcc), self.fps,
                size)
            if not self._writer.isOpened():
                raise ValueError(
                    f'OpenCV cannot write {self.path} with codec '
                    f'{self.fourcc}; try another codec or extension')
            self._size = size
        if size != self._size:
            raise ValueError(f'{self.path}: frame {self.count - 1} is '
                             f'{size[0]}x{size[1]}, the video '
                             f'{self._size[0]}x{self._size[1]}')
        self._writer.write(np.ascontiguousarray(bgr, dtype=np.uint8))

    def close(self) -> None:
        """Finish the video file."""
        if self._writer is not None:
            self._writer.release()
            self._writer = None
