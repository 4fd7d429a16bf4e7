# Copyright (c) OpenMMLab. All rights reserved.
"""Convert an official Video K-Net checkpoint (lxtGH/Video-K-Net, mmdet 2.x
key names) into this package's ``VideoKNet`` layout.

Example::

    python tools/model_converters/video_knet2mmvidseg.py \\
        video_knet_kitti_step_r50.pth video-knet_r50_kitti-step_official.pth
    python tools/test.py \\
        configs/video_knet/video-knet_r50_8xb1-24e_kitti-step.py \\
        video-knet_r50_kitti-step_official.pth

Layout: the official VPS model ``VideoKNetQuansiEmbedFCJointTrain`` (KITTI-
STEP config ``video_knet_s3_r50_rpn_1x_kitti_step_sigmoid_stride2_mask_
embed_link_ffn_joint_train``, also its VIPSeg / Cityscapes-VPS variants with
other class counts):

================================================  ===========================
official                                          here
================================================  ===========================
``backbone.*``, ``neck.*`` (mmdet ResNet / FPN)   the same names
``rpn_head.localization_fpn.convs_all_levels.*``  ``semantic_fpn.convs_all_
                                                  levels.*``
``rpn_head.localization_fpn.conv_pred.*``         ``semantic_fpn.loc_conv.*``
``rpn_head.localization_fpn.aux_convs.0.*``       ``semantic_fpn.sem_conv.*``
``rpn_head.{init_kernels,conv_seg,loc_convs,      ``proposal_head.*``
seg_convs}.*``
``roi_head.mask_head.<s>.feat_transform.conv.*``  ``iter_head.stages.<s>.
                                                  feat_transform.*``
``roi_head.mask_head.<s>.attention_previous.*``   ``...stages.<s>.link_
(``_norm``), ``link_ffn.*`` (``_norm``)           attention.*`` (``_norm``),
                                                  ``link_ffn.*``, last stage
``roi_head.mask_head.<s>.*`` (the rest)           ``iter_head.stages.<s>.*``
``track_head.{fcs,fc_embed}.*``                   ``embed_head.*``
``embed_fcs.*``, ``fc_embed.*``                   the same names
================================================  ===========================

**Dropped** (reported): the link layers (``attention_previous*``,
``link_ffn*``) of every stage but the last. The official heads build them in
all stages, but only the last stage's are used by its forward pass; this
model builds them in the last stage only (2 x 1,315,072 parameters of the
R50 models; see ``configs/video_knet/README.md``). Any other key that has no
place here is an error, listing the keys, so nothing is dropped silently.

**Classes**: the official KITTI-STEP model orders its classes things first
(``person``, ``car``), then the 17 stuff classes in Cityscapes order
(``external/kitti_step_dvps.py``, ``evaluate``), which is this model's
internal order for ``thing_classes=[11, 13]``: ``conv_seg`` and ``fc_cls``
rows are kept as they are.

**Input**: the official pipeline feeds BGR images (``to_rgb=False``) to the
backbone; our configs convert to RGB (``bgr_to_rgb=True``). The converted
backbone's first convolution gets its input channels reversed so that the
converted model computes on our RGB input what the official one computed on
BGR (``--keep-input-channels`` leaves them, for a config with
``bgr_to_rgb=False``).
"""
import argparse
import os.path as osp
import re
import sys
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple

import torch

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from converter_utils import (converter_parser, load_state_dict,  # noqa: E402
                             save_converted)

#: (official pattern, replacement) in order; the first match wins.
RENAMES = (
    (r'^rpn_head\.localization_fpn\.convs_all_levels\.',
     'semantic_fpn.convs_all_levels.'),
    (r'^rpn_head\.localization_fpn\.conv_pred\.', 'semantic_fpn.loc_conv.'),
    (r'^rpn_head\.localization_fpn\.aux_convs\.0\.',
     'semantic_fpn.sem_conv.'),
    (r'^rpn_head\.(init_kernels|conv_seg|loc_convs|seg_convs)\.',
     r'proposal_head.\1.'),
    (r'^roi_head\.mask_head\.(\d+)\.feat_transform\.conv\.',
     r'iter_head.stages.\1.feat_transform.'),
    (r'^roi_head\.mask_head\.(\d+)\.attention_previous_norm\.',
     r'iter_head.stages.\1.link_attention_norm.'),
    (r'^roi_head\.mask_head\.(\d+)\.attention_previous\.',
     r'iter_head.stages.\1.link_attention.'),
    (r'^roi_head\.mask_head\.(\d+)\.', r'iter_head.stages.\1.'),
    (r'^track_head\.(fcs|fc_embed)\.', r'embed_head.\1.'),
    (r'^(backbone|neck|embed_fcs|fc_embed)\.', r'\1.'),
)
LINK = re.compile(r'^roi_head\.mask_head\.(\d+)\.'
                  r'(attention_previous|attention_previous_norm|link_ffn|'
                  r'link_ffn_norm)\.')
FIRST_CONV = 'backbone.conv1.weight'


def _rename(key: str) -> Optional[str]:
    for pattern, repl in RENAMES:
        if re.match(pattern, key):
            return re.sub(pattern, repl, key, count=1)
    return None


def convert_video_knet(official: Dict[str, torch.Tensor],
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
        tuple: the converted state dict and the dropped official keys.

    Raises:
        ValueError: A key has no place in this layout (listed), or the
            checkpoint has no ``roi_head.mask_head`` stage.
    """
    official = OrderedDict(
        (k[len('module.'):] if k.startswith('module.') else k, v)
        for k, v in official.items())
    stages = {int(m.group(1)) for k in official
              for m in [re.match(r'^roi_head\.mask_head\.(\d+)\.', k)] if m}
    if not stages:
        raise ValueError('no roi_head.mask_head.<stage> keys: not an '
                         'official Video K-Net checkpoint')
    last = max(stages)
    converted, dropped, unknown = OrderedDict(), [], []
    for key, value in official.items():
        link = LINK.match(key)
        if link and int(link.group(1)) != last:
            dropped.append(key)
            continue
        new = _rename(key)
        if new is None:
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
        'Convert an official Video K-Net checkpoint',
        input_channels_layer='the first convolution').parse_args(argv)


def main(argv=None) -> List[str]:
    args = parse_args(argv)
    state = load_state_dict(args.src, args.trust_pickle)
    converted, dropped = convert_video_knet(state,
                                            not args.keep_input_channels)
    save_converted(converted, args.src, args.dst, dropped=dropped)
    params = sum(
        state[k if k in state else f'module.{k}'].numel() for k in dropped)
    print(f'{len(converted)} tensors written to {args.dst}; dropped '
          f'{len(dropped)} tensors ({params} parameters), the link layers '
          f'that the official forward pass does not use:')
    for key in dropped:
        print(f'  {key}')
    return dropped


if __name__ == '__main__':
    main()
