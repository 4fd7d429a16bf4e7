# Copyright (c) OpenMMLab. All rights reserved.
"""What every official-checkpoint converter in this folder shares: reading
the official file, the common command-line arguments and writing the
converted checkpoint."""
import argparse
from typing import Dict

import torch


def load_state_dict(path: str, trust_pickle: bool = False) -> dict:
    """The ``state_dict`` of a checkpoint file (or the file itself when it
    is a bare state dict).

    Raises:
        ValueError: The file pickles objects that a weights-only load
            refuses and ``trust_pickle`` is False.
    """
    try:
        checkpoint = torch.load(path, map_location='cpu',
                                weights_only=not trust_pickle)
    except Exception as e:  # torch raises UnpicklingError / RuntimeError
        if trust_pickle:
            raise
        raise ValueError(
            f'{path} cannot be loaded weights-only ({type(e).__name__}: '
            f'{str(e).splitlines()[0]}); pass --trust-pickle to unpickle it '
            f'(runs code from the file: only for a file you trust)'
        ) from None
    if isinstance(checkpoint, dict) and 'state_dict' in checkpoint:
        return checkpoint['state_dict']
    return checkpoint


def converter_parser(description: str,
                     src_help: str = 'official checkpoint',
                     pickle_note: str = '',
                     input_channels_layer: str = ''
                     ) -> argparse.ArgumentParser:
    """An argument parser with the arguments every converter takes.

    Args:
        description (str): What the converter converts.
        src_help (str): Help of the ``src`` argument.
        pickle_note (str): Why the release's files may need
            ``--trust-pickle`` (appended to its help in brackets).
        input_channels_layer (str): The layer whose input channels the
            converter reverses (BGR to RGB); non-empty adds
            ``--keep-input-channels``.

    Returns:
        argparse.ArgumentParser: ``src``, ``dst``, ``--trust-pickle`` and,
        where asked, ``--keep-input-channels``; the caller adds its own.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('src', help=src_help)
    parser.add_argument('dst', help='converted checkpoint')
    if input_channels_layer:
        parser.add_argument(
            '--keep-input-channels', action='store_true',
            help=f"do not reverse {input_channels_layer}'s input channels "
            '(for a config with bgr_to_rgb=False)')
    parser.add_argument(
        '--trust-pickle', action='store_true',
        help='unpickle a checkpoint that a weights-only load refuses'
        + (f' ({pickle_note})' if pickle_note else ''))
    return parser


def save_converted(converted: Dict[str, torch.Tensor], src: str, dst: str,
                   **meta) -> None:
    """Write ``converted`` to ``dst`` as an mmengine checkpoint whose
    ``meta`` names the official file and holds ``meta``."""
    torch.save(
        dict(state_dict=converted, meta=dict(converted_from=src, **meta)),
        dst)
