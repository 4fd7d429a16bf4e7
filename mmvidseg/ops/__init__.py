# Copyright (c) OpenMMLab. All rights reserved.
"""mmvidseg's own C++/CUDA ops.

Each op lives in ``mmvidseg/ops/<op>/`` with a pure-PyTorch reference, an
autograd ``Function``, an ``nn.Module`` and its kernels in ``csrc/``
(``*.cpp`` for the CPU and the Python binding, ``*.cu`` for CUDA), built by
``setup.py`` into ``mmvidseg.ops.<op>._ext``. mmcv's ops
(``mmcv.ops.MultiScaleDeformableAttention``, ``RoIAlign``...) are used
directly from mmcv.
"""
from .utils import compiled_ops, ext_available, load_ext

__all__ = ['compiled_ops', 'ext_available', 'load_ext']
