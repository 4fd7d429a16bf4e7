# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.structures import PixelData
from torch import Tensor

from mmvidseg.ops.voxel_flow import voxel_flow
from mmvidseg.registry import MODELS
from .base import BaseVideoModel


@MODELS.register_module()
class DeepVoxelFlow(BaseVideoModel):
    """`Video Frame Synthesis using Deep Voxel Flow
    <https://arxiv.org/abs/1702.02463>`_ (ICCV 2017).

    A convolutional network (``backbone``, :class:`VoxelFlowNet`) predicts
    from two frames a voxel flow ``u = (ux, uy, m)`` in [-1, 1]; the
    voxel-flow layer (:func:`mmvidseg.ops.voxel_flow`) samples both frames
    at ``p -/+ F`` with ``F = max_flow * (ux, uy)`` pixels and blends them
    with ``w = (1 + m) / 2``. Trained self-supervised on frame triplets with
    the paper's loss: L1 reconstruction plus total variation of the flow and
    of the mask (and, optionally, the same reconstruction at each coarser
    scale of the pyramid).

    Inputs are (N, T, C, H, W) clips from :class:`FrameTripletDataset`
    (T = 3, frames in temporal order, the target being the sample's key
    frame): ``'inter'`` synthesises frame 1 from frames 0 and 2,
    ``'extra'`` frame 2 from frames 0 and 1. ``tensor`` mode also accepts
    T = 2 (just the two input frames).

    Flow units: the official code scales its tanh output by 0.5 in
    ``linspace(-1, 1)`` grid units, i.e. ``(W - 1) / 4`` pixels; here
    ``max_flow`` is in pixels and the same for every input size (the
    official PyTorch code rescales at test time for the same effect). 64
    matches the official range at 256 x 256.

    Args:
        backbone (dict): Config of the voxel-flow network.
        synthesis (str): ``'inter'`` or ``'extra'``. Defaults to ``'inter'``.
        t (float, optional): Target time (see
            :func:`mmvidseg.ops.voxel_flow.sampling_coefficients`).
        max_flow (float): Pixels of flow at ``|u| = 1``. Defaults to 64.
        padding_mode (str): Border handling of the voxel-flow layer.
            Defaults to ``'border'`` (official).
        loss_rec (dict): Reconstruction loss. Defaults to
            ``mmdet.L1Loss``.
        loss_tv_flow (dict): Smoothness of the flow. Defaults to TV, 0.01.
        loss_tv_mask (dict): Smoothness of the mask. Defaults to TV, 0.005.
        pyramid_loss_weight (float): Weight of the reconstruction loss of
            each coarser scale's own voxel flow (frames and target
            average-pooled to that scale). Defaults to 0.
        impl (str): Voxel-flow implementation (``'auto'`` dispatches).
        data_preprocessor (dict, optional): Normalises and stacks the
            clips; its ``mean`` / ``std`` also map predictions back to 0-255.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: ConfigType,
                 synthesis: str = 'inter',
                 t: Optional[float] = None,
                 max_flow: float = 64.0,
                 padding_mode: str = 'border',
                 loss_rec: ConfigType = dict(
                     type='mmdet.L1Loss', loss_weight=1.0),
                 loss_tv_flow: OptConfigType = dict(
                     type='TotalVariationLoss', loss_weight=0.01),
                 loss_tv_mask: OptConfigType = dict(
                     type='TotalVariationLoss', loss_weight=0.005),
                 pyramid_loss_weight: float = 0.0,
                 impl: str = 'auto',
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        if synthesis not in ('inter', 'extra'):
            raise ValueError("synthesis must be 'inter' or 'extra', got "
                             f'{synthesis!r}')
        if max_flow <= 0:
            raise ValueError(f'max_flow must be > 0, got {max_flow}')
        self.backbone = MODELS.build(backbone)
        self.synthesis = synthesis
        self.t = t
        self.max_flow = float(max_flow)
        self.padding_mode = padding_mode
        self.impl = impl
        self.loss_rec = MODELS.build(loss_rec)
        self.loss_tv_flow = MODELS.build(loss_tv_flow) \
            if loss_tv_flow else None
        self.loss_tv_mask = MODELS.build(loss_tv_mask) \
            if loss_tv_mask else None
        self.pyramid_loss_weight = pyramid_loss_weight

    # ---------------------------------------------------------------- core
    def to_pixel_flow(self, u: Tensor, scale: int = 0) -> Tensor:
        """Normalised (N, 3, h, w) voxel flow -> flow in pixels of that
        resolution (scale ``s`` = 1 / 2**s) and the mask m."""
        return torch.cat([u[:, :2] * (self.max_flow / 2**scale), u[:, 2:]],
                         dim=1)

    def synthesize(self, img0: Tensor, img1: Tensor,
                   t: Optional[float] = None) -> Dict[str, object]:
        """Synthesise the target frame from two normalised frames.

        Args:
            img0 (Tensor): First input frame, (N, C, H, W), any H, W (the
                network input is replicate-padded to its size divisor).
            img1 (Tensor): Second input frame, (N, C, H, W).
            t (float, optional): Target time; default: the model's.

        Returns:
            dict: ``frame`` (N, C, H, W) in the normalised space,
            ``voxel_flow`` (N, 3, H, W) (flow in pixels, and m),
            ``u`` (N, 3, H, W) the network output in [-1, 1], and
            ``pyramid``: the coarser scales' outputs (N, 3, h, w).
        """
        if img0.shape != img1.shape or img0.dim() != 4:
            raise ValueError('img0 and img1 must be (N, C, H, W) of one '
                             f'shape, got {tuple(img0.shape)} and '
                             f'{tuple(img1.shape)}')
        h, w = img0.shape[-2:]
        d = self.backbone.size_divisor
        ph, pw = (-h) % d, (-w) % d
        x = torch.cat([img0, img1], dim=1)
        if ph or pw:
            x = F.pad(x, (0, pw, 0, ph), mode='replicate')
        out = self.backbone(x)
        u = out['voxel_flow'][..., :h, :w]
        vflow = self.to_pixel_flow(u)
        frame = voxel_flow(img0, img1, vflow, mode=self.synthesis,
                           t=self.t if t is None else t,
                           padding_mode=self.padding_mode, impl=self.impl)
        return dict(frame=frame, voxel_flow=vflow, u=u,
                    pyramid=out['pyramid'][1:],
                    padded_size=(h + ph, w + pw))

    def split_clip(self, inputs: Tensor,
                   data_samples: Optional[Sequence] = None
                   ) -> Tuple[Tensor, Tensor, Optional[Tensor], int]:
        """Inputs, target and target index of (N, T, C, H, W) clips.

        T = 3: frames in temporal order, target chosen by ``synthesis``
        (checked against the samples' ``key_frames_inds``); T = 2: the two
        inputs, no target.
        """
        if inputs.dim() != 5 or inputs.shape[1] not in (2, 3):
            raise ValueError('DeepVoxelFlow takes (N, T, C, H, W) clips with '
                             f'T = 3 (or 2 inputs), got {tuple(inputs.shape)}')
        if inputs.shape[1] == 2:
            return inputs[:, 0], inputs[:, 1], None, -1
        src = (0, 2) if self.synthesis == 'inter' else (0, 1)
        key = 1 if self.synthesis == 'inter' else 2
        for sample in data_samples or []:
            inds = sample.metainfo.get('key_frames_inds')
            if inds is not None and list(inds) != [key]:
                raise ValueError(
                    f'the model synthesises frame {key} of each triplet '
                    f'({self.synthesis}), but a sample marks {list(inds)} as '
                    'its key frame: set the same synthesis in the dataset '
                    'and the model')
        return inputs[:, src[0]], inputs[:, src[1]], inputs[:, key], key

    # --------------------------------------------------------------- modes
    def loss(self, inputs: Tensor,
             data_samples: Optional[List] = None) -> Dict[str, Tensor]:
        """Losses of a batch of (N, 3, C, H, W) triplets."""
        img0, img1, target, _ = self.split_clip(inputs, data_samples)
        if target is None:
            raise ValueError('training needs triplets (T = 3): the target '
                             'frame is part of the clip')
        out = self.synthesize(img0, img1)
        losses = dict(loss_rec=self.loss_rec(out['frame'], target))
        if self.loss_tv_flow is not None:
            losses['loss_tv_flow'] = self.loss_tv_flow(out['u'][:, :2])
        if self.loss_tv_mask is not None:
            losses['loss_tv_mask'] = self.loss_tv_mask(out['u'][:, 2:])
        if self.pyramid_loss_weight > 0:
            losses.update(self._pyramid_losses(img0, img1, target, out))
        return losses

    def _pyramid_losses(self, img0, img1, target, out) -> Dict[str, Tensor]:
        """Reconstruction at each coarser scale with its own voxel flow."""
        ph, pw = out['padded_size']
        h, w = img0.shape[-2:]
        pad = (0, pw - w, 0, ph - h)
        frames = [
            F.pad(x, pad, mode='replicate') if any(pad) else x
            for x in (img0, img1, target)
        ]
        losses = {}
        for s, u in enumerate(out['pyramid'], 1):
            f0, f1, tgt = [F.avg_pool2d(x, 2**s) for x in frames]
            pred = voxel_flow(f0, f1, self.to_pixel_flow(u, s),
                              mode=self.synthesis, t=self.t,
                              padding_mode=self.padding_mode, impl=self.impl)
            losses[f'loss_rec_s{s}'] = self.pyramid_loss_weight * \
                self.loss_rec(pred, tgt)
        return losses

    def predict(self, inputs: Tensor, data_samples: List) -> List:
        """Synthesise the key frame of each triplet.

        Returns:
            list[TrackDataSample]: The samples; each key frame gets
            ``pred_frame`` (PixelData (3, H, W) float, 0-255, clamped) and
            ``pred_voxel_flow`` (PixelData (3, H, W): flow in pixels, m),
            cropped to the frame's ``img_shape``.
        """
        img0, img1, _, key = self.split_clip(inputs, data_samples)
        if key < 0:
            raise ValueError('predict needs triplets (T = 3); call '
                             "synthesize() or mode='tensor' for two frames")
        out = self.synthesize(img0, img1)
        frames = self.denormalize(out['frame']).clamp(0, 255)
        for i, sample in enumerate(data_samples):
            target = sample.video_data_samples[key]
            h, w = target.metainfo.get('img_shape', frames.shape[-2:])[:2]
            target.set_field(PixelData(data=frames[i, :, :h, :w].detach()),
                             'pred_frame')
            target.set_field(
                PixelData(data=out['voxel_flow'][i, :, :h, :w].detach()),
                'pred_voxel_flow')
        return data_samples

    def _forward(self, inputs: Tensor,
                 data_samples: Optional[List] = None
                 ) -> Tuple[Tensor, Tensor]:
        """(frame (N, C, H, W) normalised, voxel_flow (N, 3, H, W))."""
        img0, img1, _, _ = self.split_clip(inputs, data_samples)
        out = self.synthesize(img0, img1)
        return out['frame'], out['voxel_flow']
