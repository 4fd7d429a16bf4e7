# Copyright (c) OpenMMLab. All rights reserved.
"""Toy frames as the image datasets of mmseg read them (Cityscapes with
train ids, PASCAL VOC 2012 + SBD aug), for image segmentors such as the
Deep Layer Cascade. Every frame of every video is one image; class ids are
written as they are (relabel the videos to the dataset's ids first)."""
import os.path as osp

from ._io import (SplitVideos, mkdir, save_jpg, save_palette_png, save_png,
                  voc_palette)


def write_cityscapes_images(root: str, splits: SplitVideos) -> str:
    """Cityscapes as mmseg's ``CityscapesDataset`` reads it.

    Layout::

        <root>/leftImg8bit/<split>/<video>/<video>_<t:06d>_leftImg8bit.png
        <root>/gtFine/<split>/<video>/<video>_<t:06d>_gtFine_labelTrainIds.png

    The label PNGs hold train ids (0..18 in the real dataset, 255 void), as
    mmseg's ``tools/dataset_converters/cityscapes.py`` writes them; each
    video is a "city" folder.

    Args:
        root (str): Output directory.
        splits (dict): ``{split: [ToyVideo, ...]}``.

    Returns:
        str: ``root``.
    """
    for split, videos in splits.items():
        for video in videos:
            for t in range(video.num_frames):
                stem = f'{video.name}_{t:06d}'
                save_png(
                    osp.join(root, 'leftImg8bit', split, video.name,
                             stem + '_leftImg8bit.png'), video.images[t])
                save_png(
                    osp.join(root, 'gtFine', split, video.name,
                             stem + '_gtFine_labelTrainIds.png'),
                    video.semantic[t])
    return root


def write_pascal_voc(root: str, splits: SplitVideos) -> str:
    """PASCAL VOC 2012 (+ SBD aug) as mmseg's ``PascalVOCDataset`` reads it.

    Layout::

        <root>/JPEGImages/<video>_<t:06d>.jpg
        <root>/SegmentationClass/<video>_<t:06d>.png     # palette PNG
        <root>/SegmentationClassAug/<video>_<t:06d>.png  # grey PNG
        <root>/ImageSets/Segmentation/<split>.txt        # image names

    Both label folders hold the class ids (0 background .. 20 in the real
    dataset, 255 boundary / void): ``SegmentationClass`` as the release's
    VOC-palette PNGs, ``SegmentationClassAug`` as the grey PNGs of mmseg's
    ``voc_aug.py``. Name the splits as the configs do (``train``, ``aug``,
    ``val``).

    Args:
        root (str): Output directory.
        splits (dict): ``{split: [ToyVideo, ...]}``.

    Returns:
        str: ``root``.
    """
    palette = voc_palette()
    for split, videos in splits.items():
        names = []
        for video in videos:
            for t in range(video.num_frames):
                name = f'{video.name}_{t:06d}'
                names.append(name)
                save_jpg(
                    osp.join(root, 'JPEGImages', name + '.jpg'),
                    video.images[t])
                save_palette_png(
                    osp.join(root, 'SegmentationClass', name + '.png'),
                    video.semantic[t], palette)
                save_png(
                    osp.join(root, 'SegmentationClassAug', name + '.png'),
                    video.semantic[t])
        lists = mkdir(osp.join(root, 'ImageSets', 'Segmentation'))
        with open(osp.join(lists, f'{split}.txt'), 'w') as f:
            f.write(''.join(name + '\n' for name in names))
    return root
