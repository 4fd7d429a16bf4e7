# Copyright (c) OpenMMLab. All rights reserved.
from .rle import (InvalidRLEError, area_and_intersections,
                  area_and_intersections_reference)

__all__ = [
    'InvalidRLEError', 'area_and_intersections',
    'area_and_intersections_reference'
]
