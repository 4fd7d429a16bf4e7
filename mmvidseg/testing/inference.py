# Copyright (c) OpenMMLab. All rights reserved.
"""Helpers of the inference, visualisation and demo tests: toy videos as
files, random-weight checkpoints, and the repository's scripts
(``tools/test.py``, ``demo/*.py``) run in the calling process."""
import importlib.util
import os.path as osp
import pickle
import sys
from typing import List, Sequence

import cv2
import numpy as np

#: The repository root (configs/, tools/, demo/).
REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def repo_path(*parts: str) -> str:
    """A path under the repository root."""
    return osp.join(REPO_ROOT, *parts)


def write_video(path: str, frames_bgr: Sequence[np.ndarray],
                fps: float = 10.0) -> str:
    """Write (H, W, 3) uint8 BGR frames with OpenCV (``mp4v`` for ``.mp4``,
    ``MJPG`` otherwise).

    Raises:
        RuntimeError: This OpenCV build cannot write the format (tests then
            fall back to ``.avi``).
    """
    height, width = frames_bgr[0].shape[:2]
    fourcc = 'mp4v' if path.endswith('.mp4') else 'MJPG'
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*fourcc), fps,
                             (width, height))
    if not writer.isOpened():
        raise RuntimeError(f'OpenCV cannot write {path} with {fourcc}')
    for frame in frames_bgr:
        writer.write(np.ascontiguousarray(frame))
    writer.release()
    return path


def write_toy_video_file(folder: str, frames_bgr: Sequence[np.ndarray],
                         name: str = 'toy', fps: float = 10.0) -> str:
    """``<folder>/<name>.mp4``, or ``<name>.avi`` (MJPG) when this OpenCV
    cannot write mp4; returns the path written."""
    try:
        return write_video(osp.join(folder, name + '.mp4'), frames_bgr, fps)
    except RuntimeError:
        return write_video(osp.join(folder, name + '.avi'), frames_bgr, fps)


def read_video(path: str) -> List[np.ndarray]:
    """The BGR frames of a video file, read as the inferencers read it
    (``mmcv.VideoReader``)."""
    import mmcv
    return [frame.copy() for frame in mmcv.VideoReader(path)]


#: Parameters that mmdet allocates uninitialised (``torch.Tensor(n, c)``)
#: and only fills in ``init_weights()`` (Deformable DETR's level
#: embedding): :func:`random_checkpoint` draws them from N(0, 1) as
#: ``init_weights()`` does, else they hold whatever memory held (NaN
#: boxes, at random).
UNINITIALISED = ('level_embed', )


def random_checkpoint(config: str, path: str, seed: int = 0) -> str:
    """Save the config's model, randomly initialised with ``seed``, as a
    checkpoint (``state_dict`` and an empty ``meta``); see
    :data:`UNINITIALISED`."""
    import torch
    from mmengine.config import Config

    from mmvidseg.registry import MODELS
    from mmvidseg.utils import register_all_modules
    register_all_modules()
    torch.manual_seed(seed)
    # PyTorch's default initialisation (init_weights() would log every
    # parameter; a random model is all the tests need)
    model = MODELS.build(Config.fromfile(config).model)
    for name, param in model.named_parameters():
        if name.split('.')[-1] in UNINITIALISED:
            torch.nn.init.normal_(param.data)
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return path


def load_script(name: str):
    """A script of the repository (``'tools/test.py'``, ``'demo/...'``) as
    a module, without running its ``__main__`` block."""
    path = repo_path(name)
    module_name = 'mmvidseg_script_' + osp.splitext(name)[0].replace(
        '/', '_').replace('-', '_')
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_test_py(config: str, checkpoint: str, data_root: str, work_dir: str,
                *extra: str) -> list:
    """``tools/test.py CONFIG CHECKPOINT --out <work_dir>/preds.pkl`` in
    this process, testing on ``data_root`` with in-process data loading.

    Args:
        config (str): Config file.
        checkpoint (str): Checkpoint file.
        data_root (str): Replaces ``test_dataloader.dataset.data_root``.
        work_dir (str): The run's work dir.
        *extra (str): More command-line arguments (before
            ``--cfg-options``).

    Returns:
        list: The per-frame samples it predicted (``DetDataSample``), all
        videos in order.
    """
    out = osp.join(work_dir, 'preds.pkl')
    argv = [
        'tools/test.py', config, checkpoint, '--work-dir', work_dir, '--out',
        out, *extra, '--cfg-options',
        f'test_dataloader.dataset.data_root={data_root}',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False'
    ]
    saved = sys.argv
    sys.argv = argv
    try:
        load_script('tools/test.py').main()
    finally:
        sys.argv = saved
    with open(out, 'rb') as f:
        videos = pickle.load(f)
    return [frame for video in videos for frame in video['video_data_samples']]
