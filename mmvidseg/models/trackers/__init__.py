# Copyright (c) OpenMMLab. All rights reserved.
from .kernel_quasi_dense_tracker import KernelQuasiDenseTracker, mask_iou

__all__ = ['KernelQuasiDenseTracker', 'mask_iou']
