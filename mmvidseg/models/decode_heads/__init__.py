# Copyright (c) OpenMMLab. All rights reserved.
from .cascade_stage_head import CascadeStageHead

__all__ = ['CascadeStageHead']
