# Copyright (c) OpenMMLab. All rights reserved.
from .modules import FeatureCompressor, PixelMatchingHead, masked_topk_mean
from .plm import PLM, object_ids_of, random_affine

__all__ = [
    'FeatureCompressor', 'PixelMatchingHead', 'PLM', 'masked_topk_mean',
    'object_ids_of', 'random_affine'
]
