# Copyright (c) OpenMMLab. All rights reserved.
import os
import os.path as osp
from typing import Dict, Optional
from xml.etree import ElementTree as ET

from ..toy_video import TOY_CLASSES, ToyVideo
from ._io import SplitVideos, save_jpg

#: WordNet ids written as ``<name>`` per toy thing class: car is the VID
#: ``car``, person stands for the person-like VID class ``monkey`` and ball
#: is DET's ``soccer ball``, one of the 170 DET classes outside VID.
TOY_DET_WNIDS = {
    'car': 'n02958343',
    'person': 'n02484322',
    'ball': 'n04254680'
}

#: DET's ``chair``, not a VID class: every toy DET image holds one such
#: object over the whole frame, which a VID converter must drop.
DET_ONLY_WNID = 'n03001627'

#: Folder of the toy images, as ``train/ILSVRC2014_train_0000`` in ILSVRC.
_FOLDER = 'train/ILSVRC2014_train_0000'


def imagenet_det_image_name(index: int) -> str:
    """Path of the ``index``-th toy DET image (0-based) under ``Data/DET``
    and ``Annotations/DET``, without extension."""
    return f'{_FOLDER}/ILSVRC2014_train_{index:08d}'


def _xml(name: str, video: ToyVideo, t: int, wnids: Dict[str, str]) -> str:
    height, width = video.images.shape[1:3]
    ann = ET.Element('annotation')
    ET.SubElement(ann, 'folder').text = osp.dirname(name)
    ET.SubElement(ann, 'filename').text = osp.basename(name)
    ET.SubElement(ET.SubElement(ann, 'source'), 'database').text = \
        'ILSVRC_2014'
    size = ET.SubElement(ann, 'size')
    ET.SubElement(size, 'width').text = str(width)
    ET.SubElement(size, 'height').text = str(height)
    boxes = [(wnids[TOY_CLASSES[video.track_label(track)]],
              video.box(t, track)) for track in video.visible_tracks(t)]
    boxes.append((DET_ONLY_WNID, (0, 0, width, height)))
    for wnid, (x1, y1, x2, y2) in boxes:
        node = ET.SubElement(ann, 'object')
        ET.SubElement(node, 'name').text = wnid
        box = ET.SubElement(node, 'bndbox')
        # ILSVRC boxes are inclusive: the toy's exclusive edge x2 -> x2 - 1
        for key, value in (('xmin', x1), ('xmax', x2 - 1), ('ymin', y1),
                           ('ymax', y2 - 1)):
            ET.SubElement(box, key).text = str(int(value))
    ET.indent(ann, '\t')
    return ET.tostring(ann, encoding='unicode') + '\n'


def write_imagenet_det(root: str,
                       splits: SplitVideos,
                       wnids: Optional[Dict[str, str]] = None) -> str:
    """ImageNet DET still images in the ILSVRC layout, one per toy frame.

    Layout (split ``train`` only, the DET images VID training uses)::

        <root>/Data/DET/train/ILSVRC2014_train_0000/<name>.JPEG
        <root>/Annotations/DET/<same relative path>.xml
        <root>/Lists/DET_train_30classes.txt

    ``<name>`` is ``ILSVRC2014_train_{index:08d}``, frames numbered over
    the videos in order (video 0's frames first), see
    :func:`imagenet_det_image_name`. XML as in ILSVRC DET: ``folder``,
    ``filename``, ``source``, ``size`` and per object ``name`` (a WordNet
    id) and ``bndbox`` with *inclusive* pixel coordinates (``xmax = x2 -
    1`` for the toy's exclusive box edge ``x2``); no ``trackid``,
    ``occluded`` or ``generated`` (those are VID fields). Each visible thing
    is an object named by ``wnids`` (default :data:`TOY_DET_WNIDS`), and
    every image also holds a :data:`DET_ONLY_WNID` object over the whole
    frame. The list has one ``<path> 1`` line per image, as
    ``DET_train_30classes.txt``.

    Args:
        root (str): Output directory.
        splits (SplitVideos): ``{'train': [ToyVideo, ...]}``.
        wnids (Dict[str, str], optional): WordNet id per toy thing class.

    Returns:
        str: ``root``.
    """
    wnids = wnids or TOY_DET_WNIDS
    for split in splits:
        if split != 'train':
            raise ValueError(f'toy ImageNet DET has the split "train" only, '
                             f'got {split!r}')
    lines = []
    for video in splits.get('train', []):
        for t in range(video.num_frames):
            name = imagenet_det_image_name(len(lines))
            save_jpg(osp.join(root, 'Data', 'DET', name + '.JPEG'),
                     video.images[t])
            xml_path = osp.join(root, 'Annotations', 'DET', name + '.xml')
            os.makedirs(osp.dirname(xml_path), exist_ok=True)
            with open(xml_path, 'w') as f:
                f.write(_xml(name, video, t, wnids))
            lines.append(f'{name} 1\n')
    os.makedirs(osp.join(root, 'Lists'), exist_ok=True)
    with open(osp.join(root, 'Lists', 'DET_train_30classes.txt'), 'w') as f:
        f.write(''.join(lines))
    return root
