# Copyright (c) OpenMMLab. All rights reserved.
from .kernel_quasi_dense_tracker import KernelQuasiDenseTracker

__all__ = ['KernelQuasiDenseTracker']
