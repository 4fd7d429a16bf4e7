# Copyright (c) OpenMMLab. All rights reserved.
"""Make mmengine checkpoints loadable under ``torch.load(weights_only=True)``.

torch>=2.6 loads checkpoints with ``weights_only=True`` by default, and the
message hub that mmengine 0.10 stores in every checkpoint (needed by
``--resume``) pickles ``HistoryBuffer`` objects and numpy scalars/arrays,
which the safe unpickler rejects. Rather than turning the safety off, we add
exactly the types mmengine writes to torch's allow-list.

mmengine also pickles each ``HistoryBuffer``'s statistics methods as
``getattr(HistoryBuffer, 'mean')``; allow-listing ``builtins.getattr`` would
re-open arbitrary code execution, so instead mmvidseg pickles a
``HistoryBuffer`` as a call of its constructor with its arrays (its
statistics methods are class-level and registered again at import). Old
checkpoints written without mmvidseg imported still carry ``getattr`` and
load only with ``weights_only=False``, which is the user's call to make.
"""
import collections
import copyreg

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


def _reduce_history_buffer(buffer):
    """Pickle a ``HistoryBuffer`` as
    ``HistoryBuffer(logs, counts, max_len)``."""
    return (type(buffer), (buffer._log_history, buffer._count_history,
                           buffer.max_length))


def register_checkpoint_safe_globals():
    """Make mmengine checkpoints saveable and loadable with weights_only.

    Adds :func:`checkpoint_safe_globals` to torch's weights-only allow-list
    and registers the ``HistoryBuffer`` pickling above. Safe to call many
    times; the allow-list part is a no-op on torch < 2.4.
    """
    from mmengine.logging import HistoryBuffer
    copyreg.pickle(HistoryBuffer, _reduce_history_buffer)
    add = getattr(torch.serialization, 'add_safe_globals', None)
    if add is not None:
        add(checkpoint_safe_globals())
