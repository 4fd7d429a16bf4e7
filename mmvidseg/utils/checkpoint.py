# Copyright (c) OpenMMLab. All rights reserved.
"""Make mmengine checkpoints loadable under ``torch.load(weights_only=True)``.

torch>=2.6 loads checkpoints with ``weights_only=True`` by default, and the
message hub that mmengine 0.10 stores in every checkpoint (needed by
``--resume``) pickles ``HistoryBuffer`` objects and numpy scalars/arrays,
which the safe unpickler rejects. Rather than turning the safety off, we add
exactly the types mmengine writes to torch's allow-list.
"""
import collections

import numpy as np
import torch


def _numpy_globals():
    """Numpy callables and classes that pickled arrays/scalars refer to."""
    try:  # numpy >= 2
        from numpy._core import multiarray
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core import multiarray
    found = [multiarray._reconstruct, multiarray.scalar, np.ndarray, np.dtype]
    # numpy >= 1.25 pickles dtypes through their own classes
    # (``numpy.dtypes.Float64DType`` ...).
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        for name in dir(dtypes):
            obj = getattr(dtypes, name)
            if isinstance(obj, type) and issubclass(obj, np.dtype):
                found.append(obj)
    return found


def checkpoint_safe_globals():
    """Return the globals an mmengine 0.10 checkpoint may pickle.

    Returns:
        list: classes and functions to pass to
        ``torch.serialization.add_safe_globals``.
    """
    from mmengine.logging import HistoryBuffer
    return [HistoryBuffer, collections.OrderedDict, collections.defaultdict,
            *_numpy_globals()]


def register_checkpoint_safe_globals():
    """Add :func:`checkpoint_safe_globals` to torch's weights-only allow-list.

    Safe to call many times; a no-op on torch versions without the API.
    """
    add = getattr(torch.serialization, 'add_safe_globals', None)
    if add is not None:
        add(checkpoint_safe_globals())
