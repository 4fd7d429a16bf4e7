# Copyright (c) OpenMMLab. All rights reserved.
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every mmvidseg module so that it registers itself.

    Args:
        init_default_scope (bool): Whether to make ``mmvidseg`` the current
            default scope (a new, uniquely named scope instance is created
            when another scope is current). Defaults to True.
    """
    import mmvidseg.datasets  # noqa: F401,F403
    import mmvidseg.evaluation  # noqa: F401,F403
    import mmvidseg.models  # noqa: F401,F403

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None or not DefaultScope.check_instance_created('mmvidseg'):
        DefaultScope.get_instance('mmvidseg', scope_name='mmvidseg')
    elif current.scope_name != 'mmvidseg':
        warnings.warn(f'The current default scope "{current.scope_name}" '
                      'is not "mmvidseg"; a new one is created for it.')
        name = f'mmvidseg-{datetime.datetime.now()}'
        DefaultScope.get_instance(name, scope_name='mmvidseg')


def setup_distributed_on_cpu(cfg, launcher: str) -> None:
    """Let a config with ``launcher='pytorch'`` train on CPU-only hosts.

    mmengine assumes GPUs for DDP: it calls ``torch.cuda.set_device`` and
    passes ``device_ids=[LOCAL_RANK]`` to ``DistributedDataParallel``. On a
    host without CUDA this switches the backend to gloo, initialises the
    process group itself (mmengine then skips its own initialisation) and
    wraps the model with ``device_ids=None``, which is how DDP runs on CPU
    tensors. Does nothing when CUDA is available or not launched
    distributed.

    Args:
        cfg (Config): The config; modified in place.
        launcher (str): ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``.
    """
    import os

    import torch
    import torch.distributed as dist

    if launcher == 'none' or torch.cuda.is_available():
        return
    dist_cfg = cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    dist_cfg['backend'] = 'gloo'
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel',
        broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    if launcher == 'pytorch' and not dist.is_initialized():
        dist.init_process_group(
            backend='gloo',
            rank=int(os.environ['RANK']),
            world_size=int(os.environ['WORLD_SIZE']))


def teardown_distributed() -> None:
    """Wait for every process and destroy the default process group, if
    one was initialised (a no-op otherwise).

    Called at the end of ``tools/train.py`` and ``tools/test.py``: a gloo
    process that exits with its group alive can abort at interpreter exit
    (``terminate called without an active exception``), which fails the
    whole launch after a successful run.
    """
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
