# Copyright (c) OpenMMLab. All rights reserved.
import random
from typing import Dict, List, Optional, Sequence, Tuple

from mmdet.datasets.transforms import BaseFrameSample

from mmvidseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class VideoFrameSample(BaseFrameSample):
    """Pick a key frame and reference frames from a video.

    The input is a whole-video info dict (``images``, ``video_length``, and
    ``key_frame_id`` when ``TrackImgSampler`` chose the key frame); the
    output is a dict of per-frame lists in temporal order plus
    ``key_frame_flags``, as mmdet's ``UniformRefFrameSample`` gives, so
    ``TransformBroadcaster`` and ``PackVideoInputs`` can follow.

    Modes (``mode``):

    * ``'offsets'``: references at ``key + o`` for each ``o`` in ``offsets``
      (Video K-Net's ``ref_seq_index=[-2, -1, 1, 2]``), clamped to the
      video.
    * ``'consecutive'``: a window of ``num_frames`` consecutive frames that
      contains the key frame at a random position (Tube-Link tubes),
      shifted to fit inside the video.
    * ``'random'``: ``num_frames - 1`` references drawn without replacement
      from ``[key + frame_range[0], key + frame_range[1]]`` (TransVOD);
      with replacement when the range holds too few frames.
    * ``'strided'``: ``num_frames`` frames spread evenly over the whole
      video, the key frame included (TransVOD's test sampling,
      clip-level VIS).

    Args:
        num_frames (int): Frames per sample, key frame included. Ignored in
            ``'offsets'`` mode (``len(offsets) + 1``). Defaults to 2.
        mode (str): One of the modes above. Defaults to ``'consecutive'``.
        offsets (Sequence[int], optional): Offsets of ``'offsets'`` mode.
        frame_range (Tuple[int, int]): Range of ``'random'`` mode.
            Defaults to (-10, 10).
        collect_video_keys (List[str]): Video-level keys copied to every
            frame. Defaults to ``['video_id', 'video_length']``.
    """

    MODES = ('offsets', 'consecutive', 'random', 'strided')

    def __init__(self,
                 num_frames: int = 2,
                 mode: str = 'consecutive',
                 offsets: Optional[Sequence[int]] = None,
                 frame_range: Tuple[int, int] = (-10, 10),
                 collect_video_keys: List[str] = ['video_id', 'video_length']):
        if mode not in self.MODES:
            raise ValueError(f'mode must be one of {self.MODES}, got {mode}')
        if mode == 'offsets':
            if not offsets:
                raise ValueError("'offsets' mode needs a list of offsets")
            num_frames = len(offsets) + 1
        if num_frames < 1:
            raise ValueError(f'num_frames must be >= 1, got {num_frames}')
        if frame_range[0] > 0 or frame_range[1] < 0:
            raise ValueError(f'frame_range must contain 0, got {frame_range}')
        self.num_frames = num_frames
        self.mode = mode
        self.offsets = list(offsets or [])
        self.frame_range = tuple(frame_range)
        super().__init__(collect_video_keys=list(collect_video_keys))

    def sample(self, video_length: int, key: int) -> List[int]:
        """Frame indices of one sample, the key frame included.

        Args:
            video_length (int): Number of frames T.
            key (int): Index of the key frame.

        Returns:
            List[int]: Frame indices (may repeat in short videos), with the
            key frame first.
        """
        last = video_length - 1
        if self.mode == 'offsets':
            refs = [min(max(key + o, 0), last) for o in self.offsets]
        elif self.mode == 'consecutive':
            n = self.num_frames
            start = key - random.randint(0, n - 1)
            start = min(max(start, 0), max(video_length - n, 0))
            refs = [min(start + i, last) for i in range(n)]
            refs.remove(key)  # the window always contains the key frame
        elif self.mode == 'random':
            lo = max(key + self.frame_range[0], 0)
            hi = min(key + self.frame_range[1], last)
            pool = [i for i in range(lo, hi + 1) if i != key] or [key]
            k = self.num_frames - 1
            refs = (random.sample(pool, k) if len(pool) >= k else
                    [random.choice(pool) for _ in range(k)])
        else:  # strided
            n = self.num_frames
            if n == 1:
                refs = []
            else:
                grid = [round(i * last / (n - 1)) for i in range(n)]
                # put the key frame in place of the nearest grid frame
                nearest = min(range(n), key=lambda i: abs(grid[i] - key))
                refs = grid[:nearest] + grid[nearest + 1:]
        return [key] + refs

    def transform(self, video_infos: dict) -> Optional[Dict[str, List]]:
        """Sample the frames of one training/validation item.

        Args:
            video_infos (dict): The whole video's info.

        Returns:
            dict: Per-frame lists in temporal order, ``key_frame_flags``.
        """
        length = video_infos['video_length']
        if length < 1:
            name = video_infos.get('video_name', video_infos.get('video_id'))
            raise ValueError(f'video {name} has no frames')
        key = video_infos.get('key_frame_id')
        if key is None:
            key = random.randrange(length)
        inds = self.sample(length, int(key))
        # temporal order; the key frame keeps its flag (the first occurrence
        # when a short video repeats it)
        order = sorted(range(len(inds)), key=lambda i: (inds[i], i))
        sampled = [inds[i] for i in order]
        flags = [False] * len(sampled)
        flags[order.index(0)] = True
        results = self.prepare_data(video_infos, sampled)
        results['key_frame_flags'] = flags
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_frames={self.num_frames}, '
                f'mode={self.mode!r}, offsets={self.offsets}, '
                f'frame_range={self.frame_range})')
