# Copyright (c) OpenMMLab. All rights reserved.
"""Write toy videos in the on-disk formats the real benchmarks ship in.

Every writer takes ``{split: [ToyVideo, ...]}`` and a root directory, writes
the benchmark's layout under it and returns the root. Class ids are
:data:`~mmvidseg.testing.TOY_CLASSES` indices, encoded the way each benchmark
encodes its own ids (e.g. VSPW stores ``class + 1``). One module per format.
"""
from ._io import (SplitVideos, id2rgb, read_flo, rgb2id, rle_encode, save_jpg,
                  save_json, save_palette_png, save_png, voc_palette,
                  write_flo)
from .cityscapes_dvps import write_cityscapes_dvps
from .cityscapes_vps import cityscapes_vps_categories, write_cityscapes_vps
from .davis import (DAVIS_PALETTE, davis_object_ids, write_davis,
                    write_small_davis)
from .imagenet_det import (DET_ONLY_WNID, TOY_DET_WNIDS,
                           imagenet_det_image_name, write_imagenet_det)
from .imagenet_vid import (TOY_VID_WNIDS, imagenet_vid_categories,
                           write_imagenet_vid)
from .kitti_step import write_kitti_step
from .semkitti_dvps import write_semkitti_dvps
from .triplets import write_triplets
from .vipseg import encode_panomask, vipseg_categories, write_vipseg
from .vspw import write_vspw
from .youtube_vis import write_youtube_vis, youtube_vis_categories
from .youtube_vos import write_youtube_vos

__all__ = [
    'SplitVideos', 'save_jpg', 'save_png', 'save_json', 'save_palette_png',
    'voc_palette', 'rle_encode', 'id2rgb', 'rgb2id', 'write_flo', 'read_flo',
    'write_kitti_step', 'write_vspw', 'write_youtube_vis',
    'youtube_vis_categories', 'write_imagenet_vid', 'imagenet_vid_categories',
    'TOY_VID_WNIDS', 'write_imagenet_det', 'TOY_DET_WNIDS', 'DET_ONLY_WNID',
    'imagenet_det_image_name', 'write_vipseg', 'vipseg_categories',
    'encode_panomask',
    'write_cityscapes_dvps', 'write_semkitti_dvps', 'write_davis',
    'write_small_davis', 'davis_object_ids', 'DAVIS_PALETTE', 'write_triplets',
    'write_cityscapes_vps', 'cityscapes_vps_categories', 'write_youtube_vos'
]
