# Copyright (c) OpenMMLab. All rights reserved.
"""SegFlow: joint video object segmentation and optical flow."""
import copy
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.structures import PixelData
from torch import Tensor

from mmvidseg.models.video_models.base import BaseVideoModel
from mmvidseg.registry import MODELS

TRAIN_MODES = ('alternate', 'joint')


def balanced_cross_entropy(logits: Tensor,
                           target: Tensor,
                           ignore_index: int = 255) -> Tensor:
    """SegFlow's class-balanced cross-entropy (the paper's Eq. 1).

    Foreground pixels are weighted by ``1 - w`` and background ones by
    ``w``, where ``w`` is the foreground fraction of the image's labelled
    pixels, so the rarer class counts as much as the other.

    Args:
        logits (Tensor): (N, 2, H, W) background / foreground logits.
        target (Tensor): (N, H, W) 0 / 1 (``ignore_index`` ignored).
        ignore_index (int): Unlabelled value. Defaults to 255.

    Returns:
        Tensor: Scalar, the weighted sum divided by the labelled pixels.
    """
    if logits.dim() != 4 or logits.size(1) != 2:
        raise ValueError(f'logits must be (N, 2, H, W), got '
                         f'{tuple(logits.shape)}')
    valid = target != ignore_index
    fg = (target == 1) & valid
    n_valid = valid.flatten(1).sum(1).clamp(min=1).float()
    w = (fg.flatten(1).sum(1).float() / n_valid)[:, None, None]
    weight = torch.where(fg, 1 - w, w) * valid
    nll = F.cross_entropy(logits, target.masked_fill(~valid, 0),
                          reduction='none')
    return (nll * weight).sum() / n_valid.sum()


def endpoint_error(flow: Tensor, target: Tensor, valid: Tensor) -> Tensor:
    """Mean end-point error over the valid pixels.

    Args:
        flow (Tensor): (N, 2, h, w) prediction at any stride: bilinearly
            resized to the target's size (values are pixels of the target).
        target (Tensor): (N, 2, H, W) ground truth in pixels.
        valid (Tensor): (N, H, W) bool, pixels that have a ground truth.

    Returns:
        Tensor: Scalar (0 when no pixel is valid).
    """
    if flow.shape[-2:] != target.shape[-2:]:
        flow = F.interpolate(flow, size=target.shape[-2:], mode='bilinear',
                             align_corners=False)
    if valid.shape != target[:, 0].shape:
        raise ValueError(f'valid {tuple(valid.shape)} must be (N, H, W) of '
                         f'the target {tuple(target.shape)}')
    epe = torch.linalg.vector_norm(flow - target, dim=1)
    if not valid.any():
        return epe.sum() * 0
    return epe[valid].mean()


@MODELS.register_module()
class SegFlow(BaseVideoModel):
    """`SegFlow: Joint Learning for Video Object Segmentation and Optical
    Flow <https://arxiv.org/abs/1709.06750>`_ (ICCV 2017).

    A segmentation branch (a fully convolutional ResNet whose features at
    three strides are scored and summed) and an optical-flow branch
    (FlowNetS: the frame and the next one stacked, an encoder and an
    up-sampling decoder) that exchange features at every stride of the
    up-sampling stage (:class:`BidirectionalDecoder`). Frame ``t`` is
    segmented from the pair ``(t, t + 1)``, which also gives the flow from
    ``t`` to ``t + 1``; a video's last frame is paired with its predecessor.

    Training (``train_mode``): ``'alternate'`` is the paper's iterative
    scheme, one step on the segmentation loss with the flow branch fixed
    (its features detached), the next on the flow loss with the
    segmentation branch fixed; ``'joint'`` sums both losses every step
    (possible here since the toy data has both targets).

    Inference is semi-supervised: the first frame's mask is given. With
    ``test_cfg.finetune_iters > 0`` a copy of the model is fine-tuned on
    the first frame (segmentation branch only, horizontal flips) for each
    object of that mask, each copy segments the object in every frame and
    the objects are merged (the most confident above ``fg_thr``). Without
    fine-tuning the offline model's foreground is the single object (only
    for one-object masks, e.g. DAVIS 2016 / ``LoadVOSAnnotation(binary=
    True)``). Every frame with a forward flow also gets ``pred_flow`` from
    the offline model (for :class:`FlowEPEMetric`).

    Args:
        backbone (dict): Segmentation backbone (e.g. ``mmseg.ResNetV1c``
            with ``out_indices`` at strides 8, 16, 32).
        flow_encoder (dict): :class:`FlowNetSEncoder`.
        decoder (dict): :class:`BidirectionalDecoder`.
        train_mode (str): ``'alternate'`` or ``'joint'``.
        seg_loss_weight (float), flow_loss_weight (float): Loss weights.
        flow_level_weights (Sequence[float]): EPE weight of each decoder
            level, coarse to fine (one per flow stride).
        test_cfg (dict, optional): ``finetune_iters`` (0), ``finetune_lr``
            (1e-3), ``fg_thr`` (0.5).
        data_preprocessor (dict, optional): ``VideoDataPreprocessor``; pad
            to a multiple of the coarsest stride (32).
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: ConfigType,
                 flow_encoder: ConfigType,
                 decoder: ConfigType,
                 train_mode: str = 'alternate',
                 seg_loss_weight: float = 1.0,
                 flow_loss_weight: float = 1.0,
                 flow_level_weights: Sequence[float] = (0.125, 0.25, 0.5,
                                                        1.0),
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if train_mode not in TRAIN_MODES:
            raise ValueError(f'train_mode must be one of {TRAIN_MODES}, got '
                             f'{train_mode!r}')
        self.backbone = MODELS.build(backbone)
        self.flow_encoder = MODELS.build(flow_encoder)
        self.decoder = MODELS.build(dict(
            decoder, flow_channels=self.flow_encoder.channels))
        if len(flow_level_weights) != len(self.decoder.dec_strides):
            raise ValueError(
                f'flow_level_weights needs one weight per flow stride '
                f'{self.decoder.dec_strides}, got {tuple(flow_level_weights)}')
        self.train_mode = train_mode
        self.seg_loss_weight = float(seg_loss_weight)
        self.flow_loss_weight = float(flow_loss_weight)
        self.flow_level_weights = tuple(float(w) for w in flow_level_weights)
        self.test_cfg = dict(finetune_iters=0, finetune_lr=1e-3, fg_thr=0.5)
        self.test_cfg.update(test_cfg or {})
        self.steps = 0  # training steps so far (alternate mode)

    @property
    def seg_modules(self) -> List:
        """The segmentation branch: backbone and score heads."""
        return [self.backbone, self.decoder.seg_heads]

    def forward_pair(self,
                     frames: Tensor,
                     next_frames: Tensor,
                     detach: Optional[str] = None) -> Tuple[Tensor, Dict]:
        """Segmentation logits and flows of frame pairs.

        Args:
            frames (Tensor): (N, 3, H, W) frames ``t``; H, W multiples of
                the coarsest stride.
            next_frames (Tensor): (N, 3, H, W) frames ``t + 1``.
            detach (str, optional): See :meth:`BidirectionalDecoder.forward`.

        Returns:
            tuple: (N, 2, H, W) logits and stride -> (N, 2, H / s, W / s)
            flows from ``t`` to ``t + 1`` in input pixels.
        """
        stride = max(self.flow_encoder.strides)
        if frames.shape != next_frames.shape or frames.dim() != 4 or \
                frames.shape[-2] % stride or frames.shape[-1] % stride:
            raise ValueError(
                f'frame pairs must be two (N, 3, H, W) tensors with H and W '
                f'multiples of {stride} (set pad_size_divisor={stride}), got '
                f'{tuple(frames.shape)} and {tuple(next_frames.shape)}')
        seg_feats = self.backbone(frames)
        enc_feats = self.flow_encoder(torch.cat([frames, next_frames], 1))
        logits, flows = self.decoder(seg_feats, enc_feats, detach)
        logits = F.interpolate(logits, size=frames.shape[-2:],
                               mode='bilinear', align_corners=False)
        return logits, flows

    def pair_losses(self, logits: Tensor, flows: Dict, target: Tensor,
                    gt_flow: Tensor, valid: Tensor) -> Dict[str, Tensor]:
        """``loss_seg`` (Eq. 1) and ``loss_flow`` (EPE summed over the
        decoder levels with ``flow_level_weights``)."""
        loss_flow = sum(
            w * endpoint_error(flows[s], gt_flow, valid)
            for w, s in zip(self.flow_level_weights, flows))
        return dict(
            loss_seg=balanced_cross_entropy(logits, target) *
            self.seg_loss_weight,
            loss_flow=loss_flow * self.flow_loss_weight)

    def loss(self, inputs: Tensor, data_samples: list) -> Dict[str, Tensor]:
        """Losses of the first two frames of each clip (the pair t, t+1).

        Args:
            inputs (Tensor): (N, T >= 2, 3, H, W) clips of consecutive
                frames.
            data_samples (list): N ``TrackDataSample``; frame 0 has
                ``gt_sem_seg`` (0 / 1, 255 ignored) and ``gt_flow`` (2, H,
                W) with ``flow_valid``.

        Returns:
            dict: ``loss_seg`` and ``loss_flow``; in ``'alternate'`` mode
            the one not trained this step is detached (logged only).
        """
        if inputs.dim() != 5 or inputs.size(1) < 2:
            raise ValueError(
                'SegFlow trains on clips of >= 2 consecutive frames (N, T, '
                f'3, H, W) (VideoFrameSample num_frames=2), got '
                f'{tuple(inputs.shape)}')
        firsts = [s.video_data_samples[0] for s in data_samples]
        if any('gt_flow' not in f for f in firsts):
            raise ValueError('SegFlow trains its flow branch on gt_flow: put '
                             'LoadOpticalFlow in the pipeline')
        target = inputs.new_full((len(firsts), ) + inputs.shape[-2:], 255,
                                 dtype=torch.long)
        for i, f in enumerate(firsts):
            seg = f.gt_sem_seg.data[0]
            target[i, :seg.size(-2), :seg.size(-1)] = seg.to(target)
        if ((target > 1) & (target != 255)).any():
            raise ValueError('SegFlow segments one foreground: load the masks '
                             'with LoadVOSAnnotation(binary=True)')
        gt_flow, valid = self._padded_flows(firsts, inputs)
        task = None
        if self.train_mode == 'alternate':
            task = 'seg' if self.steps % 2 == 0 else 'flow'
            self.steps += 1
        logits, flows = self.forward_pair(
            inputs[:, 0], inputs[:, 1],
            detach={'seg': 'flow', 'flow': 'seg', None: None}[task])
        losses = self.pair_losses(logits, flows, target, gt_flow, valid)
        if task is not None:
            other = 'loss_flow' if task == 'seg' else 'loss_seg'
            losses[other] = losses[other].detach()
        return losses

    @staticmethod
    def _padded_flows(frames: Sequence,
                      inputs: Tensor) -> Tuple[Tensor, Tensor]:
        """Ground-truth flows (N, 2, H, W) padded with zeros to the input
        size and their valid pixels (N, H, W): inside the frame, of frames
        with ``flow_valid``."""
        n, h, w = len(frames), inputs.size(-2), inputs.size(-1)
        gt_flow = inputs.new_zeros(n, 2, h, w)
        valid = torch.zeros(n, h, w, dtype=torch.bool, device=inputs.device)
        for i, f in enumerate(frames):
            flow = f.gt_flow.data
            fh, fw = flow.shape[-2:]
            gt_flow[i, :, :fh, :fw] = flow.to(inputs)
            valid[i, :fh, :fw] = bool(f.metainfo.get('flow_valid', True))
        return gt_flow, valid

    def _video(self, clip: Tensor,
               samples: Sequence) -> Tuple[Tensor, Tensor, Tensor, List]:
        """Frames (T, 3, H, W), their partners (the next frame, the last's
        its predecessor), the first-frame object-id map (H, W) and ids."""
        first = samples[0]
        if 'gt_sem_seg' not in first:
            raise ValueError(
                f'video {first.metainfo.get("video_id")}: the first frame '
                'has no mask (gt_sem_seg); SegFlow is semi-supervised')
        ids = first.gt_sem_seg.data[0].to(clip.device).long()
        h, w = ids.shape[-2:]
        object_ids = first.metainfo.get('ref_object_ids')
        if object_ids is None:
            object_ids = ids.unique().tolist()
        object_ids = [
            int(i) for i in object_ids
            if 0 < int(i) < 255 and bool((ids == int(i)).any())
        ]
        if not object_ids:
            raise ValueError(
                f'video {first.metainfo.get("video_id")}: the first-frame '
                f'mask {first.metainfo.get("seg_map_path", "")} has no object')
        if clip.size(-2) < h or clip.size(-1) < w:
            raise ValueError(f'the first-frame mask ({h}, {w}) is larger '
                             f'than the frames {tuple(clip.shape[-2:])}')
        frames = clip  # padded: the strides must divide the size
        nxt = torch.cat([frames[1:], frames[-2:-1]]) if len(frames) > 1 \
            else frames
        return frames, nxt, ids, object_ids

    def foreground(self, frames: Tensor, nxt: Tensor) -> Tensor:
        """(T, H, W) foreground probabilities."""
        logits, _ = self.forward_pair(frames, nxt)
        return logits.softmax(1)[:, 1]

    def finetune(self, frame: Tensor, nxt: Tensor, target: Tensor):
        """A copy of the model fine-tuned on one annotated frame.

        The segmentation branch is trained (Adam, ``test_cfg.finetune_lr``,
        ``test_cfg.finetune_iters`` steps, a random horizontal flip of the
        pair and the mask each step) with the flow branch fixed and the
        normalisation statistics frozen.

        Args:
            frame (Tensor): (1, 3, H, W) the annotated frame.
            nxt (Tensor): (1, 3, H, W) its partner frame.
            target (Tensor): (1, H, W) 0 / 1 (255 ignored) mask.

        Returns:
            SegFlow: The fine-tuned copy, in eval mode.
        """
        model = copy.deepcopy(self).eval()
        params = [p for m in model.seg_modules for p in m.parameters()]
        optim = torch.optim.Adam(params, lr=self.test_cfg['finetune_lr'])
        gen = torch.Generator().manual_seed(0)
        with torch.enable_grad():
            for _ in range(int(self.test_cfg['finetune_iters'])):
                a, b, t = frame, nxt, target
                if torch.rand(1, generator=gen).item() < 0.5:
                    a, b, t = a.flip(-1), b.flip(-1), t.flip(-1)
                logits, _ = model.forward_pair(a, b, detach='flow')
                optim.zero_grad()
                balanced_cross_entropy(logits, t).backward()
                optim.step()
        return model

    def segment_video(self, frames: Tensor, nxt: Tensor, ids: Tensor,
                      object_ids: List[int]) -> Tensor:
        """(T, H', W') indices into ``[0] + object_ids`` (H', W' of the
        padded frames; ``ids`` covers the top-left (H, W))."""
        num_iters = int(self.test_cfg['finetune_iters'])
        if num_iters <= 0 and len(object_ids) > 1:
            raise ValueError(
                f'{len(object_ids)} objects in the first frame but '
                'test_cfg.finetune_iters=0: without first-frame fine-tuning '
                'SegFlow only segments one foreground (use '
                'LoadVOSAnnotation(binary=True))')
        probs = []
        for k in object_ids:
            model = self
            if num_iters > 0:
                target = ids.new_full(frames.shape[-2:], 255)
                h, w = ids.shape
                target[:h, :w] = torch.where(ids == 255, 255,
                                             (ids == k).long())
                model = self.finetune(frames[:1], nxt[:1], target[None])
            probs.append(model.foreground(frames, nxt))
        probs = torch.stack(probs, 1)  # (T, K, H, W)
        best, index = probs.max(1)
        return torch.where(best > self.test_cfg['fg_thr'], index + 1, 0)

    def predict(self, inputs: Tensor, data_samples: list) -> list:
        """Segment whole videos from their first-frame masks.

        Args:
            inputs (Tensor): (N, T, 3, H, W), each clip a whole video.
            data_samples (list): N ``TrackDataSample``; frame 0 carries the
                mask (``gt_sem_seg``, object ids, optional
                ``ref_object_ids``).

        Returns:
            list: ``data_samples``; every frame gets ``pred_sem_seg`` (1,
            H, W) object ids (0 background) and, when it has a forward
            flow, ``pred_flow`` (2, H, W) in pixels.
        """
        if inputs.dim() != 5:
            raise ValueError('SegFlow predicts whole videos (N, T, 3, H, W), '
                             f'got shape {tuple(inputs.shape)}')
        for clip, sample in zip(inputs, data_samples):
            samples = sample.video_data_samples
            frames, nxt, ids, object_ids = self._video(clip, samples)
            labels = self.segment_video(frames, nxt, ids, object_ids)
            lut = labels.new_tensor([0] + object_ids)
            _, flows = self.forward_pair(frames, nxt)
            flow = F.interpolate(flows[min(flows)], size=frames.shape[-2:],
                                 mode='bilinear', align_corners=False)
            for t, frame in enumerate(samples):
                h, w = frame.metainfo.get('img_shape', ids.shape)[:2]
                frame.pred_sem_seg = PixelData(
                    data=lut[labels[t, :h, :w]][None])
                if frame.metainfo.get('flow_valid', t < len(samples) - 1):
                    frame.pred_flow = PixelData(data=flow[t, :, :h, :w])
        return data_samples

    def _forward(self, inputs: Tensor,
                 data_samples: Optional[list] = None) -> Tensor:
        """Logits (N*T, 2, H, W) of every frame paired with itself (for
        FLOPs counting)."""
        frames, _ = self.to_frames(inputs, data_samples)
        return self.forward_pair(frames, frames)[0]
