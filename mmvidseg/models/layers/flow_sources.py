# Copyright (c) OpenMMLab. All rights reserved.
"""Where a video model gets its optical flow: one interface, two sources.

A flow source is called as ``source(frames, frame_samples)`` with the
frames of one video, (T, 3, H, W) RGB in 0-255, and their T data samples,
and returns the T - 1 forward flows ``F_t`` (frame t -> t + 1), shape
(T - 1, 2, H, W), (dx, dy) in pixels. Configs choose the source:

* :class:`PrecomputedFlow` reads the ``gt_flow`` the dataset loaded
  (``LoadOpticalFlow``: DAVIS ``Flow/480p/<seq>/<t>.flo`` files);
* :class:`RAFTFlowEstimator` computes it with torchvision's RAFT, weights
  from a local checkpoint.
"""
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.utils import OptConfigType
from torch import Tensor

from mmvidseg.registry import MODELS


def _where(sample, t: int) -> str:
    """'frame t (path) of video name' for error messages."""
    meta = sample.metainfo
    video = meta.get('video_name', meta.get('video_id', '?'))
    return (f"frame {meta.get('frame_id', t)} ({meta.get('img_path', '?')}) "
            f'of sequence {video}')


@MODELS.register_module()
class PrecomputedFlow(nn.Module):
    """Forward flows read from disk by the data pipeline.

    Every frame but the last must carry ``gt_flow`` (``PixelData`` (2, H,
    W)) with ``flow_valid`` True in its metainfo, of the frame's size.
    """

    def forward(self, frames: Tensor, frame_samples: Sequence) -> Tensor:
        """Stack the loaded flows.

        Args:
            frames (Tensor): (T, 3, H, W) frames (only their size is used).
            frame_samples (Sequence): The T per-frame data samples.

        Returns:
            Tensor: (T - 1, 2, H, W) forward flows.

        Raises:
            ValueError: A frame has no flow, or a flow of another size.
        """
        h, w = frames.shape[-2:]
        flows = []
        for t, sample in enumerate(frame_samples[:-1]):
            if 'gt_flow' not in sample or not sample.metainfo.get(
                    'flow_valid', True):
                raise ValueError(
                    f'{_where(sample, t)} has no forward flow: add '
                    "flow_path to the dataset's data_prefix and "
                    'LoadOpticalFlow to the pipeline, or use a flow '
                    'estimator')
            flow = sample.gt_flow.data.to(frames)
            if flow.shape[0] != 2 or flow.shape[-2:] != (h, w):
                flow = flow[:, :h, :w] if flow.shape[-2] >= h and \
                    flow.shape[-1] >= w else flow
            if flow.shape != (2, h, w):
                raise ValueError(
                    f'the forward flow of {_where(sample, t)} has shape '
                    f'{tuple(sample.gt_flow.data.shape)}, expected '
                    f'(2, {h}, {w})')
            flows.append(flow)
        if not flows:
            return frames.new_zeros(0, 2, h, w)
        return torch.stack(flows)


@MODELS.register_module()
class RAFTFlowEstimator(nn.Module):
    """Forward flow from torchvision's RAFT (frozen, in eval mode).

    Frames are scaled to [-1, 1] as torchvision's RAFT transforms do and
    replicate-padded to a multiple of 8; the flow of the last refinement
    is returned. Nothing is downloaded: the weights come from
    ``checkpoint``, a local file (torchvision's released state dicts).

    Args:
        arch (str): ``'raft_large'`` or ``'raft_small'``.
        checkpoint (str, optional): Local path of the weights. None keeps
            random weights (only for tests).
        num_flow_updates (int): RAFT refinement iterations. Defaults to 12.
        network (dict, optional): Config of a module that replaces the
            torchvision network (same call: ``net(img1, img2,
            num_flow_updates=...)`` returning a list of flows), e.g. a
            stub in tests. Defaults to None.
    """

    ARCHS = ('raft_large', 'raft_small')

    def __init__(self,
                 arch: str = 'raft_large',
                 checkpoint: Optional[str] = None,
                 num_flow_updates: int = 12,
                 network: OptConfigType = None) -> None:
        super().__init__()
        if network is not None:
            self.net = MODELS.build(network)
        else:
            self.net = self._torchvision_raft(arch, checkpoint)
        self.num_flow_updates = num_flow_updates
        self.net.eval()
        for p in self.net.parameters():
            p.requires_grad_(False)

    def _torchvision_raft(self, arch: str, checkpoint: Optional[str]):
        if arch not in self.ARCHS:
            raise ValueError(f'arch must be one of {self.ARCHS}, got {arch!r}')
        try:
            from torchvision.models import optical_flow
        except ImportError as e:
            raise ImportError(
                'RAFTFlowEstimator needs torchvision (pip install '
                'torchvision matching your torch), or precomputed flow '
                "(type='PrecomputedFlow')") from e
        net = getattr(optical_flow, arch)(weights=None)
        if checkpoint is not None:
            from mmengine.runner.checkpoint import _load_checkpoint
            state = _load_checkpoint(checkpoint, map_location='cpu')
            net.load_state_dict(state.get('state_dict', state))
        return net

    def train(self, mode: bool = True):
        """Keep the estimator in eval mode."""
        super().train(mode)
        self.net.eval()
        return self

    @torch.no_grad()
    def forward(self, frames: Tensor, frame_samples: Sequence = ()) -> Tensor:
        """Flows between consecutive frames.

        Args:
            frames (Tensor): (T, 3, H, W) RGB frames, 0-255.
            frame_samples (Sequence): Unused (same call as
                :class:`PrecomputedFlow`).

        Returns:
            Tensor: (T - 1, 2, H, W) forward flows in pixels.
        """
        h, w = frames.shape[-2:]
        if frames.size(0) < 2:
            return frames.new_zeros(0, 2, h, w)
        x = frames / 127.5 - 1
        ph, pw = (-h) % 8, (-w) % 8
        if ph or pw:
            x = F.pad(x, (0, pw, 0, ph), mode='replicate')
        flows = self.net(
            x[:-1].contiguous(),
            x[1:].contiguous(),
            num_flow_updates=self.num_flow_updates)
        return flows[-1][..., :h, :w]
