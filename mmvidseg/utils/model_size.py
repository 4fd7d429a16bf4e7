# Copyright (c) OpenMMLab. All rights reserved.
"""The parameter count of a model, as ``tools/analysis_tools/get_flops.py``
prints it and the method READMEs list it.

One function counts and one formats, so that the number the tool prints is
the one :mod:`mmvidseg.testing.config_check` compares with the READMEs.
"""
from torch import nn


def count_parameters(model: nn.Module) -> int:
    """Number of parameters of ``model``, trainable or frozen.

    Every tensor returned by ``model.parameters()`` counts once (shared
    parameters once); buffers (BN running statistics, label maps) do not.

    Args:
        model (nn.Module): A built model.

    Returns:
        int: The number of scalar parameters.
    """
    return sum(p.numel() for p in model.parameters())


def format_parameters(num: int) -> str:
    """A parameter count in millions with 2 decimals: ``'38.93 M'``.

    This is the precision of get_flops.py's ``params:`` line and of the
    README parameter tables.

    Args:
        num (int): A count from :func:`count_parameters`.

    Returns:
        str: e.g. ``'38.93 M'``.
    """
    return f'{num / 1e6:.2f} M'
