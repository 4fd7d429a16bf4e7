# Copyright (c) OpenMMLab. All rights reserved.
"""Convert an official Tube-Link checkpoint (lxtGH/Tube-Link, its vendored
mmdet 2.x / mmcv 1.x key names) into this package's ``TubeLink`` layout.

Example::

    # VPS / VSS checkpoints (VIPSeg, KITTI-STEP, VSPW: the official
    # pipelines feed BGR frames)
    python tools/model_converters/tube_link2mmvidseg.py \\
        tube_link_vipseg_r50.pth tube-link_r50_vipseg_official.pth \\
        --official-input bgr
    python tools/test.py configs/tube_link/tube-link_r50_16xb1-8e_vipseg.py \\
        tube-link_r50_vipseg_official.pth
    # VIS checkpoints (YouTube-VIS, OVIS: RGB frames)
    python tools/model_converters/tube_link2mmvidseg.py \\
        tube_link_ytvis19_r50.pth ours.pth --official-input rgb

Layout: the official ``TubeLinkVPS`` (``vipseg_tb_r50_8e``, also its
KITTI-STEP variant), ``Mask2FormerVideoCustomMatching`` (VSPW) and
``TubeLinkVIS`` (``ytvis19_r50_tb_link_5k_10k_15k``, OVIS); an mmdet 2.x
Mask2Former checkpoint (the official initialisation) has the same names for
its backbone and head. mmcv 1.x transformer layers keep their sub-modules in
``attentions`` / ``ffns`` lists in ``operation_order``; mmdet 3.x names them:

==================================================  =========================
official                                            here
==================================================  =========================
``backbone.*`` (mmdet ResNet)                       the same names
``panoptic_head.pixel_decoder.encoder.layers.<i>.   ``....self_attn.*``,
attentions.0.*``, ``ffns.0.*``                      ``....ffn.*``
``panoptic_head.transformer_decoder.layers.<i>.     ``....cross_attn.*``
attentions.0.*`` (order: cross_attn, norm,
self_attn, norm, ffn, norm)
``...transformer_decoder.layers.<i>.attentions.1.*``  ``....self_attn.*``
``...transformer_decoder.layers.<i>.ffns.0.*``      ``....ffn.*``
``panoptic_head.*`` (the rest: input / lateral /    the same names
output convs, ``level_encoding``, ``mask_feature``,
norms, ``post_norm``, ``query_embed``,
``query_feat``, ``level_embed``, ``cls_embed``,
``mask_embed``)
``attention_previous_track.*``                      ``link.attention.*``
``attention_previous_norm_track.*``                 ``link.attention_norm.*``
``link_ffn_track.*``, ``link_ffn_norm_track.*``     ``link.ffn.*``,
                                                    ``link.ffn_norm.*``
``track_head.{fcs,fc_embed}.*``                     ``embed_head.*``
``embed_fcs.*``, ``fc_embed.*``                     the same names
==================================================  =========================

Nothing is dropped: a key with no place here is an error listing the keys.
``embed_fcs`` / ``fc_embed`` exist in every official ``TubeLinkVPS``, also
without a track head; a config without ``embed_head`` has no place for them
(the error says so).

**Classes**: the official datasets order the classes things first, then
stuff, each in dataset-id order (VIPSeg ``CLASSES_THING`` +
``CLASSES_STUFF``; KITTI-STEP person, car, then the Cityscapes stuff), which
is this model's internal order: ``cls_embed`` rows (classes + "no object")
are kept as they are.

**Input**: the official VPS / VSS pipelines normalise BGR frames
(``to_rgb=False``), the VIS ones RGB frames (``to_rgb=True``); our configs
feed RGB (``bgr_to_rgb=True``). ``--official-input`` (required) says which
the checkpoint was trained on; when it differs from ``--model-input``
(default ``rgb``) the backbone's first convolution gets its input channels
reversed, so that the converted model computes on our input what the
official one computed on its own.
"""
import argparse
import os.path as osp
import re
import sys
from collections import OrderedDict
from typing import Dict

import torch

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from converter_utils import (converter_parser, load_state_dict,  # noqa: E402
                             save_converted)

HEAD = r'^panoptic_head\.'
ENC = r'^panoptic_head\.pixel_decoder\.encoder\.layers\.(\d+)\.'
DEC = r'^panoptic_head\.transformer_decoder\.layers\.(\d+)\.'
#: (official pattern, replacement) in order; the first match wins.
RENAMES = (
    (ENC + r'attentions\.0\.',
     r'panoptic_head.pixel_decoder.encoder.layers.\1.self_attn.'),
    (ENC + r'ffns\.0\.',
     r'panoptic_head.pixel_decoder.encoder.layers.\1.ffn.'),
    (ENC + r'norms\.([01])\.',
     r'panoptic_head.pixel_decoder.encoder.layers.\1.norms.\2.'),
    (DEC + r'attentions\.0\.',
     r'panoptic_head.transformer_decoder.layers.\1.cross_attn.'),
    (DEC + r'attentions\.1\.',
     r'panoptic_head.transformer_decoder.layers.\1.self_attn.'),
    (DEC + r'ffns\.0\.', r'panoptic_head.transformer_decoder.layers.\1.ffn.'),
    (DEC + r'norms\.([012])\.',
     r'panoptic_head.transformer_decoder.layers.\1.norms.\2.'),
    (HEAD + r'(transformer_decoder\.post_norm|query_embed|query_feat|'
     r'level_embed|cls_embed|mask_embed|decoder_input_projs)\.',
     r'panoptic_head.\1.'),
    (HEAD + r'pixel_decoder\.(input_convs|level_encoding|lateral_convs|'
     r'output_convs|mask_feature)\.', r'panoptic_head.pixel_decoder.\1.'),
    (r'^attention_previous_track\.', 'link.attention.'),
    (r'^attention_previous_norm_track\.', 'link.attention_norm.'),
    (r'^link_ffn_track\.', 'link.ffn.'),
    (r'^link_ffn_norm_track\.', 'link.ffn_norm.'),
    (r'^track_head\.(fcs|fc_embed)\.', r'embed_head.\1.'),
    (r'^(backbone|embed_fcs|fc_embed)\.', r'\1.'),
)
FIRST_CONV = 'backbone.conv1.weight'


def _rename(key: str) -> str:
    for pattern, repl in RENAMES:
        if re.match(pattern, key):
            return re.sub(pattern, repl, key, count=1)
    return ''


def convert_tube_link(official: Dict[str, torch.Tensor],
                      reverse_input_channels: bool) -> OrderedDict:
    """Rename an official state dict.

    Args:
        official (dict): The official ``state_dict`` (``module.`` prefixes
            of a DataParallel checkpoint are removed).
        reverse_input_channels (bool): Reverse the input channels of the
            backbone's first convolution (BGR <-> RGB input).

    Returns:
        OrderedDict: The converted state dict.

    Raises:
        ValueError: The checkpoint has no ``panoptic_head.transformer_
            decoder`` (not a Mask2Former-based checkpoint), or some keys
            have no place in this layout (listed).
    """
    official = OrderedDict(
        (k[len('module.'):] if k.startswith('module.') else k, v)
        for k, v in official.items())
    if not any(k.startswith('panoptic_head.transformer_decoder.')
               for k in official):
        raise ValueError('no panoptic_head.transformer_decoder keys: not an '
                         'official Tube-Link (Mask2Former) checkpoint')
    converted, unknown = OrderedDict(), []
    for key, value in official.items():
        new = _rename(key)
        if not new:
            unknown.append(key)
            continue
        if new == FIRST_CONV and reverse_input_channels:
            value = value.flip(1)
        converted[new] = value
    if unknown:
        raise ValueError(f'{len(unknown)} official keys have no place in '
                         f'this model: {", ".join(unknown[:20])}')
    return converted


def parse_args(argv=None) -> argparse.Namespace:
    parser = converter_parser('Convert an official Tube-Link checkpoint')
    parser.add_argument(
        '--official-input', choices=('bgr', 'rgb'), required=True,
        help='channel order the official model was trained on: bgr for '
        'the VPS / VSS checkpoints (VIPSeg, KITTI-STEP, VSPW), rgb for the '
        'VIS ones (YouTube-VIS, OVIS) and mmdet Mask2Former checkpoints')
    parser.add_argument(
        '--model-input', choices=('rgb', 'bgr'), default='rgb',
        help='channel order our config feeds (rgb: bgr_to_rgb=True, all '
        'our configs)')
    return parser.parse_args(argv)


def main(argv=None) -> OrderedDict:
    args = parse_args(argv)
    state = load_state_dict(args.src, args.trust_pickle)
    reverse = args.official_input != args.model_input
    converted = convert_tube_link(state, reverse)
    save_converted(converted, args.src, args.dst,
                   input_channels_reversed=reverse)
    note = ' (first convolution: input channels reversed)' if reverse \
        else ''
    print(f'{len(converted)} tensors written to {args.dst}{note}')
    return converted


if __name__ == '__main__':
    main()
