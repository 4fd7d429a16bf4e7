# Copyright (c) OpenMMLab. All rights reserved.
"""Convert an official TransVOD checkpoint (SJTU-LuHe/TransVOD, a
Deformable-DETR fork) into this package's ``FrameDetector`` (single-frame
stage, ``--dataset_file vid_single``) or ``TransVOD`` (multi-frame stage)
layout.

Example::

    python tools/model_converters/transvod2mmvidseg.py \\
        checkpoint0006.pth transvod_r50_official.pth --trust-pickle \\
        --drop-tdte
    python tools/test.py \\
        configs/transvod/transvod_r50-dc5_8xb1-7e_imagenet-vid.py \\
        transvod_r50_official.pth \\
        --cfg-options model.detector.neck.bias=True \\
        model.temporal_encoder=None

Layout (``models/deformable_detr_{single,multi}.py``,
``models/deformable_transformer_{single,multi}.py``, ``models/backbone.py``
of the release; R50 ``--dilation --num_feature_levels 1 --with_box_refine
--num_queries 300``):

============================================  ================================
official                                      here
============================================  ================================
``backbone.0.body.*`` (torchvision ResNet,    ``detector.backbone.*``
FrozenBatchNorm2d)                            (``num_batches_tracked`` = 0
                                              added)
``input_proj.0.0.*`` (Conv2d, with bias),     ``detector.neck.convs.0.conv.*``,
``input_proj.0.1.*`` (GroupNorm)              ``detector.neck.convs.0.gn.*``
``query_embed``, ``transformer.level_embed``  ``detector.query_embedding``,
                                              ``detector.level_embed``
``transformer.reference_points``              ``detector.reference_points_fc``
``class_embed.<i>``, ``bbox_embed.<i>.        ``detector.bbox_head.cls_
layers.<j>``                                  branches.<i>``, ``reg_branches.
                                              <i>.<2j>``
``transformer.encoder.layers.<i>.*``          ``detector.encoder.layers.<i>.*``
``transformer.decoder.layers.<i>.*``          ``detector.decoder.layers.<i>.*``
``transformer.temporal_encoder_layer.*``      ``temporal_encoder.*``
``transformer.temporal_query_layer<k>.*``     ``query_encoder.<k-1>.*``
``transformer.temporal_decoder.layers.0.*``   ``temporal_decoder.layers.0.*``
``temp_class_embed``, ``temp_bbox_embed``     ``temporal_head.cls_branches.0``,
                                              ``reg_branches.0``
============================================  ================================

Inside the layers: ``linear1`` / ``linear2`` -> ``ffn.layers.0.0`` /
``ffn.layers.1``; ``nn.MultiheadAttention`` ``self_attn`` / ``cross_attn``
-> ``*.attn.*`` (mmcv's wrapper); the norms by the order they are applied:
encoder ``norm1`` (after the deformable self-attention), ``norm2`` (after
the FFN) -> ``norms.0``, ``norms.1``; decoder, TDTE and TQE layers apply
``norm2`` (self-attention), then ``norm1`` (cross-attention), then
``norm3`` (FFN) -> ``norms.0``, ``norms.1``, ``norms.2``.

**Dropped** (reported): ``transformer.temporal_encoder_layer.*`` with
``--drop-tdte`` (see below); ``transformer.decoder.bbox_embed.*``, the same
tensors as ``bbox_embed.*`` (the box-refinement hack shares the modules;
checked equal), and row 0 of every class layer: the release builds 31
class logits (``num_classes = 31``) and its labels are the ImageNet VID
category ids 1..30, so logit 0 is a background slot that is never a
target; our labels are the ids minus 1 (categories sorted by id). Any
other key without a place here is an error, listing the keys.

**What differs after conversion** (printed): the release's forward never
runs the TDTE (``self.TDAM = False`` in
``models/deformable_transformer_multi.py``), so its
``temporal_encoder_layer`` weights are the initial ones. Convert with
``--drop-tdte`` and test with ``model.temporal_encoder=None`` (no TDTE) to
compute as the release does; without it they load into our TDTE, which our
``TransVOD`` then applies. The release's ``input_proj`` conv has
a bias, which our configs' ``ChannelMapper`` builds only with
``model.detector.neck.bias=True``. torchvision's dilated ResNet (DC5) keeps
dilation 1 in the first block of ``layer4``, mmdet's ResNet dilates all of
them (same weights, ``layer4.0.conv2`` computes differently).

**Input**: the release feeds RGB images normalised with the ImageNet
mean / std, as our configs: no channel change.
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

T = r'^transformer\.'
DET_LAYER = r'(decoder\.layers\.\d+|temporal_decoder\.layers\.\d+)'
#: (official pattern, replacement) in order; the first match wins.
RENAMES = (
    (r'^backbone\.0\.body\.', 'detector.backbone.'),
    (r'^input_proj\.0\.0\.', 'detector.neck.convs.0.conv.'),
    (r'^input_proj\.0\.1\.', 'detector.neck.convs.0.gn.'),
    (r'^query_embed\.', 'detector.query_embedding.'),
    (T + r'level_embed$', 'detector.level_embed'),
    (T + r'reference_points\.', 'detector.reference_points_fc.'),
    (r'^class_embed\.(\d+)\.', r'detector.bbox_head.cls_branches.\1.'),
    (r'^bbox_embed\.(\d+)\.layers\.', r'detector.bbox_head.reg_branches.\1.'),
    (r'^temp_class_embed\.', 'temporal_head.cls_branches.0.'),
    (r'^temp_bbox_embed\.layers\.', 'temporal_head.reg_branches.0.'),
    (T + r'(encoder\.layers\.\d+)\.', r'detector.\1.'),
    (T + r'decoder\.layers\.(\d+)\.', r'detector.decoder.layers.\1.'),
    (T + r'temporal_encoder_layer\.', 'temporal_encoder.'),
    (T + r'temporal_query_layer([1-9])\.', 'query_encoder.{q}.'),
    (T + r'temporal_decoder\.layers\.(\d+)\.', r'temporal_decoder.layers.\1.'),
)
#: module name inside a layer -> ours, for the layers with three norms
#: (decoder, TDTE, TQE) and for the encoder layers
INNER = {'linear1': 'ffn.layers.0.0', 'linear2': 'ffn.layers.1',
         'norm2': 'norms.0', 'norm1': 'norms.1', 'norm3': 'norms.2'}
ENCODER_INNER = dict(INNER, norm1='norms.0', norm2='norms.1')
MHA = re.compile(r'^(self_attn|cross_attn)\.(in_proj_weight|in_proj_bias|'
                 r'out_proj\.weight|out_proj\.bias)$')
MSDA = re.compile(r'^(self_attn|cross_attn)\.(sampling_offsets|'
                  r'attention_weights|value_proj|output_proj)\.')
LAYER = re.compile(r'^(detector\.(?:encoder|decoder)\.layers\.\d+|'
                   r'temporal_encoder|query_encoder\.\d+|'
                   r'temporal_decoder\.layers\.\d+)\.(.+)$')


def _rename_inner(new: str) -> str:
    """Rename the part of a key inside a transformer layer; '' when it has
    no place."""
    match = LAYER.match(new)
    if match is None:
        return new
    layer, rest = match.groups()
    if MHA.match(rest):
        return f'{layer}.{rest.split(".", 1)[0]}.attn.{rest.split(".", 1)[1]}'
    if MSDA.match(rest):
        return new
    table = ENCODER_INNER if '.encoder.' in f'.{layer}.' else INNER
    module, _, param = rest.partition('.')
    if module in table and param in ('weight', 'bias'):
        return f'{layer}.{table[module]}.{param}'
    return ''


def _rename(key: str) -> str:
    for pattern, repl in RENAMES:
        match = re.match(pattern, key)
        if match:
            if '{q}' in repl:  # temporal_query_layer1..3 -> 0..2
                repl = repl.format(q=int(match.group(1)) - 1)
            new = re.sub(pattern, repl, key, count=1)
            if new.startswith('detector.bbox_head.reg_branches.') or \
                    new.startswith('temporal_head.reg_branches.'):
                # MLP layers.<j> -> Sequential index 2j (Linear, ReLU, ...)
                head, j, param = new.rsplit('.', 2)
                return f'{head}.{2 * int(j)}.{param}'
            return _rename_inner(new)
    return ''


def _check_shared_boxes(official: Dict[str, torch.Tensor]) -> List[str]:
    """The ``transformer.decoder.bbox_embed.*`` keys (dropped): each must
    equal its ``bbox_embed.*`` twin."""
    shared = [k for k in official
              if k.startswith('transformer.decoder.bbox_embed.')]
    for key in shared:
        twin = key[len('transformer.decoder.'):]
        if twin not in official or not torch.equal(official[key],
                                                   official[twin]):
            raise ValueError(f'{key} is not a copy of {twin}: not the '
                             'release box-refinement layout')
    return shared


def convert_transvod(official: Dict[str, torch.Tensor],
                     num_classes: int = 30,
                     drop_tdte: bool = False) -> Tuple[OrderedDict, List[str]]:
    """Rename an official state dict.

    Args:
        official (dict): The official ``model`` state dict (``module.``
            prefixes are removed).
        num_classes (int): Classes of our model. The official class layers
            have ``num_classes + 1`` rows (background slot 0, dropped) or
            ``num_classes``. Defaults to 30 (ImageNet VID).
        drop_tdte (bool): Drop the release's unused TDTE
            (``transformer.temporal_encoder_layer.*``), for a config with
            ``temporal_encoder=None``. Defaults to False.

    Returns:
        tuple: The converted state dict and the dropped official keys
        (rows of the class layers as ``key[0]``).

    Raises:
        ValueError: Not a TransVOD / Deformable DETR checkpoint, keys with
            no place here (listed), class layers of another size, or
            shared box layers that differ.
    """
    official = OrderedDict(
        (k[len('module.'):] if k.startswith('module.') else k, v)
        for k, v in official.items())
    if not any(k.startswith('transformer.decoder.layers.') for k in official):
        raise ValueError('no transformer.decoder.layers keys: not an '
                         'official TransVOD (Deformable DETR) checkpoint')
    dropped = _check_shared_boxes(official)
    converted, unknown = OrderedDict(), []
    for key, value in official.items():
        if drop_tdte and key.startswith('transformer.temporal_encoder_layer.'):
            dropped.append(key)
        if key in dropped:
            continue
        new = _rename(key)
        if not new:
            unknown.append(key)
            continue
        if '.cls_branches.' in new:
            if value.size(0) == num_classes + 1:
                value = value[1:]
                dropped.append(f'{key}[0]')
            elif value.size(0) != num_classes:
                raise ValueError(
                    f'{key} has {value.size(0)} class rows; expected '
                    f'{num_classes + 1} (background slot + {num_classes} '
                    f'classes) or {num_classes} (see --num-classes)')
        converted[new] = value
        if new.startswith('detector.backbone.') and \
                new.endswith('.running_var'):
            # FrozenBatchNorm2d has no counter; mmdet's BatchNorm does
            tracked = new[:-len('running_var')] + 'num_batches_tracked'
            converted[tracked] = torch.tensor(0, dtype=torch.long)
    if unknown:
        raise ValueError(f'{len(unknown)} official keys have no place in '
                         f'this model: {", ".join(unknown[:20])}')
    return converted, dropped


def notes(converted: Dict[str, torch.Tensor]) -> List[str]:
    """What differs between the converted model and the release's."""
    out = []
    if any(k.startswith('temporal_encoder.') for k in converted):
        out.append('the release never runs its TDTE (TDAM = False): the '
                   'temporal_encoder weights are its initial ones, and our '
                   'TransVOD applies them; convert with --drop-tdte and '
                   'test with model.temporal_encoder=None to compute as '
                   'the release')
    if 'detector.neck.convs.0.conv.bias' in converted:
        out.append('input_proj has a conv bias: test with --cfg-options '
                   'model.detector.neck.bias=True')
    out.append('torchvision DC5 keeps dilation 1 in layer4.0.conv2, '
               "mmdet's ResNet dilates it")
    return out


def parse_args(argv=None) -> argparse.Namespace:
    parser = converter_parser(
        'Convert an official TransVOD checkpoint (single-frame or '
        'multi-frame stage)',
        pickle_note='the release stores its argparse arguments')
    parser.add_argument(
        '--num-classes', type=int, default=30,
        help='classes of our model (the release has one more: a '
        'background slot, dropped)')
    parser.add_argument(
        '--drop-tdte', action='store_true',
        help="drop the release's TDTE, which its forward never runs (for "
        'a config with model.temporal_encoder=None)')
    return parser.parse_args(argv)


def main(argv=None) -> List[str]:
    args = parse_args(argv)
    checkpoint = load_state_dict(args.src, args.trust_pickle)
    # the release saves {'model': ..., 'optimizer': ..., 'args': ...}
    state = checkpoint.get('model', checkpoint)
    converted, dropped = convert_transvod(state, args.num_classes,
                                          args.drop_tdte)
    save_converted(converted, args.src, args.dst, dropped=dropped)
    print(f'{len(converted)} tensors written to {args.dst}; dropped '
          f'{len(dropped)}: the shared copies transformer.decoder.bbox_'
          'embed.*, the background row 0 of the class layers'
          + (' and the unused TDTE' if args.drop_tdte else ''))
    for note in notes(converted):
        print(f'note: {note}')
    return dropped


if __name__ == '__main__':
    main()
