# Copyright (c) OpenMMLab. All rights reserved.
import numpy as np

from ._io import SplitVideos, save_png, video_sequence_frames


def write_kitti_step(root: str, splits: SplitVideos) -> str:
    """KITTI-STEP: ``video_sequence/<split>/{seq}_{frame}_*.png``.

    ``{seq:06d}_{frame:06d}_leftImg8bit.png`` is the frame and
    ``..._panoptic.png`` an RGB PNG with R = semantic id (255 void) and
    instance id = G * 256 + B (0 on stuff and crowd). Sequences are numbered
    in list order within each split.
    """
    for stem, video, t in video_sequence_frames(root, splits):
        save_png(stem + '_leftImg8bit.png', video.images[t])
        inst = video.instance[t]
        pan = np.stack([
            video.semantic[t].astype(np.uint8), (inst // 256).astype(np.uint8),
            (inst % 256).astype(np.uint8)
        ], -1)
        save_png(stem + '_panoptic.png', pan)
    return root
