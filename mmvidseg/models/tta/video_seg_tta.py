# Copyright (c) OpenMMLab. All rights reserved.
"""Test-time augmentation of video semantic segmentation: the same views
(scales x horizontal flip) for every frame of a video."""
import copy
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseTTAModel
from mmengine.structures import PixelData

from mmvidseg.registry import MODELS

#: model attributes that hold the state of online inference across frames
STATE_ATTRS = ('_video_key', '_prev_kernels')


def default_tta_pipeline(test_pipeline: Sequence[dict],
                         scale_ratios: Sequence[float] = (0.75, 1.0, 1.25)
                         ) -> List[dict]:
    """A ``TestTimeAug`` pipeline from a video test pipeline: one branch
    per scale ratio, each the test pipeline with its ``Resize`` scale
    multiplied by the ratio (flips are done by :class:`VideoSegTTAModel`).

    Args:
        test_pipeline (Sequence[dict]): The test pipeline, its last
            transform the packing one (e.g. ``PackVideoInputs``) and a
            ``Resize`` with ``scale`` among the others (also inside a
            ``TransformBroadcaster``).
        scale_ratios (Sequence[float]): The ratios; the first branch is
            the reference view of the merge (put 1.0 first for it to be
            the plain test view). Defaults to (0.75, 1.0, 1.25).

    Raises:
        ValueError: The pipeline has no ``Resize`` with a ``scale``.
    """
    *body, pack = copy.deepcopy(list(test_pipeline))
    if not any(_scale_resizes(body, 1.0)):
        raise ValueError('the test pipeline has no Resize with a scale to '
                         'vary: give the config a tta_pipeline')
    branches = []
    for ratio in scale_ratios:
        branch = copy.deepcopy(body)
        _scale_resizes(branch, ratio)
        branches.append(branch[0] if len(branch) == 1 else
                        dict(type='Compose', transforms=branch))
    return [dict(type='TestTimeAug', transforms=[branches, [pack]])]


def _scale_resizes(transforms: list, ratio: float) -> List[dict]:
    """Multiply the ``scale`` of every ``Resize`` (nested too) by
    ``ratio`` in place; return those transforms."""
    found = []
    for t in transforms:
        if not isinstance(t, dict):
            continue
        if str(t.get('type', '')).split('.')[-1] == 'Resize' and \
                t.get('scale') is not None:
            w, h = t['scale']
            t['scale'] = (int(round(w * ratio)), int(round(h * ratio)))
            found.append(t)
        found += _scale_resizes(t.get('transforms') or [], ratio)
    return found


def _frames(sample) -> list:
    frames = getattr(sample, 'video_data_samples', None)
    return list(frames) if frames is not None else [sample]


@MODELS.register_module()
class VideoSegTTAModel(BaseTTAModel):
    """Flip + multi-scale test-time augmentation for video semantic
    segmentation (the frame baseline, Video K-Net VSS, ...).

    Every frame is seen in the same views: the scale branches of the
    ``TestTimeAug`` pipeline (:func:`default_tta_pipeline`), each also
    flipped horizontally when ``flip``. An online model keeps one state per
    view (``STATE_ATTRS``: the current video and e.g. Video K-Net's previous
    kernels), so each view is a consistent video stream: frame t of a view
    is linked to frame t - 1 of the same view. The flip is done here on the
    input frames and undone on the predictions (the models do not read a
    ``flip`` flag).

    Merge per frame: the mean of the views' class probabilities (softmax of
    ``seg_logits``) when every view has them (mmseg models), else a
    per-pixel vote of the views' ``pred_sem_seg`` (ties go to the earliest
    view, the first scale unflipped; void 255 is a candidate like a class).

    Args:
        module (dict | nn.Module): The segmentation model.
        flip (bool): Add the horizontally flipped views. Defaults to True.
        data_preprocessor (dict, optional): See mmengine's
            ``BaseTTAModel``.

    Raises:
        ValueError: The model has a tracker (its memory would need one copy
            per view; instance ids cannot be voted): not supported.
    """

    def __init__(self, module, flip: bool = True,
                 data_preprocessor: Optional[dict] = None) -> None:
        super().__init__(module, data_preprocessor)
        if getattr(self.module, 'tracker', None) is not None:
            raise ValueError(
                f'{type(self.module).__name__} has a tracker: test-time '
                'augmentation supports semantic segmentation models only')
        self.flip = flip
        self._states: Dict[int, dict] = {}

    # ------------------------------------------------------------- state
    def _enter(self, view: int) -> None:
        state = self._states.get(view)
        if state is None:
            # a fresh stream: the next frame starts a new video
            if hasattr(self.module, 'reset_state'):
                self.module.reset_state()
            if hasattr(self.module, '_video_key'):
                self.module._video_key = object()
            return
        for name, value in state.items():
            setattr(self.module, name, value)

    def _leave(self, view: int) -> None:
        self._states[view] = {
            name: getattr(self.module, name)
            for name in STATE_ATTRS if hasattr(self.module, name)
        }

    # ------------------------------------------------------------- views
    @staticmethod
    def _flipped(data: dict) -> dict:
        flipped = dict(data)
        flipped['inputs'] = [x.flip(-1) for x in data['inputs']]
        return flipped

    @staticmethod
    def _unflip(predictions: list) -> list:
        for sample in predictions:
            for frame in _frames(sample):
                for name in ('pred_sem_seg', 'seg_logits'):
                    if name in frame:
                        data = frame.get(name).data.flip(-1)
                        frame.set_field(PixelData(data=data), name)
        return predictions

    def test_step(self, data):
        """Predict every view of the batch (state per view) and merge."""
        if not isinstance(data, dict):
            raise TypeError('VideoSegTTAModel takes the dict batches of a '
                            f'TestTimeAug pipeline, got {type(data)}')
        num_scales = len(data['inputs'])
        views: List[Tuple[dict, bool]] = []
        for i in range(num_scales):
            scaled = {key: value[i] for key, value in data.items()}
            views.append((scaled, False))
            if self.flip:
                views.append((self._flipped(scaled), True))
        predictions = []
        for k, (view, flipped) in enumerate(views):
            self._enter(k)
            preds = self.module.test_step(view)
            self._leave(k)
            predictions.append(self._unflip(preds) if flipped else preds)
        return self.merge_preds(list(zip(*predictions)))

    # ------------------------------------------------------------- merge
    def merge_preds(self, data_samples_list):
        """One sample per batch item: view 0's, its frames' ``pred_sem_seg``
        replaced by the merge of all views."""
        merged = []
        for views in data_samples_list:
            frames = [_frames(v) for v in views]
            for t, frame in enumerate(frames[0]):
                frame.pred_sem_seg = PixelData(
                    data=merge_frame([f[t] for f in frames]))
            merged.append(views[0])
        return merged


def merge_frame(frames: list) -> torch.Tensor:
    """(1, H, W) merged class ids of one frame's views (see
    :class:`VideoSegTTAModel`).

    Raises:
        ValueError: The views' predictions differ in size.
    """
    preds = [f.pred_sem_seg.data for f in frames]
    if len({tuple(p.shape) for p in preds}) != 1:
        raise ValueError('the views predict different sizes: '
                         f'{sorted({tuple(p.shape) for p in preds})}')
    if all('seg_logits' in f for f in frames):
        probs = sum(f.seg_logits.data.softmax(0) for f in frames)
        return probs.argmax(0, keepdim=True).to(preds[0].dtype)
    stack = torch.stack([p[0].long() for p in preds])  # (V, H, W)
    labels = torch.unique(stack)
    votes = torch.stack([(stack == c).sum(0) for c in labels]).float()
    # ties go to the earliest view's label
    votes += 0.5 * (stack[0][None] == labels[:, None, None])
    return labels[votes.argmax(0)][None].to(preds[0].dtype)
