# Copyright (c) OpenMMLab. All rights reserved.
from .kernel_quasi_dense_tracker import KernelQuasiDenseTracker
from .vos_reid_tracker import VOSReIDTracker

__all__ = ['KernelQuasiDenseTracker', 'VOSReIDTracker']
