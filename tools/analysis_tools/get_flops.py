# Copyright (c) OpenMMLab. All rights reserved.
"""Parameters and FLOPs of a model built from a config.

Example::

    python tools/analysis_tools/get_flops.py \\
        configs/video_knet/video-knet_r50_8xb1-24e_kitti-step.py
    # another input size
    python tools/analysis_tools/get_flops.py CONFIG --shape 384 1248

The input size (``--shape H W`` overrides it) is the one the config's test
pipeline resizes frames to: the ``scale`` (w, h) of its ``Resize``
transform (``Resize`` / ``mmdet.Resize`` / ``mmseg.Resize`` /
``TripletResize``, also inside ``TransformBroadcaster``). With
``keep_ratio=True`` the frame's aspect ratio decides the actual size, which
the config does not know: the box the resize fits frames into is used, H =
the shorter and W = the longer side of ``scale`` (a landscape frame of that
aspect ratio fills it; others are smaller). A test pipeline without a
``Resize`` (frames at their stored size) falls back on the training
pipeline's ``Resize`` scale or crop size, then on the model's
``test_cfg.patch_size`` (VS-ReID segments object-centred patches).

FLOPs are counted by ``mmengine.analysis`` (one multiply-add = one FLOP, the
fvcore convention) on ``model(inputs, mode='tensor')`` for one clip of
``--num-frames`` frames (default: the shortest clip the model takes, 1 for
the per-frame models, 2 input frames for Deep Voxel Flow): the network,
without post-processing or tracking. The device (GPU when available, else
CPU) is printed; FLOPs and parameters do not depend on it.

The ``params:`` line (``mmvidseg.utils.model_size``) is the number the
"params (get_flops.py)" table of each method README lists, and
``mmvidseg.testing.config_check`` (tests/test_configs) checks it.
"""
import argparse
import json
from typing import Optional, Sequence, Tuple

import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.config import Config, DictAction

from mmvidseg.registry import MODELS
from mmvidseg.utils import register_all_modules
from mmvidseg.utils.model_size import count_parameters, format_parameters


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Count the parameters and FLOPs of a model')
    parser.add_argument('config', help='config file')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=2,
        default=None,
        metavar=('H', 'W'),
        help="input height and width (default: from the test pipeline's "
        'Resize scale)')
    parser.add_argument(
        '--num-frames',
        type=int,
        default=None,
        help='frames per clip (default: the shortest clip the model takes)')
    parser.add_argument(
        '--device',
        default=None,
        help="'cpu' or 'cuda' (default: cuda when available)")
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, key=value pairs')
    return parser.parse_args(argv)


RESIZES = ('Resize', 'TripletResize', 'RandomResize')
CROPS = ('RandomCrop', 'TripletRandomCrop', 'CenterCrop')


def _transforms(pipeline) -> list:
    """Every transform of a pipeline, those inside wrappers (e.g.
    ``TransformBroadcaster``) included, in order."""
    out = []
    for t in pipeline or []:
        if isinstance(t, dict):
            out.append(t)
            out.extend(_transforms(t.get('transforms')))
    return out


def _name(transform: dict) -> str:
    return str(transform.get('type', '')).split('.')[-1]


def _resize_shape(t: dict) -> Optional[Tuple[int, int]]:
    scale = t.get('scale')
    if scale is None:
        return None
    if isinstance(scale, int):
        scale = (scale, scale)
    if isinstance(scale[0], (list, tuple)):  # RandomResize ranges
        return None
    w, h = int(scale[0]), int(scale[1])
    if t.get('keep_ratio', False):
        return min(w, h), max(w, h)
    return h, w


def _crop_shape(t: dict) -> Optional[Tuple[int, int]]:
    size = t.get('crop_size')
    if size is None:
        return None
    if isinstance(size, int):
        return size, size
    return int(size[0]), int(size[1])


def _pipeline_of(cfg: Config, split: str):
    loader = cfg.get(f'{split}_dataloader') or {}
    return (loader.get('dataset') or {}).get('pipeline')


def shape_from_config(cfg: Config) -> Tuple[Tuple[int, int], str]:
    """``((H, W), where it came from)``: the test pipeline's resize, else
    the training pipeline's resize or crop, else the model's test patch
    size (see the module docstring).

    Raises:
        ValueError: None of them gives a size (pass ``--shape``).
    """
    for split, kinds in (('test', RESIZES), ('train', RESIZES),
                         ('train', CROPS)):
        for t in _transforms(_pipeline_of(cfg, split)):
            if _name(t) not in kinds:
                continue
            shape = _resize_shape(t) if kinds is RESIZES else _crop_shape(t)
            if shape is not None:
                key = 'scale' if kinds is RESIZES else 'crop_size'
                return shape, (f"the {split} pipeline's {t['type']} "
                               f'{key}={tuple(t[key])}')
    # networks that see object-centred patches (VS-ReID): the patch size
    patch = ((cfg.get('model') or {}).get('test_cfg') or {}).get('patch_size')
    if patch is not None:
        return _crop_shape(dict(crop_size=patch)), \
            f'model.test_cfg.patch_size={tuple(patch)}'
    raise ValueError('the config has no Resize scale in its test pipeline, '
                     'no Resize or crop size in its training pipeline and '
                     'no model.test_cfg.patch_size: pass --shape H W')


class _WithSamples(torch.nn.Module):
    """``model(inputs, samples, mode='tensor')`` as a one-input module, for
    models whose network reads frame metainfo (e.g. mmdet's DETRs need
    ``batch_input_shape``)."""

    def __init__(self, model: torch.nn.Module, samples: list) -> None:
        super().__init__()
        self.model = model
        self.samples = samples

    def forward(self, inputs: torch.Tensor):
        return self.model(inputs, self.samples, mode='tensor')


def clip_samples(num_frames: int, shape: Sequence[int]) -> list:
    """One ``TrackDataSample`` of ``num_frames`` frame samples whose
    metainfo says the frames are ``shape`` (H, W), unpadded."""
    from mmdet.structures import DetDataSample, TrackDataSample
    shape = tuple(int(x) for x in shape)
    frames = [
        DetDataSample(
            metainfo=dict(
                img_shape=shape,
                ori_shape=shape,
                pad_shape=shape,
                batch_input_shape=shape,
                scale_factor=(1.0, 1.0),
                img_id=i,
                frame_id=i,
                video_id=0,
                video_length=num_frames)) for i in range(num_frames)
    ]
    return [TrackDataSample(video_data_samples=frames)]


def _flops(model, inputs: torch.Tensor, with_samples: bool) -> int:
    if with_samples:
        model = _WithSamples(model, clip_samples(inputs.size(1),
                                                 inputs.shape[-2:]))
    with torch.no_grad():
        info = get_model_complexity_info(
            model, inputs=(inputs, ), show_table=False, show_arch=False)
    return int(info['flops'])


def count(cfg: Config,
          shape: Sequence[int],
          num_frames: Optional[int],
          device: str,
          max_frames: int = 32) -> dict:
    """Build ``cfg.model`` and count its parameters and FLOPs.

    The model runs on the input alone, or, when it refuses that, with one
    clip's data samples (:func:`clip_samples`).

    Args:
        num_frames (int, optional): Clip length; None: the shortest of
            1 .. ``max_frames`` that the model takes (a model with
            ``num_ref_frames`` is tried with key + reference frames
            first).

    Returns:
        dict: ``params`` (int), ``flops`` (int, per clip), ``input_shape``
        and ``device``.
    """
    register_all_modules(init_default_scope=True)
    model = MODELS.build(cfg.model).to(device).eval()
    params = count_parameters(model)
    lengths = [num_frames] if num_frames else list(range(1, max_frames + 1))
    refs = getattr(model, 'num_ref_frames', None)
    if not num_frames and isinstance(refs, int):
        # key + reference frames (TransVOD): try that length first
        lengths = [refs + 1] + [t for t in lengths if t != refs + 1]
    errors = []
    for t in lengths:
        inputs = torch.randn(1, t, 3, *shape, device=device)
        for with_samples in (False, True):
            try:
                flops = _flops(model, inputs, with_samples)
            except (ValueError, AssertionError, TypeError, KeyError) as e:
                # a clip length or call the model does not take
                errors.append(f'{t} frame(s), data samples {with_samples}: '
                              f'{type(e).__name__}: {e}')
                continue
            return dict(
                params=params,
                flops=flops,
                input_shape=[1, t, 3, *shape],
                device=device)
    raise RuntimeError('the model ran on none of the inputs tried:\n' +
                       '\n'.join(errors))


def main(argv=None) -> dict:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    if device == 'cpu':
        torch.set_num_threads(max(torch.get_num_threads(), 1))
    if args.shape:
        shape, source = tuple(args.shape), '--shape'
    else:
        shape, source = shape_from_config(cfg)
    res = count(cfg, shape, args.num_frames, device)
    res['shape_from'] = source
    name = torch.cuda.get_device_name() if device.startswith('cuda') \
        else 'CPU'
    print(f'config: {args.config}')
    print(f'device: {device} ({name})')
    print(f'input shape: {tuple(res["input_shape"])} (N, T, C, H, W), H '
          f'and W from {source}')
    print(f'params: {format_parameters(res["params"])} ({res["params"]})')
    print(f'flops: {res["flops"] / 1e9:.2f} GFLOPs per clip of '
          f'{res["input_shape"][1]} frame(s)')
    print(json.dumps(res))
    return res


if __name__ == '__main__':
    main()
