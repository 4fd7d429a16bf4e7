# Copyright (c) OpenMMLab. All rights reserved.
"""Frame triplets for video frame synthesis (Deep Voxel Flow's layouts).

Two layouts are written side by side, from every run of three consecutive
frames of every toy video:

* the **DVF release** (liuziwei7/voxel-flow): one folder per triplet,
  ``ucf101_triplets/<id>/frame_{1,2,3}.png`` (frame_2 is the middle frame,
  the interpolation target; frame_3 the extrapolation target), and three
  parallel lists ``data_list/ucf101_<split>_files_frame{1,2,3}.txt`` whose
  k-th lines (``<id>/frame_<j>.png``) form triplet k. Triplet ids count
  from 1 over all splits. Motion masks, a separate download in the release,
  go to ``motion_masks/<id>/motion_mask.png`` (uint8, 255 where the middle
  frame moves by at least ``motion_threshold`` px per frame: the toy videos
  carry exact flow);
* a **video folder** ``videos/<video>/<frame:06d>.png`` per video, with the
  list format of lxx1991/pytorch-voxel-flow, ``videos_<split>.txt``: one
  ``<video> <first frame index>`` line per triplet.

Example:
    >>> from mmvidseg.testing import generate_toy_video
    >>> from mmvidseg.testing.toy_formats import write_triplets
    >>> import tempfile
    >>> root = write_triplets(tempfile.mkdtemp(), {
    ...     'train': [generate_toy_video(0, num_frames=4)]})
"""
import os.path as osp

import numpy as np

from ._io import SplitVideos, mkdir, save_png

#: Name pattern of the release's triplet lists.
DVF_LIST = 'ucf101_{split}_files_frame{k}.txt'


def motion_mask(video, t: int, threshold: float = 1.0) -> np.ndarray:
    """uint8 (H, W) mask, 255 where frame ``t`` moves >= threshold px."""
    if t >= video.flow.shape[0]:
        raise ValueError(f'{video.name} has no flow for frame {t}')
    speed = np.linalg.norm(video.flow[t], axis=-1)
    return np.where(speed >= threshold, 255, 0).astype(np.uint8)


def write_triplets(root: str,
                   splits: SplitVideos,
                   motion_threshold: float = 1.0) -> str:
    """Write toy frame triplets in DVF's release layout and as videos.

    Args:
        root (str): Output directory.
        splits (dict[str, list[ToyVideo]]): Videos per split; each needs at
            least 3 frames.
        motion_threshold (float): Motion-mask threshold in px per frame.

    Returns:
        str: ``root``.
    """
    mkdir(osp.join(root, 'data_list'))
    next_id = 1
    for split, videos in splits.items():
        lists = {k: [] for k in (1, 2, 3)}
        pairs = []
        for video in videos:
            if video.num_frames < 3:
                raise ValueError(f'{video.name} has {video.num_frames} '
                                 'frames; a triplet needs 3')
            for t in range(video.num_frames):
                save_png(
                    osp.join(root, 'videos', video.name, f'{t:06d}.png'),
                    video.images[t])
            for t in range(video.num_frames - 2):
                tid = str(next_id)
                next_id += 1
                for k in (1, 2, 3):
                    rel = f'{tid}/frame_{k}.png'
                    save_png(osp.join(root, 'ucf101_triplets', rel),
                             video.images[t + k - 1])
                    lists[k].append(rel)
                save_png(
                    osp.join(root, 'motion_masks', tid, 'motion_mask.png'),
                    motion_mask(video, t + 1, motion_threshold))
                pairs.append(f'{video.name} {t}')
        for k, lines in lists.items():
            path = osp.join(root, 'data_list', DVF_LIST.format(split=split,
                                                               k=k))
            with open(path, 'w') as f:
                f.write(''.join(line + '\n' for line in lines))
        with open(osp.join(root, f'videos_{split}.txt'), 'w') as f:
            f.write(''.join(line + '\n' for line in pairs))
    return root
