# Copyright (c) OpenMMLab. All rights reserved.
"""Write toy videos in the on-disk formats the real benchmarks ship in.

Every writer takes ``{split: [ToyVideo, ...]}`` and a root directory, writes
the benchmark's layout under it and returns the root. Class ids are
:data:`~mmvidseg.testing.TOY_CLASSES` indices, encoded the way each benchmark
encodes its own ids (e.g. VSPW stores ``class + 1``). One module per format.
"""
from ._io import SplitVideos, save_jpg, save_png
from .kitti_step import write_kitti_step
from .vspw import write_vspw

__all__ = ['SplitVideos', 'save_jpg', 'save_png', 'write_kitti_step',
           'write_vspw']
