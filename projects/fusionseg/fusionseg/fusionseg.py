# Copyright (c) OpenMMLab. All rights reserved.
"""FusionSeg: two-stream (appearance, motion) fully automatic video object
segmentation."""
import math
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.runner import CheckpointLoader
from mmengine.structures import PixelData
from torch import Tensor, nn

from mmvidseg.models.video_models.base import BaseVideoModel
from mmvidseg.registry import MODELS

STREAMS = ('appearance', 'motion')


def flow_to_image(flow: Tensor, eps: float = 1e-6) -> Tensor:
    """Encode flow as a colour image, as the release's motion stream input.

    The direction is the hue and the magnitude, divided by the frame's
    largest magnitude, the saturation (value 1): the Middlebury colour
    coding idea with a continuous HSV wheel. A still frame is white.

    Args:
        flow (Tensor): (N, 2, H, W) flow in pixels.

    Returns:
        Tensor: (N, 3, H, W) RGB in [0, 255].
    """
    if flow.dim() != 4 or flow.size(1) != 2:
        raise ValueError(f'flow must be (N, 2, H, W), got {tuple(flow.shape)}')
    u, v = flow[:, 0], flow[:, 1]
    mag = torch.sqrt(u * u + v * v)
    sat = mag / (mag.flatten(1).max(1)[0][:, None, None] + eps)
    hue = (torch.atan2(-v, -u) / math.pi + 1) * 3  # [0, 6)
    # HSV -> RGB with V = 1: channel c = 1 - S * clamp(...)
    k = torch.stack([(5 + hue) % 6, (3 + hue) % 6, (1 + hue) % 6], 1)
    weight = torch.clamp(torch.minimum(k, 4 - k), 0, 1)
    return (1 - sat[:, None] * weight) * 255


@MODELS.register_module()
class DilatedClassifierHead(nn.Module):
    """Four parallel dilated 3x3 classifiers whose logits are summed
    (DeepLab-v2's ASPP-L classifier, FusionSeg's stream head).

    Args:
        in_channels (int): Backbone channels.
        num_classes (int): Output classes. Defaults to 2.
        dilations (Sequence[int]): One classifier each. Defaults to
            (6, 12, 18, 24).
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int = 2,
                 dilations: Sequence[int] = (6, 12, 18, 24)) -> None:
        super().__init__()
        self.classifiers = nn.ModuleList([
            nn.Conv2d(in_channels, num_classes, 3, padding=d, dilation=d)
            for d in dilations
        ])

    def forward(self, x: Tensor) -> Tensor:
        """(N, C, h, w) features -> (N, num_classes, h, w) logits."""
        return sum(c(x) for c in self.classifiers)


@MODELS.register_module()
class FusionSeg(BaseVideoModel):
    """`FusionSeg: Learning to combine motion and appearance for fully
    automatic segmentation of generic objects in videos
    <https://arxiv.org/abs/1701.05384>`_ (CVPR 2017).

    Two streams of the same architecture (a dilated ResNet and
    :class:`DilatedClassifierHead`): the *appearance* stream on the RGB
    frame, the *motion* stream on its optical flow encoded as a colour image
    (:func:`flow_to_image`). The fusion has three parallel branches on the
    streams' foreground / background scores: the appearance one and the
    motion one (each a 1x1 convolution and a ReLU) and their element-wise
    product; the mask is the element-wise maximum of the three, so a
    confident stream wins and two unsure ones can agree. No first-frame
    mask: every frame is segmented on its own (DAVIS 2016 unsupervised).

    ``streams=('appearance', )`` or ``('motion', )`` keeps one stream (the
    ablation); its logits are then the output. The paper's staged recipe
    (each stream trained alone, then the fusion on top) is
    ``stream_checkpoints`` (the single-stream models' checkpoints, loaded
    by :meth:`init_weights`) with ``frozen_streams=True``.

    Args:
        backbone (dict): Stream backbone (built twice, 3 input channels).
        head (dict): Stream head (:class:`DilatedClassifierHead`).
        streams (Sequence[str]): Streams used. Defaults to both.
        stream_loss_weight (float): Weight of the per-stream auxiliary
            losses when both streams are used. Defaults to 0.5.
        flow_mean (float), flow_std (float): Normalisation of the flow
            image. Defaults to 127.5 and 64.
        stream_dropout (float): Training only: the probability that a
            frame's fusion sees one stream alone (the other branch is
            zeroed, so the fused score is the kept branch; which stream is
            kept is drawn 50 / 50). The fused loss then also trains each
            stream through the fusion as it is used alone, so joint
            training does not trade a stream's own quality for the
            fusion's (modality dropout; not in the paper). Defaults to 0.
        frozen_streams (bool): Train the fusion only: the streams keep
            their weights and batch-norm statistics and get no loss.
            Needs both streams. Defaults to False.
        stream_checkpoints (dict, optional): ``{stream: checkpoint}``; each
            stream's ``backbones.<stream>.*`` and ``heads.<stream>.*``
            weights are loaded from its checkpoint (e.g. the single-stream
            ablation's) in :meth:`init_weights`. Defaults to None.
        data_preprocessor (dict, optional): ``VideoDataPreprocessor``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: ConfigType,
                 head: ConfigType,
                 streams: Sequence[str] = STREAMS,
                 stream_loss_weight: float = 0.5,
                 flow_mean: float = 127.5,
                 flow_std: float = 64.0,
                 stream_dropout: float = 0.0,
                 frozen_streams: bool = False,
                 stream_checkpoints: Optional[Dict[str, str]] = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        streams = tuple(streams)
        if not streams or any(s not in STREAMS for s in streams) or \
                len(set(streams)) != len(streams):
            raise ValueError(f'streams must be a non-empty subset of '
                             f'{STREAMS}, got {streams}')
        self.streams = streams
        self.backbones = nn.ModuleDict(
            {s: MODELS.build(dict(backbone, in_channels=3))
             for s in streams})
        self.heads = nn.ModuleDict({s: MODELS.build(head) for s in streams})
        num_classes = head.get('num_classes', 2)
        if len(streams) == 2:
            self.fuse = nn.ModuleDict({
                s: nn.Conv2d(num_classes, num_classes, 1) for s in streams
            })
            self._init_fusion()
        self.stream_loss_weight = float(stream_loss_weight)
        self.flow_mean, self.flow_std = float(flow_mean), float(flow_std)
        self.stream_checkpoints = dict(stream_checkpoints or {})
        unknown = set(self.stream_checkpoints) - set(streams)
        if unknown:
            raise ValueError(f'stream_checkpoints has streams {unknown} '
                             f'that the model does not use ({streams})')
        if not 0 <= stream_dropout <= 1 or (stream_dropout > 0
                                            and len(streams) != 2):
            raise ValueError(f'stream_dropout must be in [0, 1] and needs '
                             f'both streams, got {stream_dropout} with '
                             f'{streams}')
        self.stream_dropout = float(stream_dropout)
        self.frozen_streams = bool(frozen_streams)
        if self.frozen_streams:
            if len(streams) != 2:
                raise ValueError('frozen_streams trains the fusion only and '
                                 'needs both streams')
            self.backbones.requires_grad_(False)
            self.heads.requires_grad_(False)

    def _init_fusion(self) -> None:
        """Fusion 1x1 convolutions start as the identity, so the untrained
        fusion already is the paper's rule on the stream scores (the more
        confident stream, or their product). A random start mixes the
        foreground and background scores arbitrarily and, measured on the
        camouflaged toy videos, 200 iterations do not undo it."""
        for conv in self.fuse.values():
            with torch.no_grad():
                conv.weight.copy_(
                    torch.eye(conv.out_channels)[:, :, None, None])
                conv.bias.zero_()

    def init_weights(self) -> None:
        """Default initialisation, :meth:`_init_fusion`, then the weights
        of ``stream_checkpoints``."""
        super().init_weights()
        if len(self.streams) == 2:
            self._init_fusion()
        for stream, path in self.stream_checkpoints.items():
            ckpt = CheckpointLoader.load_checkpoint(path, map_location='cpu')
            state = ckpt.get('state_dict', ckpt)
            prefixes = (f'backbones.{stream}.', f'heads.{stream}.')
            part = {k: v for k, v in state.items() if k.startswith(prefixes)}
            expected = {
                k for k in self.state_dict() if k.startswith(prefixes)
            }
            if set(part) != expected:
                raise KeyError(
                    f'{path} does not hold the {stream} stream: missing '
                    f'{sorted(expected - set(part))[:3]}, unexpected '
                    f'{sorted(set(part) - expected)[:3]}')
            self.load_state_dict(part, strict=False)

    def train(self, mode: bool = True) -> 'FusionSeg':
        """Frozen streams stay in eval mode (batch-norm statistics)."""
        super().train(mode)
        if self.frozen_streams:
            self.backbones.eval()
            self.heads.eval()
        return self

    def stream_logits(self, frames: Tensor, flows: Tensor) -> Dict:
        """Each stream's logits (N, 2, h, w) of normalised frames
        (N, 3, H, W) and their flows (N, 2, H, W)."""
        inputs = dict(appearance=frames)
        if 'motion' in self.streams:
            inputs['motion'] = (flow_to_image(flows) -
                                self.flow_mean) / self.flow_std
        with torch.set_grad_enabled(torch.is_grad_enabled()
                                    and not self.frozen_streams):
            return {
                s: self.heads[s](self.backbones[s](inputs[s])[-1])
                for s in self.streams
            }

    def fuse_logits(self,
                    logits: Dict,
                    keep: Optional[Tensor] = None) -> Tensor:
        """The three-branch fusion, or the single stream's logits.

        Args:
            logits (dict): ``{stream: (N, 2, h, w)}`` stream logits.
            keep (Tensor, optional): (N, 2) 0 / 1 weights of the
                appearance and motion branches per frame (stream dropout);
                with one branch zeroed the fused score is the other's.
                Defaults to None (both).

        Returns:
            Tensor: (N, 2, h, w) fused scores.
        """
        if len(self.streams) == 1:
            return logits[self.streams[0]]
        a = F.relu(self.fuse['appearance'](logits['appearance']))
        m = F.relu(self.fuse['motion'](logits['motion']))
        if keep is not None:
            a = a * keep[:, 0, None, None, None]
            m = m * keep[:, 1, None, None, None]
        return torch.maximum(torch.maximum(a, m), a * m)

    def _dropout_mask(self, num_frames: int, device) -> Optional[Tensor]:
        """(N, 2) branch weights: each frame keeps both streams, or with
        probability ``stream_dropout`` one drawn at random."""
        if not (self.training and self.stream_dropout
                and not self.frozen_streams):
            return None
        drop = torch.rand(num_frames, device=device) < self.stream_dropout
        kept = torch.randint(0, 2, (num_frames, ), device=device)
        keep = torch.ones(num_frames, 2, device=device)
        keep[drop] = F.one_hot(kept[drop], 2).float()
        return keep

    def _frames_and_flows(self, inputs: Tensor,
                          data_samples: list) -> Tuple[Tensor, Tensor, List]:
        """(N*T, 3, H, W) frames, (N*T, 2, H, W) flows (a frame without a
        forward flow, a video's last, takes its predecessor's) and the
        per-frame samples."""
        frames, samples = self.to_frames(inputs, data_samples)
        flows = frames.new_zeros(frames.size(0), 2, *frames.shape[-2:])
        if 'motion' not in self.streams:
            return frames, flows, samples
        for i, s in enumerate(samples):
            if 'gt_flow' not in s:
                raise ValueError('the motion stream needs gt_flow (put '
                                 'LoadOpticalFlow in the pipeline)')
            if s.metainfo.get('flow_valid', True):
                f = s.gt_flow.data
                flows[i, :, :f.shape[-2], :f.shape[-1]] = f
            elif i > 0 and s.metainfo.get('video_id') == samples[
                    i - 1].metainfo.get('video_id'):
                flows[i] = flows[i - 1]
        return frames, flows, samples

    def loss(self, inputs: Tensor, data_samples: list) -> Dict[str, Tensor]:
        """Cross-entropy of the fused mask (and, with two streams that are
        not frozen, of each stream) against the foreground of
        ``gt_sem_seg``.

        Args:
            inputs (Tensor): (N, T, 3, H, W) clips or (N, 3, H, W) frames.
            data_samples (list): Samples with ``gt_sem_seg`` (0 / 1 / 255)
                and ``gt_flow``.

        Returns:
            dict: ``loss_fused`` (and ``loss_appearance``,
            ``loss_motion``).
        """
        frames, flows, samples = self._frames_and_flows(inputs, data_samples)
        target = torch.stack([s.gt_sem_seg.data[0] for s in samples]).long()
        target = target.to(frames.device)
        if ((target > 1) & (target != 255)).any():
            raise ValueError('FusionSeg needs a binary foreground mask: add '
                             'BinarizeVOSAnnotation to the pipeline')
        logits = self.stream_logits(frames, flows)

        def ce(x):
            x = F.interpolate(x, size=target.shape[-2:], mode='bilinear',
                              align_corners=False)
            return F.cross_entropy(x, target, ignore_index=255)

        keep = self._dropout_mask(frames.size(0), frames.device)
        losses = dict(loss_fused=ce(self.fuse_logits(logits, keep)))
        if len(self.streams) == 2 and not self.frozen_streams:
            for s in self.streams:
                losses[f'loss_{s}'] = ce(logits[s]) * self.stream_loss_weight
        return losses

    def predict(self, inputs: Tensor, data_samples: list) -> list:
        """Foreground masks of every frame.

        Returns:
            list: ``data_samples``; every frame gets ``pred_sem_seg`` (1, H,
            W), 1 foreground, and ``seg_logits`` (2, H, W).
        """
        frames, flows, samples = self._frames_and_flows(inputs, data_samples)
        fused = self.fuse_logits(self.stream_logits(frames, flows))
        fused = F.interpolate(fused, size=frames.shape[-2:], mode='bilinear',
                              align_corners=False)
        for logit, sample in zip(fused, samples):
            h, w = sample.metainfo.get('img_shape', logit.shape[-2:])[:2]
            logit = logit[:, :h, :w]
            sample.seg_logits = PixelData(data=logit)
            sample.pred_sem_seg = PixelData(data=logit.argmax(0, True))
        return data_samples

    def _forward(self, inputs: Tensor,
                 data_samples: Optional[list] = None) -> Tensor:
        """Fused logits with zero flow (for FLOPs counting)."""
        frames, _ = self.to_frames(inputs, data_samples)
        flows = frames.new_zeros(frames.size(0), 2, *frames.shape[-2:])
        return self.fuse_logits(self.stream_logits(frames, flows))
