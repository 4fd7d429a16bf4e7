# Copyright (c) OpenMMLab. All rights reserved.
import glob
import importlib
import os.path as osp
import warnings
from functools import lru_cache
from typing import List, Optional


def compiled_ops() -> List[str]:
    """Names of the ops that have C++/CUDA sources (``<op>/csrc``), i.e.
    the extensions ``setup.py`` builds when a compiler is present."""
    here = osp.dirname(osp.abspath(__file__))
    return sorted(
        osp.basename(osp.dirname(d))
        for d in glob.glob(osp.join(here, '*', 'csrc')))


@lru_cache(maxsize=None)
def load_ext(op: str) -> Optional[object]:
    """Import the compiled extension ``mmvidseg.ops.<op>._ext``.

    Args:
        op (str): Op directory name, e.g. ``'voxel_flow'``.

    Returns:
        module | None: The extension module, or None when it was not built
        (pure-Python install); callers then use the PyTorch reference.
    """
    try:
        return importlib.import_module(f'mmvidseg.ops.{op}._ext')
    except ImportError as e:
        if 'No module named' not in str(e):
            # Built but broken (e.g. an ABI mismatch): say so once.
            warnings.warn(f'mmvidseg.ops.{op}._ext failed to load ({e}); '
                          'using the PyTorch reference.')
        return None


def ext_available(op: str, cuda: bool = False) -> bool:
    """Whether the compiled kernel of ``op`` can run.

    Args:
        op (str): Op directory name.
        cuda (bool): Ask for the CUDA kernel rather than the CPU one.
            The extension reports it through ``with_cuda()``.
    """
    ext = load_ext(op)
    if ext is None:
        return False
    if cuda:
        return bool(getattr(ext, 'with_cuda', lambda: False)())
    return True
