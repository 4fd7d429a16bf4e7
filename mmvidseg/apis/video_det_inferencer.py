# Copyright (c) OpenMMLab. All rights reserved.
import os
import os.path as osp
from typing import Dict, Iterator, Optional, TextIO

import numpy as np

from mmvidseg.registry import INFERENCERS
from .video_io import FramesInput
from .video_seg_inferencer import VideoSegInferencer, frame_prediction


def detection_lines(frame_index: int,
                    prediction: Dict[str, np.ndarray],
                    score_thr: float = 0.0) -> str:
    """One frame's boxes in ImageNet VID's detection submission format.

    Each line is ``<frame_index> <class_index> <score> <xmin> <ymin> <xmax>
    <ymax>``: the frame's index (1-based), the class index (1-based, as
    ILSVRC's devkit numbers the 30 VID classes), the score and the box in
    pixels of the original frame.

    Args:
        frame_index (int): 1-based frame index.
        prediction (dict): ``bboxes`` (K, 4), ``labels`` (K,) 0-based and
            ``scores`` (K,) (see :func:`frame_prediction`).
        score_thr (float): Boxes scoring below it are left out.

    Returns:
        str: The lines (each ending with a newline), empty without boxes.

    Raises:
        ValueError: The prediction has no boxes.
    """
    missing = [
        k for k in ('bboxes', 'labels', 'scores') if k not in prediction
    ]
    if missing:
        raise ValueError(f'frame {frame_index}: the prediction has no '
                         f'{", ".join(missing)} (not a detection model)')
    lines = []
    for box, label, score in zip(prediction['bboxes'], prediction['labels'],
                                 prediction['scores']):
        if float(score) < score_thr:
            continue
        coords = ' '.join(f'{float(c):.2f}' for c in box)
        lines.append(f'{frame_index} {int(label) + 1} {float(score):.6f} '
                     f'{coords}\n')
    return ''.join(lines)


@INFERENCERS.register_module()
class VideoDetInferencer(VideoSegInferencer):
    """Run a video object detector (VOD: TransVOD, the single-frame
    Deformable DETR) on a video.

    The same input, output and streaming as :class:`VideoSegInferencer`
    (video file, frame folder, list of BGR arrays or webcam index; the
    config's test pipeline adapted to arrays; one frame at a time, so
    TransVOD's online memory of the last ``num_ref_frames`` frames is kept
    across an input's frames and reset at the start of each input). Each
    frame's prediction has ``bboxes`` (K, 4) xyxy in the original frame's
    pixels, ``labels`` (K,) and ``scores`` (K,); drawings show the boxes
    with class and score (in class colours, as VOD predicts no track ids).

    ``submission_file`` writes every box, as the frames arrive, in ImageNet
    VID's detection submission format (:func:`detection_lines`; the frame
    index counts from 1 within the input).

    Example:
        >>> inferencer = VideoDetInferencer(
        ...     'configs/transvod/transvod_r18-w16_1xb1-1k_toy-'
        ...     'imagenet-vid.py', 'transvod_toy.pth', device='cpu')
        >>> out = inferencer('video.mp4', out_dir='outputs/',
        ...                  submission_file='outputs/det.txt')
        >>> out['predictions'][0]['bboxes'].shape  # (K, 4)

    Args:
        model (str | Config): Config file or config.
        weights (str, optional): Checkpoint. Defaults to None (random
            weights, with a warning).
        device (str, optional): Device. Defaults to None (CUDA if any).
        show_progress (bool): Progress bar on inputs of known length.
            Defaults to True.
    """

    postprocess_kwargs: set = {'return_datasamples', 'submission_file'}

    def __init__(self,
                 model,
                 weights: Optional[str] = None,
                 device: Optional[str] = None,
                 show_progress: bool = True) -> None:
        super().__init__(
            model, weights, device, show_progress, clip_level=False)

    def check_model(self, model, cfg) -> None:
        if getattr(model, 'detector', None) is None:
            raise ValueError(
                f'{type(model).__name__} is not a video object detector '
                '(TransVOD / FrameDetector): use VideoSegInferencer for '
                'segmentation, VOSInferencer for VS-ReID')

    def stream(self,
               inputs: FramesInput,
               submission_file: Optional[str] = None,
               **kwargs) -> Iterator[dict]:
        """Run the detector frame by frame (see
        :meth:`VideoSegInferencer.stream` for the other arguments).

        Args:
            inputs: Video file, frame folder, list of BGR arrays or paths,
                a webcam index, or an opened :class:`FrameSource`.
            submission_file (str, optional): Write the boxes of every frame
                to this text file (:func:`detection_lines`).

        Yields:
            dict: ``frame_id``, ``frame_name``, ``prediction`` (``bboxes``,
            ``labels``, ``scores``) and ``visualization``.
        """
        out: Optional[TextIO] = None
        if submission_file is not None:
            os.makedirs(
                osp.dirname(osp.abspath(submission_file)), exist_ok=True)
            out = open(submission_file, 'w')
        try:
            for result in super().stream(inputs, **kwargs):
                if out is not None:
                    pred = result['prediction']
                    if not isinstance(pred, dict):
                        pred = frame_prediction(pred)
                    out.write(detection_lines(result['frame_id'] + 1, pred))
                yield result
        finally:
            if out is not None:
                out.close()
