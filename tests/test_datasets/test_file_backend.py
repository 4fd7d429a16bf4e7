# Copyright (c) OpenMMLab. All rights reserved.
"""Every dataset and loading transform reads through ``mmengine.fileio``.

A storage backend registered for the ``mem://`` prefix serves the toy
datasets from memory, but only to instances built with its ``store``
argument, i.e. only where ``backend_args`` reached the call: a read, check
or listing that ignores ``backend_args`` finds an empty store and fails.
Each dataset and its loading pipeline, built with ``backend_args``, must
give the same items and the same loaded arrays as from the local disk.
"""
import os
import os.path as osp
from collections import Counter
from typing import Dict, Iterator, Optional

import numpy as np
import pytest
from mmengine.fileio import BaseStorageBackend, register_backend

from mmvidseg.testing import TOY_CLASSES, TOY_THING_CLASSES

BACKEND = 'mmvidseg_test_memory'


class MemoryBackend(BaseStorageBackend):
    """Files kept in :attr:`STORES`, counting the calls it answers.

    Args:
        store (str, optional): Which store to serve. Defaults to None: an
            instance inferred from a ``mem://`` path without
            ``backend_args`` serves nothing (it can only join paths).
    """

    #: ``{store: {'mem://<name>/<relative path>': bytes}}``
    STORES: Dict[str, Dict[str, bytes]] = {}
    #: ``{method name: calls}`` of the instances serving a store.
    CALLS: Counter = Counter()

    def __init__(self, store: Optional[str] = None):
        self.store = store
        self.serving = bool(store)

    @property
    def files(self) -> Dict[str, bytes]:
        # looked up on each call: mmengine caches backend instances
        return self.STORES.get(self.store, {}) if self.store else {}

    def _count(self, method: str) -> None:
        if self.serving:
            self.CALLS[method] += 1

    def get(self, filepath) -> bytes:
        self._count('get')
        try:
            return self.files[str(filepath)]
        except KeyError:
            raise FileNotFoundError(str(filepath)) from None

    def get_text(self, filepath, encoding: str = 'utf-8') -> str:
        return self.get(filepath).decode(encoding)

    def isfile(self, filepath) -> bool:
        self._count('isfile')
        return str(filepath) in self.files

    def isdir(self, filepath) -> bool:
        self._count('isdir')
        prefix = str(filepath).rstrip('/') + '/'
        return any(path.startswith(prefix) for path in self.files)

    def exists(self, filepath) -> bool:
        return self.isfile(filepath) or self.isdir(filepath)

    def join_path(self, filepath, *filepaths) -> str:
        return '/'.join([str(filepath).rstrip('/')] +
                        [str(p) for p in filepaths])

    def list_dir_or_file(self,
                         dir_path,
                         list_dir: bool = True,
                         list_file: bool = True,
                         suffix=None,
                         recursive: bool = False) -> Iterator[str]:
        assert suffix is None and not recursive, 'not needed by mmvidseg'
        self._count('list_dir_or_file')
        prefix = str(dir_path).rstrip('/') + '/'
        files, dirs = set(), set()
        for path in self.files:
            if path.startswith(prefix):
                head, sep, _ = path[len(prefix):].partition('/')
                (dirs if sep else files).add(head)
        yield from sorted((dirs if list_dir else set())
                          | (files if list_file else set()))


register_backend(BACKEND, MemoryBackend, force=True, prefixes='mem')


def _serve(root: str, name: str) -> str:
    """Copy the files under ``root`` into store ``name``; its URI root."""
    uri = f'mem://{name}'
    files = {}
    for dirpath, _, names in os.walk(root):
        for fname in names:
            path = osp.join(dirpath, fname)
            with open(path, 'rb') as f:
                files[uri + '/' + osp.relpath(path, root)] = f.read()
    MemoryBackend.STORES[name] = files
    return uri


TOY_META = dict(classes=TOY_CLASSES, thing_classes=TOY_THING_CLASSES)


def _loaders(name: str) -> list:
    """The loading transforms of each format (backend_args added later)."""
    pan = dict(
        type='LoadPanopticMap',
        num_classes=len(TOY_CLASSES),
        with_instances=True)
    return {
        'vspw': [
            dict(
                type='LoadSemSegMap',
                num_classes=len(TOY_CLASSES),
                reduce_zero_label=True,
                ignore_values=(0, 253, 255))
        ],
        'kitti_step': [dict(pan, format='kitti_step')],
        'vipseg': [dict(pan, format='vipseg')],
        'cityscapes_dvps':
        [dict(pan, format='cityscapes_dvps'),
         dict(type='LoadDepthMap')],
        'semkitti_dvps':
        [dict(pan, format='semkitti_dvps'),
         dict(type='LoadDepthMap')],
        'cityscapes_vps': [dict(pan, format='coco_video')],
        'youtube_vis': [dict(type='LoadVideoInstances', with_mask=True)],
        'imagenet_vid': [dict(type='LoadVideoInstances')],
        'davis':
        [dict(type='LoadVOSAnnotation'),
         dict(type='LoadOpticalFlow')],
        'youtube_vos': [dict(type='LoadVOSAnnotation')],
    }[name]


#: ``{toy format: dataset config}`` (``data_root`` added later).
DATASETS = {
    'vspw':
    dict(type='VSPWDataset', ann_file='val.txt'),
    'kitti_step':
    dict(type='KITTISTEPDataset', metainfo=TOY_META),
    'vipseg':
    dict(type='VIPSegDataset'),
    'cityscapes_dvps':
    dict(type='CityscapesDVPSDataset', metainfo=TOY_META),
    'semkitti_dvps':
    dict(type='SemKITTIDVPSDataset', metainfo=TOY_META),
    'cityscapes_vps':
    dict(type='CityscapesVPSDataset', metainfo=TOY_META),
    'youtube_vis':
    dict(
        type='YouTubeVISDataset',
        ann_file='valid.json',
        data_prefix=dict(img_path='valid/JPEGImages')),
    'imagenet_vid':
    dict(type='ImageNetVIDDataset'),
    'davis':
    dict(
        type='DAVISDataset',
        data_prefix=dict(
            img_path='JPEGImages/480p',
            seg_map_path='Annotations/480p',
            flow_path='Flow/480p')),
    'youtube_vos':
    dict(type='YouTubeVOSDataset'),
}


def _build(name: str, root: str, backend_args: Optional[dict], **kwargs):
    from mmvidseg.registry import DATASETS as REGISTRY
    loaders = [dict(type='LoadImageFromFile')] + _loaders(name)
    pipeline = [
        dict(
            type='TransformBroadcaster',
            transforms=[dict(t, backend_args=backend_args) for t in loaders])
    ]
    cfg = dict(
        DATASETS[name],
        data_root=root,
        test_mode=True,
        pipeline=pipeline,
        backend_args=backend_args,
        **kwargs)
    return REGISTRY.build(cfg)


def _relative(value, root: str):
    """``value`` with the dataset root cut from its paths."""
    if isinstance(value, str):
        return value[len(root):] if value.startswith(root) else value
    if isinstance(value, dict):
        return {k: _relative(v, root) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_relative(v, root) for v in value)
    return value


def _assert_same(local, remote) -> None:
    """Equal arrays / masks / values, key by key."""
    if isinstance(local, dict):
        assert local.keys() == remote.keys()
        for key in local:
            _assert_same(local[key], remote[key])
    elif isinstance(local, (list, tuple)):
        assert len(local) == len(remote)
        for a, b in zip(local, remote):
            _assert_same(a, b)
    elif isinstance(local, np.ndarray):
        np.testing.assert_array_equal(local, remote)
    elif hasattr(local, 'masks'):  # BitmapMasks
        np.testing.assert_array_equal(local.masks, remote.masks)
    else:
        assert local == remote


@pytest.mark.parametrize('name', sorted(DATASETS))
def test_dataset_and_pipeline_through_backend(name, request):
    root = request.getfixturevalue(f'toy_{name}')[0]
    uri = _serve(root, name)
    local = _build(name, root, None)
    MemoryBackend.CALLS.clear()
    remote = _build(name, uri, dict(backend=BACKEND, store=name))
    assert MemoryBackend.CALLS['isfile'] > 0  # check_files
    assert len(remote) == len(local) > 0
    for idx in range(len(local)):
        assert _relative(remote.get_data_info(idx),
                         uri) == _relative(local.get_data_info(idx), root)
    loads = MemoryBackend.CALLS['get']
    got, want = remote.prepare_data(0), local.prepare_data(0)
    # a read per frame at least (annotation files: as many more)
    assert MemoryBackend.CALLS['get'] - loads >= len(want['img']) > 0
    _assert_same(_relative(got, uri), _relative(want, root))


@pytest.mark.parametrize('name', ['vspw', 'semkitti_dvps', 'youtube_vos'])
def test_listing_goes_through_backend(name, request):
    """Datasets that list folders do so with the backend."""
    uri = _serve(request.getfixturevalue(f'toy_{name}')[0], name)
    MemoryBackend.CALLS.clear()
    _build(name, uri, dict(backend=BACKEND, store=name))
    assert MemoryBackend.CALLS['list_dir_or_file'] > 0
    assert MemoryBackend.CALLS['isdir'] > 0


def test_backend_args_are_required(toy_kitti_step):
    """Without ``backend_args`` the ``mem://`` files are not found: the
    test above passes only because every access honours them."""
    uri = _serve(toy_kitti_step[0], 'kitti_step')
    with pytest.raises(FileNotFoundError, match='mem://kitti_step/'):
        _build('kitti_step', uri, None)


def test_missing_file_is_named(toy_kitti_step):
    uri = _serve(toy_kitti_step[0], 'kitti_step')
    missing = f'{uri}/video_sequence/val/000000_000002_panoptic.png'
    del MemoryBackend.STORES['kitti_step'][missing]
    backend_args = dict(backend=BACKEND, store='kitti_step')
    with pytest.raises(FileNotFoundError, match=missing):
        _build('kitti_step', uri, backend_args)
    # unchecked at construction: the loading transform names it
    ds = _build('kitti_step', uri, backend_args, check_files=False)
    with pytest.raises(FileNotFoundError, match=missing):
        ds.prepare_data(0)


def test_frame_triplets_through_backend(tmp_path):
    from mmvidseg.datasets import FrameTripletDataset
    from mmvidseg.testing import generate_toy_video
    from mmvidseg.testing.toy_formats import write_triplets
    root = str(tmp_path)
    write_triplets(
        root,
        {'train': [generate_toy_video(0, num_frames=4, height=16, width=24)]})
    uri = _serve(root, 'triplets')
    backend_args = dict(backend=BACKEND, store='triplets')

    def build(data_root, args, **kwargs):
        return FrameTripletDataset(
            data_root=data_root,
            pipeline=[dict(type='LoadFrameTriplet', backend_args=args)],
            backend_args=args,
            **kwargs)

    for kwargs in (dict(
            ann_file='data_list/ucf101_train_files_frame1.txt',
            data_prefix=dict(
                img_path='ucf101_triplets', mask_path='motion_masks')),
                   dict(
                       list_format='folder',
                       data_prefix=dict(img_path='videos'))):
        local = build(root, None, **kwargs)
        MemoryBackend.CALLS.clear()
        remote = build(uri, backend_args, **kwargs)
        assert len(remote) == len(local) == 2
        for idx in range(len(local)):
            assert _relative(remote.get_data_info(idx),
                             uri) == _relative(local.get_data_info(idx), root)
            _assert_same(
                _relative(remote[idx], uri), _relative(local[idx], root))
        assert MemoryBackend.CALLS['get'] >= 3 * len(local)
