# Copyright (c) OpenMMLab. All rights reserved.
"""PSNR / SSIM of synthesised frames (Deep Voxel Flow's protocol)."""
import math
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from mmvidseg.registry import METRICS
from ..functional.psnr_ssim import psnr, ssim
from .video_stream_metric import frame_field, frame_meta, to_numpy


def _image(pixel_data, what: str) -> Optional[np.ndarray]:
    """(C, H, W) PixelData (or its dict) -> (H, W, C) array."""
    if pixel_data is None:
        return None
    value = pixel_data.get('data') if isinstance(pixel_data, dict) else \
        getattr(pixel_data, 'data', None)
    if value is None:
        raise ValueError(f'{what} has no "data" field')
    arr = to_numpy(value)
    if arr.ndim != 3:
        raise ValueError(f'{what} must be (C, H, W), got {arr.shape}')
    return arr.transpose(1, 2, 0)


@METRICS.register_module()
class PSNRSSIMMetric(BaseMetric):
    """PSNR and SSIM of synthesised frames, as ``eval_voxelflow.m``.

    Each sample is a ``TrackDataSample`` of a frame triplet (see
    :class:`~mmvidseg.datasets.FrameTripletDataset`); its key frame (the
    frame to synthesise) carries ``pred_frame`` (the model's prediction,
    (3, H, W), 0-255, RGB), ``gt_frame`` ((3, H, W) uint8 RGB, packed by
    ``PackTripletInputs``) and optionally ``gt_motion_mask`` ((1, H, W),
    0 / 1). Scores follow :mod:`mmvidseg.evaluation.functional.psnr_ssim`:
    PSNR over RGB, SSIM on MATLAB ``rgb2gray``, means over the triplets with
    a finite PSNR (and a non-empty mask).

    Reported keys: ``psnr`` and ``ssim`` over whole frames; with motion
    masks also ``psnr_motion`` / ``ssim_motion`` (the paper's protocol);
    with a ``baseline`` the same for a trivial predictor, prefixed
    ``baseline_``, and ``psnr_gain`` = ``psnr - baseline_psnr``: the frame
    average ``(I0 + I1) / 2`` (rounded to uint8) for interpolation, or the
    last input frame repeated for extrapolation. Baselines read the
    reference frames' ``gt_frame`` (``PackTripletInputs(pack_frames='all')``).

    Args:
        baseline (bool | str): ``'average'`` (or True), ``'last'``, or
            False for none. Defaults to False.
        use_motion_mask (bool): Score inside motion masks when the samples
            have them. Defaults to True.
        collect_device (str): ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): Metric name prefix.
    """
    default_prefix: Optional[str] = ''  # plain metric names, no warning

    BASELINES = ('average', 'last')

    def __init__(self,
                 baseline: Union[bool, str] = False,
                 use_motion_mask: bool = True,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if baseline is True:
            baseline = 'average'
        if baseline and baseline not in self.BASELINES:
            raise ValueError(f'baseline must be one of {self.BASELINES} or '
                             f'False, got {baseline!r}')
        self.baseline = baseline or None
        self.use_motion_mask = use_motion_mask

    @staticmethod
    def _frames(sample) -> List:
        frames = sample.get('video_data_samples') if isinstance(
            sample, dict) else getattr(sample, 'video_data_samples', None)
        if not frames:
            raise ValueError('PSNRSSIMMetric expects TrackDataSamples of '
                             'frame triplets (video_data_samples)')
        return frames

    @staticmethod
    def _meta(sample) -> dict:
        if isinstance(sample, dict):
            return sample
        return sample.metainfo

    def _scores(self, pred, gt, mask) -> Dict[str, float]:
        out = {'psnr': psnr(pred, gt), 'ssim': ssim(pred, gt)}
        if mask is not None:
            out['psnr_motion'] = psnr(pred, gt, mask)
            out['ssim_motion'] = ssim(pred, gt, mask)
        return out

    def process(self, data_batch, data_samples: Sequence) -> None:
        """Score the key frame of every triplet."""
        for sample in data_samples:
            frames = self._frames(sample)
            meta = self._meta(sample)
            key = meta.get('key_frames_inds')
            refs = meta.get('ref_frames_inds')
            if not key or len(key) != 1:
                raise ValueError('a triplet sample needs exactly one key '
                                 f'frame (key_frames_inds), got {key}')
            target = frames[key[0]]
            name = frame_meta(target).get('img_path', f'frame {key[0]}')
            pred = _image(frame_field(target, 'pred_frame'),
                          f'pred_frame of {name}')
            gt = _image(frame_field(target, 'gt_frame'), f'gt_frame of {name}')
            if pred is None or gt is None:
                raise ValueError(f'{name}: the key frame needs pred_frame '
                                 'and gt_frame')
            mask = None
            if self.use_motion_mask:
                mask_data = frame_field(target, 'gt_motion_mask')
                if mask_data is not None:
                    mask = _image(mask_data, f'gt_motion_mask of {name}')
                    mask = mask[..., 0].astype(bool)
            result = self._scores(pred, gt, mask)
            if self.baseline:
                if not refs or len(refs) != 2:
                    raise ValueError(f'{name}: the baseline needs two '
                                     f'reference frames, got {refs}')
                ref_imgs = [
                    _image(frame_field(frames[i], 'gt_frame'),
                           f'gt_frame of reference frame {i}') for i in refs
                ]
                if any(r is None for r in ref_imgs):
                    raise ValueError(
                        f'{name}: the baseline needs gt_frame on the '
                        "reference frames (PackTripletInputs(pack_frames="
                        "'all'))")
                if self.baseline == 'average':
                    guess = (ref_imgs[0].astype(np.float64) +
                             ref_imgs[1].astype(np.float64)) / 2
                else:  # the reference frame last in time
                    guess = ref_imgs[int(np.argmax(refs))]
                for k, v in self._scores(guess, gt, mask).items():
                    result['baseline_' + k] = v
            self.results.append(result)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Means over triplets with a finite PSNR, per score family."""
        logger = MMLogger.get_current_instance()
        metrics = {}
        for prefix in ('', 'baseline_'):
            for suffix in ('', '_motion'):
                p_key, s_key = f'{prefix}psnr{suffix}', f'{prefix}ssim{suffix}'
                pairs = [(r[p_key], r[s_key]) for r in results if p_key in r]
                if not pairs:
                    continue
                valid = [(p, s) for p, s in pairs if math.isfinite(p)]
                if len(valid) < len(pairs):
                    logger.info(f'{p_key}: {len(pairs) - len(valid)} of '
                                f'{len(pairs)} triplets left out (identical '
                                'frames or an empty motion mask)')
                if not valid:
                    metrics[p_key] = float('nan')
                    metrics[s_key] = float('nan')
                    continue
                metrics[p_key] = float(np.mean([p for p, _ in valid]))
                metrics[s_key] = float(np.mean([s for _, s in valid]))
        if 'psnr' in metrics and 'baseline_psnr' in metrics:
            metrics['psnr_gain'] = metrics['psnr'] - metrics['baseline_psnr']
        metrics['num_triplets'] = len(results)
        return metrics
