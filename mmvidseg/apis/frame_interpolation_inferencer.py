# Copyright (c) OpenMMLab. All rights reserved.
from typing import Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.utils import ProgressBar

from mmvidseg.registry import INFERENCERS
from .base import BaseVideoInferencer
from .video_io import FramesInput, FrameSource, FrameWriter

Pair = Tuple[np.ndarray, np.ndarray]


@INFERENCERS.register_module()
class FrameInterpolationInferencer(BaseVideoInferencer):
    """Raise a video's frame rate with a frame-interpolation model (Deep
    Voxel Flow with ``synthesis='inter'``).

    With ``fps_multiplier`` m (a power of 2), ``m - 1`` frames are
    synthesised between every two consecutive input frames: m = 2 puts the
    model's middle frame between each pair, m = 4 also the middles of
    (first, middle) and (middle, second), and so on. N input frames give
    ``m * (N - 1) + 1`` output frames at ``m`` times the frame rate (the
    same duration).

    Inputs are those of :class:`FrameSource` (video file, frame folder, list
    of BGR arrays, webcam). Frames are streamed: at most ``batch_size``
    pairs are held, whatever the video's length.

    Example:
        >>> inferencer = FrameInterpolationInferencer(
        ...     'configs/deep_voxel_flow/dvf_unet-ms3_1xb32-400e_'
        ...     'ucf101-triplets.py', 'dvf_ucf101.pth', device='cpu')
        >>> out = inferencer('in.mp4', out_file='out_2x.mp4')
        >>> out['fps'], len(out['predictions'])

    Args:
        model (str | Config): Interpolation config (file).
        weights (str, optional): Checkpoint. Defaults to None (random
            weights, with a warning).
        device (str, optional): Device. Defaults to None (CUDA if any).
        show_progress (bool): Progress bar on inputs of known length.
            Defaults to True.
    """

    preprocess_kwargs: set = {'max_frames'}
    forward_kwargs: set = set()
    visualize_kwargs: set = {'out_file', 'fourcc'}
    postprocess_kwargs: set = {'fps_multiplier', 'return_frames'}

    def check_model(self, model, cfg) -> None:
        synthesis = getattr(model, 'synthesis', None)
        if synthesis is None:
            raise ValueError(
                f'{type(model).__name__} is not a frame-interpolation model '
                '(no synthesis): use VideoSegInferencer / '
                'demo/video_demo.py for segmentation configs')
        if synthesis != 'inter':
            raise ValueError(f'the model is a {synthesis!r} model; raising '
                             'the frame rate needs interpolation (inter)')

    def _init_pipeline(self, cfg):
        """Frames skip the dataset pipeline: (H, W, 3) BGR uint8 arrays go
        straight to the data preprocessor (which converts to RGB and
        normalises)."""
        return lambda frame: torch.from_numpy(
            np.ascontiguousarray(frame.transpose(2, 0, 1)))

    @torch.no_grad()
    def interpolate(self, pairs: Sequence[Pair]) -> List[np.ndarray]:
        """Middle frames of ``(first, second)`` pairs.

        Args:
            pairs (Sequence[tuple]): Pairs of (H, W, 3) uint8 BGR frames,
                all of one size.

        Returns:
            list[np.ndarray]: One (H, W, 3) uint8 BGR frame per pair.
        """
        pre = self.model.data_preprocessor
        clips = [torch.stack([self.pipeline(a), self.pipeline(b)])
                 for a, b in pairs]
        data = pre(dict(inputs=clips, data_samples=None), False)
        frames, _ = self.model(data['inputs'], mode='tensor')
        frames = self.model.denormalize(frames).clamp(0, 255).round()
        height, width = pairs[0][0].shape[:2]
        frames = frames[..., :height, :width].to(torch.uint8)
        frames = frames.permute(0, 2, 3, 1).cpu().numpy()
        if getattr(pre, '_channel_conversion', False):
            frames = frames[..., ::-1]  # the model works in RGB: give BGR
        return [np.ascontiguousarray(f) for f in frames]

    def _between(self, pairs: List[Pair], levels: int,
                 batch_size: int) -> List[List[np.ndarray]]:
        """For each pair, the ``2 ** levels - 1`` frames between its two
        frames, in time order (recursive bisection)."""
        if levels == 0:
            return [[] for _ in pairs]
        mids = []
        for start in range(0, len(pairs), batch_size):
            mids += self.interpolate(pairs[start:start + batch_size])
        left = self._between([(a, m) for (a, _), m in zip(pairs, mids)],
                             levels - 1, batch_size)
        right = self._between([(m, b) for (_, b), m in zip(pairs, mids)],
                              levels - 1, batch_size)
        return [lo + [m] + hi for lo, m, hi in zip(left, mids, right)]

    def stream(self,
               inputs: FramesInput,
               fps_multiplier: int = 2,
               batch_size: int = 4,
               max_frames: Optional[int] = None,
               source: Optional[FrameSource] = None
               ) -> Iterator[Tuple[np.ndarray, bool]]:
        """Yield the output frames in order.

        Args:
            inputs: Video file, frame folder, list of BGR arrays, webcam.
            fps_multiplier (int): 2, 4, 8, ... Defaults to 2.
            batch_size (int): Frame pairs per forward pass. Defaults to 4.
            max_frames (int, optional): Read at most this many frames.
            source (FrameSource, optional): The opened input (then
                ``inputs`` is ignored); closed at the end.

        Yields:
            tuple: ``(bgr, synthesised)``: an (H, W, 3) uint8 BGR frame and
            whether the model made it.
        """
        levels = int(fps_multiplier).bit_length() - 1
        if fps_multiplier < 2 or 2**levels != fps_multiplier:
            raise ValueError('fps_multiplier must be a power of 2 (2, 4, '
                             f'...), got {fps_multiplier}')
        source = source or FrameSource(inputs, max_frames)
        progress = ProgressBar(source.total) if self.show_progress and \
            source.total and source.total > 1 else None
        prev, pairs = None, []
        try:
            for index, (_, frame) in enumerate(source):
                if prev is not None and frame.shape != prev.shape:
                    raise ValueError(
                        f'{source.name}: frame {index} is {frame.shape[1]}x'
                        f'{frame.shape[0]}, frame 0 {prev.shape[1]}x'
                        f'{prev.shape[0]}')
                if prev is not None:
                    pairs.append((prev, frame))
                if len(pairs) == batch_size:
                    yield from self._flush(pairs, levels, batch_size)
                prev = frame
                if progress is not None:
                    progress.update()
            yield from self._flush(pairs, levels, batch_size)
            yield prev, False
        finally:
            source.close()

    def _flush(self, pairs: List[Pair], levels: int,
               batch_size: int) -> Iterator[Tuple[np.ndarray, bool]]:
        between = self._between(pairs, levels, batch_size)
        for (first, _), frames in zip(pairs, between):
            yield first, False
            for frame in frames:
                yield frame, True
        pairs.clear()

    def __call__(self,
                 inputs: FramesInput,
                 return_datasamples: bool = False,
                 batch_size: int = 4,
                 fps_multiplier: int = 2,
                 out_file: Optional[str] = None,
                 fourcc: Optional[str] = None,
                 return_frames: bool = True,
                 max_frames: Optional[int] = None) -> dict:
        """Interpolate a whole input.

        Args:
            inputs: Video file, frame folder, list of BGR arrays, webcam.
            return_datasamples (bool): Unused (there are no samples).
            batch_size (int): Frame pairs per forward pass. Defaults to 4.
            fps_multiplier (int): 2, 4, 8, ... Defaults to 2.
            out_file (str, optional): Write the output video (or, without a
                video suffix, a folder of frames) here.
            fourcc (str, optional): Codec of ``out_file``.
            return_frames (bool): Return the output frames (memory grows
                with the video; False to only write ``out_file``).
                Defaults to True.
            max_frames (int, optional): Read at most this many frames.

        Returns:
            dict: ``predictions``: the output frames, (H, W, 3) uint8 BGR
            (None without ``return_frames``); ``synthesized``: per output
            frame, whether the model made it; ``fps``: the output frame
            rate; ``num_input_frames``; ``visualization``: None.
        """
        source = FrameSource(inputs, max_frames)
        fps = source.fps * fps_multiplier
        writer = FrameWriter(out_file, fps, fourcc) if out_file else None
        frames, synthesized = [], []
        try:
            for index, (frame, made) in enumerate(
                    self.stream(None, fps_multiplier, batch_size,
                                source=source)):
                if writer is not None:
                    writer.write(frame, f'{index:06d}')
                if return_frames:
                    frames.append(frame)
                synthesized.append(made)
        finally:
            if writer is not None:
                writer.close()
        return dict(
            predictions=frames if return_frames else None,
            synthesized=synthesized,
            fps=fps,
            num_input_frames=synthesized.count(False),
            visualization=None)
