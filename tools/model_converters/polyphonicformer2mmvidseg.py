# Copyright (c) OpenMMLab. All rights reserved.
"""Convert an official PolyphonicFormer checkpoint (HarborYuan/
PolyphonicFormer, its vendored mmdet 2.x key names) into this package's
``PolyphonicFormer`` layout.

Example::

    python tools/model_converters/polyphonicformer2mmvidseg.py \\
        polyphonic_r50_image.pth polyphonicformer_r50_official.pth

Layout: the release's ``Polyphonic`` (image stage, ``configs/_base_/
models/polyphonic_former.py``: K-Net with depth queries) and
``PolyphonicVideo`` (``poly_r50_cityscapes_1x``: the same plus a RoI track
head):

==================================================  =======================
official                                            here
==================================================  =======================
``backbone.*``, ``neck.*`` (mmdet ResNet / FPN)     the same names
``rpn_head.localization_fpn.convs_all_levels.*``    ``semantic_fpn.convs_
                                                    all_levels.*``
``rpn_head.localization_fpn.conv_pred.*``           ``semantic_fpn.loc_
                                                    conv.*``
``rpn_head.localization_fpn.aux_convs.0.*`` / ``.1``  ``semantic_fpn.sem_
                                                    conv.*`` / ``depth_
                                                    conv.*``
``rpn_head.{init_kernels,conv_seg,loc_convs,        ``proposal_head.*``
seg_convs,depth_convs,conv_direct_depth}.*``
``roi_head.mask_head.<s>.feat_transform.conv.*``,   ``iter_head.stages.<s>.
``feat_depth_transform.conv.*``                     feat_transform.*``,
                                                    ``feat_depth_
                                                    transform.*``
``roi_head.mask_head.<s>.attention_depth.*``,       ``...depth_attention.*``,
``attention_norm_depth``, ``ffn_depth``,            ``depth_attention_norm``,
``ffn_norm_depth``, ``depth_regs``                  ``depth_ffn``, ``depth_
                                                    ffn_norm``,
                                                    ``depth_fcs``
``roi_head.mask_head.<s>.*`` (the rest)             ``iter_head.stages.<s>.
                                                    *``
==================================================  =======================

**Dropped** (reported): ``track_head.*`` of ``PolyphonicVideo``, a
quasi-dense head on 7x7 RoIAlign features of the thing masks (4 convs, one
1024-d fc); our video model associates the kernels themselves (Video
K-Net's embedding head on the queries, its kernel link and fusion), whose
weights the release does not have: they stay as the video config builds
them and must be trained (the converted checkpoint loads with
``strict=True`` into the image-stage config, and into the video config with
exactly those layers missing). Any other key with no place here is an
error, listing the keys.

**Classes**: the release orders Cityscapes-DVPS things first (its
``THING_CLASSES``, trainIds 11..18), then stuff, which is this model's
internal order for ``thing_classes=[11, ..., 18]``: class rows are kept.

**Input**: the release feeds BGR images (``to_rgb=False``); our configs
convert to RGB, so the backbone's first convolution gets its input channels
reversed (``--keep-input-channels`` leaves them, for a config with
``bgr_to_rgb=False``).
"""
import argparse
import os.path as osp
import re
import sys
from collections import OrderedDict
from typing import Dict, List, Tuple

import torch

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from converter_utils import (converter_parser, load_state_dict,  # noqa: E402
                             save_converted)

FPN = r'^rpn_head\.localization_fpn\.'
STAGE = r'^roi_head\.mask_head\.(\d+)\.'
#: (official pattern, replacement) in order; the first match wins.
RENAMES = (
    (FPN + r'convs_all_levels\.', 'semantic_fpn.convs_all_levels.'),
    (FPN + r'conv_pred\.', 'semantic_fpn.loc_conv.'),
    (FPN + r'aux_convs\.0\.', 'semantic_fpn.sem_conv.'),
    (FPN + r'aux_convs\.1\.', 'semantic_fpn.depth_conv.'),
    (r'^rpn_head\.(init_kernels|conv_seg|loc_convs|seg_convs|depth_convs|'
     r'conv_direct_depth)\.', r'proposal_head.\1.'),
    (STAGE + r'(feat_transform|feat_depth_transform)\.conv\.',
     r'iter_head.stages.\1.\2.'),
    (STAGE + r'attention_norm_depth\.',
     r'iter_head.stages.\1.depth_attention_norm.'),
    (STAGE + r'attention_depth\.', r'iter_head.stages.\1.depth_attention.'),
    (STAGE + r'ffn_norm_depth\.', r'iter_head.stages.\1.depth_ffn_norm.'),
    (STAGE + r'ffn_depth\.', r'iter_head.stages.\1.depth_ffn.'),
    (STAGE + r'depth_regs\.', r'iter_head.stages.\1.depth_fcs.'),
    (STAGE + r'(attention|attention_norm|kernel_update_conv|'
     r'kernel_update_conv_depth|ffn|ffn_norm|cls_fcs|fc_cls|mask_fcs|'
     r'fc_mask|fc_depth)\.', r'iter_head.stages.\1.\2.'),
    (r'^(backbone|neck)\.', r'\1.'),
)
DROPPED = re.compile(r'^track_head\.')
FIRST_CONV = 'backbone.conv1.weight'


def _rename(key: str) -> str:
    for pattern, repl in RENAMES:
        if re.match(pattern, key):
            return re.sub(pattern, repl, key, count=1)
    return ''


def convert_polyphonicformer(official: Dict[str, torch.Tensor],
                             reverse_input_channels: bool = True
                             ) -> Tuple[OrderedDict, List[str]]:
    """Rename an official state dict.

    Args:
        official (dict): The official ``state_dict`` (``module.`` prefixes
            of a DataParallel checkpoint are removed).
        reverse_input_channels (bool): Reverse the input channels of the
            backbone's first convolution (BGR -> RGB input). Defaults to
            True.

    Returns:
        tuple: The converted state dict and the dropped official keys (the
        RoI track head).

    Raises:
        ValueError: The checkpoint has no depth branch
            (``rpn_head.conv_direct_depth``: not a PolyphonicFormer
            checkpoint), or some keys have no place in this layout
            (listed).
    """
    official = OrderedDict(
        (k[len('module.'):] if k.startswith('module.') else k, v)
        for k, v in official.items())
    if 'rpn_head.conv_direct_depth.weight' not in official:
        raise ValueError('no rpn_head.conv_direct_depth.weight: not an '
                         'official PolyphonicFormer checkpoint')
    converted, dropped, unknown = OrderedDict(), [], []
    for key, value in official.items():
        if DROPPED.match(key):
            dropped.append(key)
            continue
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
    return converted, dropped


def parse_args(argv=None) -> argparse.Namespace:
    return converter_parser(
        'Convert an official PolyphonicFormer checkpoint',
        input_channels_layer='the first convolution').parse_args(argv)


def main(argv=None) -> List[str]:
    args = parse_args(argv)
    state = OrderedDict(
        (k[len('module.'):] if k.startswith('module.') else k, v)
        for k, v in load_state_dict(args.src, args.trust_pickle).items())
    converted, dropped = convert_polyphonicformer(
        state, not args.keep_input_channels)
    save_converted(converted, args.src, args.dst, dropped=dropped)
    params = sum(state[k].numel() for k in dropped)
    print(f'{len(converted)} tensors written to {args.dst}; dropped '
          f'{len(dropped)} tensors ({params} parameters)'
          + (', the RoI track head (our video model associates kernel '
             'embeddings: its embedding head, kernel link and fusion '
             'layers must be trained):' if dropped else ''))
    for key in dropped:
        print(f'  {key}')
    return dropped


if __name__ == '__main__':
    main()
