# Copyright (c) OpenMMLab. All rights reserved.
from .vss_metric import VSSMetric

__all__ = ['VSSMetric']
