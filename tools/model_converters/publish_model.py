# Copyright (c) OpenMMLab. All rights reserved.
"""Make a checkpoint ready to publish: keep the weights and the metadata,
drop the optimizer, the parameter schedulers and the message hub, and name
the file after the first 8 hex digits of its SHA-256.

Example::

    python tools/model_converters/publish_model.py \\
        work_dirs/video-knet_r50_8xb1-24e_kitti-step/epoch_24.pth \\
        video-knet_r50_8xb1-24e_kitti-step.pth
    # writes video-knet_r50_8xb1-24e_kitti-step_20260101-1a2b3c4d.pth

The date is the checkpoint's modification date (``--date`` to give one);
``--keep-ema`` keeps ``ema_state_dict`` when the run used EMA. The output
loads with ``torch.load(weights_only=True)``.
"""
import argparse
import datetime
import hashlib
import os
import os.path as osp
from typing import List, Optional

import torch

#: What training leaves in a checkpoint that a published model needs not.
DROPPED = ('optimizer', 'param_schedulers', 'message_hub', 'scheduler',
           'ema_state_dict')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Strip a checkpoint and add its SHA-256 to the name')
    parser.add_argument('in_file', help='input checkpoint')
    parser.add_argument(
        'out_file', help='output name; the date and hash are added before '
        'the extension')
    parser.add_argument('--date', help='YYYYMMDD (default: the input '
                        "file's modification date)")
    parser.add_argument('--keep-ema', action='store_true',
                        help='keep ema_state_dict')
    return parser.parse_args(argv)


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def strip_checkpoint(checkpoint: dict, keep_ema: bool = False) -> dict:
    """The checkpoint without the training state (see ``DROPPED``); a bare
    state dict becomes ``{'state_dict': ...}``.

    Raises:
        ValueError: ``checkpoint`` is not a dict of tensors or has no
            ``state_dict``.
    """
    if not isinstance(checkpoint, dict):
        raise ValueError(f'a checkpoint is a dict, got '
                         f'{type(checkpoint).__name__}')
    if 'state_dict' not in checkpoint:
        if checkpoint and all(
                isinstance(v, torch.Tensor) for v in checkpoint.values()):
            return dict(state_dict=checkpoint)
        raise ValueError('the checkpoint has no "state_dict" (keys: '
                         f'{", ".join(sorted(map(str, checkpoint)))})')
    dropped = [k for k in DROPPED if not (keep_ema and k == 'ema_state_dict')]
    return {k: v for k, v in checkpoint.items() if k not in dropped}


def publish(in_file: str, out_file: str, date: Optional[str] = None,
            keep_ema: bool = False) -> str:
    """Write the stripped checkpoint as ``<out stem>_<date>-<sha8>.pth``;
    return that path.

    Raises:
        FileNotFoundError: ``in_file`` does not exist.
        ValueError: A bad ``date`` or output name, or see
            :func:`strip_checkpoint`.
    """
    if not osp.isfile(in_file):
        raise FileNotFoundError(f'checkpoint {in_file!r} does not exist')
    if not out_file.endswith('.pth'):
        raise ValueError(f'the output name must end with .pth, got '
                         f'{out_file!r}')
    if date is None:
        date = datetime.date.fromtimestamp(
            osp.getmtime(in_file)).strftime('%Y%m%d')
    elif not (len(date) == 8 and date.isdigit()):
        raise ValueError(f'--date must be YYYYMMDD, got {date!r}')
    # mmengine checkpoints: metadata of plain types (see
    # mmvidseg.utils.checkpoint for what weights_only allows)
    from mmvidseg.utils import register_checkpoint_safe_globals
    register_checkpoint_safe_globals()
    checkpoint = torch.load(in_file, map_location='cpu', weights_only=True)
    stripped = strip_checkpoint(checkpoint, keep_ema)
    tmp = out_file + '.tmp'
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    torch.save(stripped, tmp)
    final = f'{out_file[:-4]}_{date}-{sha256_of(tmp)[:8]}.pth'
    os.replace(tmp, final)
    return final


def main(argv: Optional[List[str]] = None) -> str:
    args = parse_args(argv)
    final = publish(args.in_file, args.out_file, args.date, args.keep_ema)
    print(f'published {final}')
    return final


if __name__ == '__main__':
    main()
