# Copyright (c) OpenMMLab. All rights reserved.
from .depth_semantic_fpn import DepthSemanticFPN
from .knet_semantic_fpn import KNetSemanticFPN

__all__ = ['DepthSemanticFPN', 'KNetSemanticFPN']
