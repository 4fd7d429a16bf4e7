# Copyright (c) OpenMMLab. All rights reserved.
from .checkpoint import register_checkpoint_safe_globals
from .setup_env import (register_all_modules, setup_distributed_on_cpu,
                        teardown_distributed)

__all__ = [
    'register_all_modules', 'register_checkpoint_safe_globals',
    'setup_distributed_on_cpu', 'teardown_distributed'
]
