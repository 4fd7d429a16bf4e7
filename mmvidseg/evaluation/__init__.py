# Copyright (c) OpenMMLab. All rights reserved.
from .functional import *  # noqa: F401,F403
from .metrics import *  # noqa: F401,F403
from .strict_json import dumps_strict, strict_metrics  # noqa: F401
