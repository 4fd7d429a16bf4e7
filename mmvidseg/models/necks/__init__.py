# Copyright (c) OpenMMLab. All rights reserved.
from .knet_semantic_fpn import KNetSemanticFPN

__all__ = ['KNetSemanticFPN']
