# Copyright (c) OpenMMLab. All rights reserved.
"""Convert a lxx1991/pytorch-voxel-flow checkpoint (``VoxelFlow``, the
single-scale Deep Voxel Flow) into this package's ``VoxelFlowNet`` layout.

Example::

    python tools/model_converters/pytorch_voxel_flow2mmvidseg.py \\
        voxel_flow_model_best.pth.tar dvf_unet-ms1_official.pth
    # a one-scale model with the official flow range at 256x256 frames
    python tools/test.py \\
        configs/deep_voxel_flow/dvf_unet-ms3_1xb32-400e_ucf101-triplets.py \\
        dvf_unet-ms1_official.pth --cfg-options \\
        model.backbone.num_scales=1 model.max_flow=63.75

Layout (``core/models/voxel_flow.py``): ``conv1``-``conv3`` (+ ``_bn``) ->
``backbone.scales.0.encoder.{0,1,2}.{conv,bn}``, ``bottleneck`` (+ ``_bn``)
-> ``backbone.scales.0.bottleneck.{conv,bn}``, ``deconv1``-``deconv3``
(+ ``_bn``) -> ``backbone.scales.0.decoder.{0,1,2}.{conv,bn}``, ``conv4``
-> ``backbone.heads.0``. The release is single-scale: build the model with
``model.backbone.num_scales=1`` (the paper's multi-scale network has no
official PyTorch weights). Checkpoints of PyTorch < 0.4.1 have no
``num_batches_tracked``; it is set to 0 (unused in eval mode).

What else a converted model needs (not in the weights):

* **Input colour order**: the release reads frames with ``cv2`` (BGR); our
  configs convert to RGB (``bgr_to_rgb=True``), so ``conv1``'s input
  channels are reversed per frame (``--keep-input-channels`` leaves them,
  for ``bgr_to_rgb=False``).
* **Flow units**: the release's flow is ``0.5 tanh(.)`` in
  ``linspace(-1, 1)`` grid units, i.e. ``u (W - 1) / 4`` pixels; ours is
  ``max_flow * tanh(.)`` pixels, so the two agree at one frame size:
  ``max_flow = (W - 1) / 4`` (63.75 at the 256x256 training size) for
  square frames (for W != H the release's x and y ranges differ).
* **Mode**: the release's config trains ``syn_type='extra'``
  (extrapolation, ``-2F, -F``), ``configs/deep_voxel_flow/dvf-extra_*``'s
  ``mode='extra'``; ``'inter'`` for interpolation weights.
"""
import argparse
import os.path as osp
import sys
from collections import OrderedDict
from typing import Dict, List, Tuple

import torch

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from converter_utils import (converter_parser, load_state_dict,  # noqa: E402
                             save_converted)

#: official module -> ours (each with its ``_bn`` BatchNorm)
MODULES = OrderedDict([
    ('conv1', 'backbone.scales.0.encoder.0'),
    ('conv2', 'backbone.scales.0.encoder.1'),
    ('conv3', 'backbone.scales.0.encoder.2'),
    ('bottleneck', 'backbone.scales.0.bottleneck'),
    ('deconv1', 'backbone.scales.0.decoder.0'),
    ('deconv2', 'backbone.scales.0.decoder.1'),
    ('deconv3', 'backbone.scales.0.decoder.2'),
])
BN_KEYS = ('weight', 'bias', 'running_mean', 'running_var',
           'num_batches_tracked')


def convert_voxel_flow(official: Dict[str, torch.Tensor],
                       reverse_input_channels: bool = True
                       ) -> Tuple[OrderedDict, List[str]]:
    """Rename an official state dict.

    Returns:
        tuple: the converted state dict and the notes of what was filled
        in (missing ``num_batches_tracked``).

    Raises:
        ValueError: An official key is missing, or one is left over
            (listed): not a single-scale ``VoxelFlow`` checkpoint.
    """
    official = OrderedDict(
        (k[len('module.'):] if k.startswith('module.') else k, v)
        for k, v in official.items())
    pairs = []
    for name, ours in MODULES.items():
        pairs.append((f'{name}.weight', f'{ours}.conv.weight'))
        pairs += [(f'{name}_bn.{k}', f'{ours}.bn.{k}') for k in BN_KEYS]
    pairs += [('conv4.weight', 'backbone.heads.0.weight'),
              ('conv4.bias', 'backbone.heads.0.bias')]
    converted, notes, used = OrderedDict(), [], set()
    for src, dst in pairs:
        if src not in official:
            if src.endswith('num_batches_tracked'):
                converted[dst] = torch.tensor(0)
                notes.append(f'{src} missing (PyTorch < 0.4.1): set to 0')
                continue
            raise ValueError(f'official key {src} is missing: not a '
                             f'pytorch-voxel-flow VoxelFlow checkpoint')
        value = official[src]
        if src == 'conv1.weight' and reverse_input_channels:
            # (64, 6, 5, 5): frame 1 BGR, frame 2 BGR -> RGB, RGB
            value = value[:, [2, 1, 0, 5, 4, 3]]
        converted[dst] = value
        used.add(src)
    left = [k for k in official if k not in used]
    if left:
        raise ValueError(f'{len(left)} official keys have no place in '
                         f'this model: {", ".join(left[:20])}')
    return converted, notes


def parse_args(argv=None) -> argparse.Namespace:
    return converter_parser(
        'Convert a pytorch-voxel-flow checkpoint',
        src_help='official checkpoint (.pth.tar)',
        pickle_note="the release stores its config under 'arch'",
        input_channels_layer='conv1').parse_args(argv)


def main(argv=None) -> List[str]:
    args = parse_args(argv)
    state = load_state_dict(args.src, args.trust_pickle)
    converted, notes = convert_voxel_flow(state,
                                          not args.keep_input_channels)
    save_converted(converted, args.src, args.dst, notes=notes)
    print(f'{len(converted)} tensors written to {args.dst}; build the model '
          f'with model.backbone.num_scales=1')
    for note in notes:
        print(f'  {note}')
    return notes


if __name__ == '__main__':
    main()
