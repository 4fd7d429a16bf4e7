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

Every checkpoint mmengine loads for mmvidseg (``load_from``, ``--resume``,
``load_checkpoint``, ``init_cfg=dict(type='Pretrained')``) goes through
mmengine's ``CheckpointLoader``, whose loaders call ``torch.load`` without
``weights_only`` (so ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1`` or a torch <
2.6 would unpickle anything) or, for URLs, ``load_state_dict_from_url``
with its default ``weights_only=False``.
:func:`register_safe_checkpoint_loaders` replaces each scheme's loader
with one that passes ``weights_only=True`` explicitly (which no
environment variable overrides) and turns torch's errors into ones that
name the file: :class:`UnsafeCheckpointError` for a checkpoint that pickles
anything outside the allow-list (code is never run), and
:class:`CorruptCheckpointError` for a truncated or unreadable one.
"""
import collections
import copyreg
import io
import os
import os.path as osp
import pickle
import re
import zipfile
from typing import Optional

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
    register_safe_checkpoint_loaders()


# --------------------------------------------------------- safe loading
class CheckpointError(RuntimeError):
    """A checkpoint that cannot be loaded; ``filename`` names it."""

    def __init__(self, filename: str, problem: str):
        super().__init__(f'{filename}: {problem}')
        self.filename = filename
        self.problem = problem


class UnsafeCheckpointError(CheckpointError, pickle.UnpicklingError):
    """The checkpoint pickles something outside the weights-only
    allow-list; nothing of it was executed."""


class CorruptCheckpointError(CheckpointError):
    """The checkpoint is truncated, empty or not a checkpoint at all."""


def _unsafe_global(message: str) -> Optional[str]:
    found = re.search(r'Unsupported global: GLOBAL (\S+)', message)
    return found.group(1) if found else None


def safe_torch_load(file, map_location=None, filename: str = None):
    """``torch.load(file, map_location, weights_only=True)``, errors
    naming the file.

    Args:
        file (str | file-like): The checkpoint.
        map_location: See :func:`torch.load`.
        filename (str, optional): Name of the checkpoint in messages;
            defaults to ``file`` when it is a path.

    Raises:
        UnsafeCheckpointError: It pickles a global that is not allow-listed
            (e.g. a function that would run code); nothing was executed.
        CorruptCheckpointError: Truncated, empty or not a checkpoint.
    """
    name = filename or (str(file) if isinstance(file, (str, os.PathLike))
                        else '<checkpoint>')
    try:
        # explicit: TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD only overrides a call
        # that leaves weights_only unset
        return torch.load(file, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        bad = _unsafe_global(str(e))
        if bad is None:
            found = re.search(r'WeightsUnpickler error:\s*([^\n]+)', str(e))
            raise CorruptCheckpointError(
                name, f'truncated or not a checkpoint (the unpickler '
                f'stopped: {found.group(1) if found else _first_line(e)})'
            ) from None
        raise UnsafeCheckpointError(
            name, f'refused to load: the checkpoint pickles {bad}, which is '
            f'not on the weights-only allow-list (tensors, containers and '
            f'the types mmengine writes), so unpickling it could run '
            f'arbitrary code; nothing was executed. Only if you trust its '
            f'source, load it yourself with torch.load(..., '
            f'weights_only=False) and save its state_dict again') from None
    except (RuntimeError, EOFError, KeyError, ValueError,
            zipfile.BadZipFile) as e:
        raise CorruptCheckpointError(
            name, f'truncated or not a checkpoint ({type(e).__name__}: '
            f'{_first_line(e)})') from None


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else 'empty file'


def load_from_local(filename: str, map_location=None):
    """A local checkpoint, loaded with ``weights_only=True``."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return safe_torch_load(filename, map_location)


def load_from_http(filename: str,
                   map_location=None,
                   model_dir: Optional[str] = None,
                   progress: bool = os.isatty(0)):
    """A checkpoint at a URL (downloaded once, by local rank 0 first),
    loaded with ``weights_only=True``."""
    from urllib.parse import urlparse

    from mmengine.dist import get_dist_info

    def load():
        # torch.hub's cache layout, as load_state_dict_from_url
        folder = model_dir or osp.join(torch.hub.get_dir(), 'checkpoints')
        os.makedirs(folder, exist_ok=True)
        cached = osp.join(folder, osp.basename(urlparse(filename).path))
        if not osp.exists(cached):
            torch.hub.download_url_to_file(filename, cached,
                                           progress=progress)
        return safe_torch_load(cached, map_location,
                               f'{filename} (cached as {cached})')

    rank, world_size = get_dist_info()
    checkpoint = load() if rank == 0 else None
    if world_size > 1:
        torch.distributed.barrier()
        if rank > 0:
            checkpoint = load()
    return checkpoint


def load_from_torchvision(filename: str, map_location=None):
    """``torchvision://NAME`` (or ``modelzoo://NAME``)."""
    from mmengine.runner.checkpoint import get_torchvision_models
    name = filename.split('://', 1)[1]
    return load_from_http(get_torchvision_models()[name], map_location)


def load_from_openmmlab(filename: str, map_location=None):
    """``open-mmlab://NAME`` (or ``openmmlab://NAME``)."""
    from mmengine.runner.checkpoint import (_get_mmengine_home,
                                            get_deprecated_model_names,
                                            get_external_models)
    name = filename.split('://', 1)[1]
    name = get_deprecated_model_names().get(name, name)
    url = get_external_models()[name]
    if url.startswith(('http://', 'https://')):
        return load_from_http(url, map_location)
    return load_from_local(osp.join(_get_mmengine_home(), url), map_location)


def load_from_mmcls(filename: str, map_location=None):
    """``mmcls://NAME``."""
    from mmengine.runner.checkpoint import (_process_mmcls_checkpoint,
                                            get_mmcls_models)
    checkpoint = load_from_http(get_mmcls_models()[filename[8:]],
                                map_location)
    return _process_mmcls_checkpoint(checkpoint)


def load_from_ceph(filename: str, map_location=None, backend='petrel'):
    """``s3://`` / ``petrel://`` through mmengine's file backends."""
    from mmengine.fileio import get_file_backend
    file_backend = get_file_backend(
        filename, backend_args={'backend': backend})
    with io.BytesIO(file_backend.get(filename)) as buffer:
        return safe_torch_load(buffer, map_location, filename)


def load_from_pavi(filename: str, map_location=None):
    """``pavi://`` (needs the ``pavi`` package)."""
    import tempfile
    try:
        from pavi import modelcloud
    except ImportError:
        raise ImportError(
            'Please install pavi to load checkpoint from modelcloud.')
    model = modelcloud.get(filename[7:])
    with tempfile.TemporaryDirectory() as tmp_dir:
        downloaded = osp.join(tmp_dir, model.name)
        model.download(downloaded)
        return safe_torch_load(downloaded, map_location, filename)


#: mmengine's ``CheckpointLoader`` prefixes and their safe loaders.
SAFE_LOADERS = (
    ('', load_from_local),
    (('http://', 'https://'), load_from_http),
    (('modelzoo://', 'torchvision://'), load_from_torchvision),
    (('open-mmlab://', 'openmmlab://'), load_from_openmmlab),
    ('mmcls://', load_from_mmcls),
    ((r'(\S+\:)?s3://', r'(\S+\:)?petrel://'), load_from_ceph),
    ('pavi://', load_from_pavi),
)


def register_safe_checkpoint_loaders() -> None:
    """Make mmengine's ``CheckpointLoader`` load every scheme with
    ``weights_only=True`` (see the module docstring). Idempotent."""
    from mmengine.runner.checkpoint import CheckpointLoader
    for prefixes, loader in SAFE_LOADERS:
        CheckpointLoader.register_scheme(prefixes, loader, force=True)


# ------------------------------------------------------ resume checks
_NUMBERED = re.compile(r'^(iter|epoch)_(\d+)\.pth$')


def check_checkpoint_file(path: str) -> None:
    """Cheap completeness check of a checkpoint file, without loading it.

    A checkpoint written by ``torch.save`` (torch >= 1.6) is a zip archive
    whose directory is at its end, so a truncated one has none.

    Raises:
        FileNotFoundError: No such file.
        CorruptCheckpointError: Empty, or a zip archive without its
            directory (truncated). Other files (e.g. the legacy non-zip
            format) pass; loading them will tell.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: checkpoint not found')
    if osp.getsize(path) == 0:
        raise CorruptCheckpointError(path, 'empty file (0 bytes)')
    with open(path, 'rb') as f:
        zipped = f.read(4) == b'PK\x03\x04'
    if zipped:
        try:
            with zipfile.ZipFile(path):
                pass
        except (zipfile.BadZipFile, OSError, EOFError) as e:
            raise CorruptCheckpointError(
                path, f'truncated: the zip archive torch.save writes has no '
                f'directory at its end ({e}); {osp.getsize(path)} bytes'
            ) from None


def previous_checkpoint(path: str) -> Optional[str]:
    """The newest complete ``iter_N.pth`` / ``epoch_N.pth`` next to
    ``path`` with a smaller N (same kind), or None."""
    match = _NUMBERED.match(osp.basename(path))
    folder = osp.dirname(path) or '.'
    if match is None or not osp.isdir(folder):
        return None
    kind, number = match.group(1), int(match.group(2))
    found = []
    for name in os.listdir(folder):
        m = _NUMBERED.match(name)
        if m and m.group(1) == kind and int(m.group(2)) < number:
            found.append((int(m.group(2)), osp.join(folder, name)))
    for _, candidate in sorted(found, reverse=True):
        try:
            check_checkpoint_file(candidate)
        except (CheckpointError, OSError):
            continue
        return candidate
    return None


def check_resume_checkpoint(path: str, named_by: str = '') -> None:
    """Check the checkpoint ``--resume`` is about to load.

    Args:
        path (str): The checkpoint.
        named_by (str): Where the path came from (e.g. the work dir's
            ``last_checkpoint``), for the message.

    Raises:
        CheckpointError: Missing, empty or truncated, with a message naming
            the file and offering the previous complete checkpoint.
    """
    try:
        check_checkpoint_file(path)
        return
    except FileNotFoundError:
        problem = 'not found'
    except CheckpointError as e:
        problem = e.problem
    source = f' (named by {named_by})' if named_by else ''
    prev = previous_checkpoint(path)
    hint = (f'the previous checkpoint {prev} looks complete: resume from it '
            f'with --resume {prev}' if prev else
            'no earlier complete checkpoint is next to it: train from the '
            'start (without --resume) or pass another checkpoint')
    raise CheckpointError(
        path, f'cannot resume from this checkpoint{source}: {problem}; '
        f'{hint}')
