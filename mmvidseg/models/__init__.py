# Copyright (c) OpenMMLab. All rights reserved.
"""mmvidseg's models, by role.

* ``video_models/``: one top-level model per method (what a config's
  ``model.type`` names), all built on :class:`BaseVideoModel`.
* ``backbones/``, ``necks/``, ``heads/``, ``trackers/``, ``losses/``,
  ``layers/``, ``task_modules/`` (match costs), ``data_preprocessors/``:
  the parts they share.
* ``tta/``: test-time augmentation wrappers (``tools/test.py --tta``).
"""
from .backbones import *  # noqa: F401,F403
from .data_preprocessors import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .layers import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .necks import *  # noqa: F401,F403
from .task_modules import *  # noqa: F401,F403
from .trackers import *  # noqa: F401,F403
from .tta import *  # noqa: F401,F403
from .utils import *  # noqa: F401,F403
from .video_models import *  # noqa: F401,F403
