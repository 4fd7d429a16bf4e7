# Copyright (c) OpenMMLab. All rights reserved.
"""Deep Layer Cascade: a segmentor that stops computing at easy pixels."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.structures import PixelData
from torch import Tensor

from mmvidseg.ops.region_conv import mask_to_index, scatter_pixels
from mmvidseg.registry import MODELS
from ..layers.region_resnet import (resnet_stem_forward, run_blocks,
                                    split_resnet)
from .base import BaseVideoModel

#: One stage's result: its active pixels (None = every pixel) and the
#: logits map after it (N, num_classes, h, w).
StageResult = Tuple[Optional[Tensor], Tensor]


def _linear_taps(out_size: int, in_size: int, start: int, length: int,
                 align_corners: bool,
                 device: torch.device) -> Tuple[Tensor, Tensor, Tensor]:
    """Source indices and weights of 1-D linear upsampling.

    The same arithmetic as ``F.interpolate(mode='bilinear')`` on the CPU,
    for output positions ``[start, start + length)``.

    Returns:
        tuple[Tensor]: ``i0``, ``i1`` (long) and the weight of ``i1``
        (float32), each of shape (length, ).
    """
    dst = torch.arange(
        start, start + length, device=device, dtype=torch.float32)
    if align_corners:
        scale = (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
        src = dst * torch.tensor(scale, dtype=torch.float32)
    else:
        scale = torch.tensor(float(in_size), dtype=torch.float32) / out_size
        src = ((dst + 0.5) * scale - 0.5).clamp(min=0)
    i0 = src.long()
    lam = (src - i0).clamp(0, 1)
    i1 = torch.where(i0 < in_size - 1, i0 + 1, i0)
    return i0, i1, lam


def upsample_labels(logits: Tensor, size: Tuple[int, int],
                    crop: Tuple[int, int, int,
                                int], align_corners: bool) -> Tensor:
    """``argmax`` of bilinearly upsampled logits, computed sparsely.

    A convex combination of logit vectors that share their top class keeps
    it, so an output pixel whose four source pixels agree takes their label;
    only the other pixels (near label boundaries) are interpolated. Equal to
    ``F.interpolate(logits[None], size, mode='bilinear')[0, :, top:top + h,
    left:left + w].argmax(0)`` up to float rounding at exact ties.

    Args:
        logits (Tensor): Low-resolution logits (C, h, w).
        size (tuple[int, int]): The full upsampled size (H, W).
        crop (tuple[int, int, int, int]): The window ``(top, left, height,
            width)`` of the upsampled map to label.
        align_corners (bool): As in ``F.interpolate``.

    Returns:
        Tensor: Labels (height, width), long.
    """
    _, h, w = logits.shape
    top, left, height, width = crop
    y0, y1, wy = _linear_taps(size[0], h, top, height, align_corners,
                              logits.device)
    x0, x1, wx = _linear_taps(size[1], w, left, width, align_corners,
                              logits.device)
    low = logits.max(dim=0).indices  # (h, w)
    if logits.size(0) <= 256:  # 8x less memory traffic below
        low = low.to(torch.uint8)
    # The second taps are functions of the first (i1 = min(i0 + 1, n - 1)),
    # so whether an output pixel's four source labels agree is a property
    # of its first tap: decide it on the low-resolution grid, then look up.
    down = torch.arange(h, device=low.device).add_(1).clamp_(max=h - 1)
    right = torch.arange(w, device=low.device).add_(1).clamp_(max=w - 1)
    below = low.index_select(0, down)
    cell_mixed = ((low != low.index_select(1, right))
                  | (low != below) | (low != below.index_select(1, right)))
    labels = low.index_select(0, y0).index_select(1, x0).long()
    mixed = cell_mixed.index_select(0, y0).index_select(1, x0)
    ys, xs = mixed.nonzero(as_tuple=True)
    if ys.numel():
        a, b = wy[ys, None], wx[xs, None]
        r0, r1 = y0[ys] * w, y1[ys] * w
        c0, c1 = x0[xs], x1[xs]
        # pixel rows (h * w, C): a free view of channels-last logits
        rows = logits.permute(1, 2, 0).reshape(h * w, -1)

        def tap(r, c):
            return rows.index_select(0, r + c)

        value = ((tap(r0, c0) * (1 - b) + tap(r0, c1) * b) * (1 - a) +
                 (tap(r1, c0) * (1 - b) + tap(r1, c1) * b) * a)
        labels[ys, xs] = value.max(dim=1).indices
    return labels


@MODELS.register_module()
class LayerCascadeSegmentor(BaseVideoModel):
    """`Not All Pixels are Equal: Difficulty-aware Semantic Segmentation via
    Deep Layer Cascade <https://arxiv.org/abs/1704.01344>`_.

    One ResNet is split into stages, each ending in a classifier
    (:class:`CascadeStageHead`). After a stage, the pixels whose top class
    probability exceeds ``rho`` are decided: their label is final and the
    later stages skip them. The later stages run only on the remaining
    (hard) region with region convolution
    (:mod:`mmvidseg.ops.region_conv`); outside it, each residual block
    passes its identity through, so the hard pixels still see their
    neighbours' features. The output keeps, at each pixel, the logits of the
    stage that decided it.

    Training is end-to-end with one loss per stage, each over the pixels
    that stage processes: stage 1 sees every pixel, stage k the pixels the
    stages before it left undecided (selected on the fly with ``train_rho``,
    without gradient through the selection). ``rho=1`` decides nothing
    early: every stage sees every pixel, and inference runs the plain
    network (backbone + last classifier, the intermediate classifiers are
    skipped).

    It runs frame by frame on videos: clips (N, T, C, H, W) with
    ``TrackDataSample`` s are flattened to frames, and each frame's sample
    gets ``pred_sem_seg`` (``PixelData(data=(1, H, W) long)``). Image
    batches (N, C, H, W) with ``SegDataSample`` s (mmseg datasets) work the
    same way. Each frame's metainfo also gets ``cascade_pixels``: how many
    feature pixels each stage computed.

    Args:
        backbone (dict): An mmseg ResNet-family backbone, e.g.
            ``dict(type='mmseg.ResNetV1c', depth=50, strides=(1, 2, 1, 1),
            dilations=(1, 1, 2, 4))``. Stages after the first must keep the
            resolution (a dilated ResNet).
        stage_heads (list[dict]): One classifier config per stage, e.g.
            ``dict(type='CascadeStageHead', in_channels=512, channels=256,
            num_classes=19)``.
        split_after (Sequence[str]): Where each stage but the last ends:
            ``'layer2'`` (after a whole layer) or ``'layer3.1'`` (after a
            block). Defaults to ``('layer2', 'layer3')``: stem to layer2,
            layer3, layer4.
        rho (float): Confidence above which a pixel is decided at test time.
            Defaults to 0.95.
        train_rho (float, optional): The same during training; defaults to
            ``rho``.
        loss_decode (dict): Loss of every stage, called on upsampled logits
            with the labels of the unprocessed pixels set to
            ``ignore_index`` (use ``avg_non_ignore=True`` so that each stage's
            loss is a mean over its own pixels).
        stage_loss_weights (Sequence[float], optional): Weight of each
            stage's loss. Defaults to 1 for every stage.
        ignore_index (int): Label of void pixels. Defaults to 255.
        align_corners (bool): Of the bilinear upsampling. Defaults to False.
        channels_last (bool): Run the network on channels-last tensors,
            weights included (faster on CPUs: oneDNN convolutions and
            pooling, and the region convolution copies whole pixel
            vectors). Defaults to False.
        data_preprocessor (dict, optional): ``mmseg.SegDataPreProcessor`` for
            images, ``VideoDataPreprocessor`` for clips.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: ConfigType,
                 stage_heads: Sequence[ConfigType],
                 split_after: Sequence[str] = ('layer2', 'layer3'),
                 rho: float = 0.95,
                 train_rho: Optional[float] = None,
                 loss_decode: ConfigType = dict(
                     type='mmseg.CrossEntropyLoss',
                     use_sigmoid=False,
                     loss_weight=1.0,
                     avg_non_ignore=True),
                 stage_loss_weights: Optional[Sequence[float]] = None,
                 ignore_index: int = 255,
                 align_corners: bool = False,
                 channels_last: bool = False,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.stages = split_resnet(self.backbone, split_after)
        if len(stage_heads) != len(self.stages):
            raise ValueError(f'split_after={list(split_after)} gives '
                             f'{len(self.stages)} stages but '
                             f'{len(stage_heads)} stage_heads are given')
        self.stage_heads = nn.ModuleList(
            MODELS.build(cfg) for cfg in stage_heads)
        classes = {head.num_classes for head in self.stage_heads}
        if len(classes) != 1:
            raise ValueError('all stage heads must predict the same classes, '
                             f'got num_classes {sorted(classes)}')
        self.num_classes = classes.pop()
        self.rho = self._check_rho(rho, 'rho')
        self.train_rho = self._check_rho(
            rho if train_rho is None else train_rho, 'train_rho')
        self.loss_decode = MODELS.build(loss_decode)
        if stage_loss_weights is None:
            stage_loss_weights = [1.0] * len(self.stages)
        if len(stage_loss_weights) != len(self.stages):
            raise ValueError(f'stage_loss_weights needs {len(self.stages)} '
                             f'values, got {list(stage_loss_weights)}')
        self.stage_loss_weights = list(stage_loss_weights)
        self.ignore_index = ignore_index
        self.align_corners = align_corners
        self.channels_last = channels_last
        if channels_last:
            # weights in channels-last too: with NCHW weights oneDNN returns
            # NCHW outputs (and NCHW max pooling is ~4x slower on the CPU);
            # checkpoints load into these parameters keeping their layout
            self.to(memory_format=torch.channels_last)

    @staticmethod
    def _check_rho(value: float, name: str) -> float:
        if not 0.0 <= value <= 1.0:
            raise ValueError(f'{name} must lie in [0, 1], got {value}')
        return float(value)

    @property
    def num_stages(self) -> int:
        return len(self.stages)

    # ------------------------------------------------------------------
    # The cascade

    def cascade(self, frames: Tensor, rho: float) -> List[StageResult]:
        """Run the stages, each on the pixels the previous ones left.

        Args:
            frames (Tensor): Images (N, C, H, W).
            rho (float): Confidence threshold of the early decisions.

        Returns:
            list[tuple]: Per stage, ``(index, logits)``: the flat pixels
            ``n * h * w + y * w + x`` it processed (None: all of them) and
            the logits (N, num_classes, h, w) after it, each pixel from the
            stage that decided it. In training every stage's map is a new
            tensor (earlier stages' logits detached in it); at inference one
            map is updated in place and only the last entry is final. With
            ``rho == 1`` at inference only the last stage's classifier runs
            and the other entries' logits are None.
        """
        plain = rho >= 1.0 and not self.training
        if self.channels_last:
            frames = frames.contiguous(memory_format=torch.channels_last)
        feats = resnet_stem_forward(self.backbone, frames)
        index = None
        logits = None
        results = []
        for k, (blocks, head) in enumerate(zip(self.stages, self.stage_heads)):
            feats = run_blocks(blocks, feats, index)
            last = k == self.num_stages - 1
            if plain and not last:
                results.append((None, None))
                continue
            if index is None:
                logits = head(feats)
                rows = None
            else:
                rows = head.forward_rows(feats, index)
                base = logits.detach() if self.training else logits
                logits = scatter_pixels(
                    rows, index, base=base, inplace=not self.training)
            results.append((index, logits))
            if last:
                break
            # The pixels this stage leaves undecided go on.
            if rows is None:
                conf = logits.detach().softmax(dim=1).amax(dim=1)
                index = mask_to_index((conf <= rho).unsqueeze(1))
            else:
                conf = rows.detach().softmax(dim=1).amax(dim=1)
                index = index[conf <= rho]
        return results

    @staticmethod
    def _index_to_mask(index: Optional[Tensor], like: Tensor) -> Tensor:
        """Region (N, 1, h, w) bool of ``index`` on the grid of ``like``."""
        n, _, h, w = like.shape
        if index is None:
            return like.new_ones((n, 1, h, w), dtype=torch.bool)
        mask = torch.zeros(n * h * w, dtype=torch.bool, device=like.device)
        mask[index] = True
        return mask.view(n, 1, h, w)

    # ------------------------------------------------------------------
    # BaseVideoModel API

    def loss(self, inputs: Tensor, data_samples: list) -> Dict[str, Tensor]:
        """Per-stage losses over each stage's pixels.

        Returns:
            dict: ``loss_stage{k}`` and, for logging, ``share_stage{k}`` (the
            fraction of feature pixels stage k processed).
        """
        frames, samples = self.to_frames(inputs, data_samples, True)
        gt = torch.stack([s.gt_sem_seg.data for s in samples]).long()
        if gt.shape[-2:] != frames.shape[-2:]:
            raise ValueError(
                f'gt_sem_seg of shape {tuple(gt.shape[-2:])} does not match '
                f'the batch input {tuple(frames.shape[-2:])}: pad the '
                'labels in the data preprocessor')
        labels = gt[:, 0]
        losses = {}
        for k, (index, logits) in enumerate(
                self.cascade(frames, self.train_rho), start=1):
            up = F.interpolate(
                logits,
                size=labels.shape[-2:],
                mode='bilinear',
                align_corners=self.align_corners)
            stage_labels = labels
            if index is not None:
                region = F.interpolate(
                    self._index_to_mask(index, logits).float(),
                    size=labels.shape[-2:],
                    mode='nearest')[:, 0].bool()
                stage_labels = labels.masked_fill(~region, self.ignore_index)
            losses[f'loss_stage{k}'] = self.stage_loss_weights[
                k - 1] * self.loss_decode(
                    up, stage_labels, ignore_index=self.ignore_index)
            share = 1.0 if index is None else (index.numel() /
                                               logits[:, 0].numel())
            losses[f'share_stage{k}'] = torch.tensor(share)
        return losses

    def predict(self, inputs: Tensor, data_samples: list) -> list:
        """Segment every frame; returns ``data_samples`` with predictions.

        Each frame's sample gets ``pred_sem_seg`` (1, H, W) at its
        ``ori_shape`` (padding cropped by ``padding_size`` when present): the
        argmax of the bilinearly upsampled logits (see
        :func:`upsample_labels`), and ``cascade_pixels`` metainfo (feature
        pixels computed by each stage). Full-resolution logits are not kept;
        :meth:`_forward` returns the low-resolution ones.
        """
        frames, samples = self.to_frames(inputs, data_samples, True)
        results = self.cascade(frames, self.rho)
        logits = results[-1][1]
        n, _, h, w = logits.shape
        counts = []
        for index, _ in results:
            if index is None:
                counts.append([h * w] * n)
            else:
                counts.append(
                    torch.bincount(
                        torch.div(index, h * w, rounding_mode='floor'),
                        minlength=n).tolist())
        pad_h, pad_w = frames.shape[-2:]
        for i, sample in enumerate(samples):
            meta = sample.metainfo
            left, right, top, bottom = meta.get('padding_size', [0, 0, 0, 0])
            crop = (top, left, pad_h - bottom - top, pad_w - right - left)
            ori_shape = tuple(meta.get('ori_shape', crop[2:]))[:2]
            if ori_shape == crop[2:]:
                # One bilinear upsampling: label it sparsely.
                labels = upsample_labels(logits[i], (pad_h, pad_w), crop,
                                         self.align_corners)
            else:
                frame_logits = F.interpolate(
                    logits[i:i + 1],
                    size=(pad_h, pad_w),
                    mode='bilinear',
                    align_corners=self.align_corners)[:, :, top:top + crop[2],
                                                      left:left + crop[3]]
                frame_logits = F.interpolate(
                    frame_logits,
                    size=ori_shape,
                    mode='bilinear',
                    align_corners=self.align_corners)[0]
                # max(dim) rather than argmax(dim): the same first-maximum
                # indices, but argmax over the leading dim of a (C, H, W) CPU
                # tensor is about 20x slower.
                labels = frame_logits.max(dim=0).indices
            sample.set_data(dict(pred_sem_seg=PixelData(data=labels[None])))
            sample.set_metainfo(
                dict(cascade_pixels=tuple(c[i] for c in counts)))
        return data_samples

    def _forward(self,
                 inputs: Tensor,
                 data_samples: Optional[list] = None) -> Tensor:
        """Logits after the last stage (N * T, num_classes, h, w)."""
        frames, _ = self.to_frames(inputs, data_samples)
        return self.cascade(frames, self.rho)[-1][1]
