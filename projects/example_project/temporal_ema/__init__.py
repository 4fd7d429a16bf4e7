# Copyright (c) OpenMMLab. All rights reserved.
from .temporal_ema_segmentor import TemporalEMASegmentor

__all__ = ['TemporalEMASegmentor']
