# Copyright (c) OpenMMLab. All rights reserved.
from .data_preprocessors import *  # noqa: F401,F403
from .segmentors import *  # noqa: F401,F403
from .utils import *  # noqa: F401,F403
