# Copyright (c) OpenMMLab. All rights reserved.
"""What the video inferencers share: model building, dataset meta, the
visualiser, and the test pipeline adapted to in-memory frames."""
import copy
import os.path as osp
import warnings
from datetime import datetime
from typing import List, Optional

import torch.nn as nn
from mmengine.config import Config, ConfigDict
from mmengine.dataset import pseudo_collate
from mmengine.infer import BaseInferencer
from mmengine.registry import FUNCTIONS, init_default_scope

from mmvidseg.registry import DATASETS
from mmvidseg.visualization import VideoLocalVisualizer

#: Transforms that pick frames from a dataset's video: the inferencer feeds
#: the frames itself.
FRAME_SAMPLERS = ('VideoFrameSample', 'UniformRefFrameSample',
                  'TrackImgSampler')


def _type_name(transform: dict) -> str:
    """``'Resize'`` of ``dict(type='mmdet.Resize')`` (or of a class)."""
    kind = transform.get('type', '')
    return kind.split('.')[-1] if isinstance(kind, str) else kind.__name__


def array_pipeline(pipeline: List[dict]) -> List[dict]:
    """A test pipeline adapted to frames given as arrays.

    Every image loader (a transform named ``LoadImage*``) becomes mmdet's
    ``LoadImageFromNDArray`` (reads ``results['img']``, sets ``img_shape``
    and ``ori_shape``), every other loader (annotations: ``LoadSemSegMap``,
    ``LoadPanopticMap``, ``LoadVideoInstances``, ...) and every frame
    sampler is dropped, and wrappers (``TransformBroadcaster``) are adapted
    inside; resizing, normalising and packing stay as they are.

    Args:
        pipeline (list[dict]): The config's test pipeline.

    Returns:
        list[dict]: The adapted pipeline (a copy).
    """
    adapted = []
    for transform in pipeline:
        transform = copy.deepcopy(transform)
        name = _type_name(transform)
        if name in FRAME_SAMPLERS:
            continue
        if isinstance(transform.get('transforms'), (list, tuple)):
            transform['transforms'] = array_pipeline(transform['transforms'])
        elif name.startswith('LoadImage'):
            transform = dict(type='mmdet.LoadImageFromNDArray')
        elif name.startswith('Load'):
            continue
        adapted.append(transform)
    return adapted


def test_pipeline_of(cfg) -> List[dict]:
    """The test pipeline of a config: ``test_dataloader.dataset.pipeline``
    (or ``test_pipeline``).

    Raises:
        ValueError: The config has neither.
    """
    dataset = cfg.get('test_dataloader', {}).get('dataset', {})
    pipeline = dataset.get('pipeline') or cfg.get('test_pipeline')
    if not pipeline:
        raise ValueError('the config has no test_dataloader.dataset.pipeline '
                         'nor test_pipeline')
    return list(pipeline)


def dataset_meta_of(cfg) -> dict:
    """``classes`` / ``palette`` / ... of a config's test dataset: the
    dataset class's ``METAINFO`` updated with the config's ``metainfo``
    (classes read from the data files at load time are not known)."""
    dataset = cfg.get('test_dataloader', {}).get('dataset', {})
    meta = {}
    kind = dataset.get('type')
    cls = DATASETS.get(kind) if isinstance(kind, str) else kind
    if cls is not None:
        meta.update(copy.deepcopy(getattr(cls, 'METAINFO', {}) or {}))
    meta.update(copy.deepcopy(dict(dataset.get('metainfo') or {})))
    return {k: v for k, v in meta.items() if v is not None}


class BaseVideoInferencer(BaseInferencer):
    """An mmengine ``BaseInferencer`` for mmvidseg models.

    Builds the model from a config (path or ``Config``) in the ``mmvidseg``
    scope and loads ``weights`` through mmengine's checkpoint loaders
    (mmvidseg's safe ones: a checkpoint that pickles code is refused).
    Without ``weights`` the model keeps its random initialisation (a
    warning says so). The dataset meta (classes, palette) comes from the
    checkpoint's ``meta['dataset_meta']``, else from the config's test
    dataset.

    Args:
        model (str | Config | dict): Config file, config, or the name of a
            model in ``model-index.yml`` (e.g.
            ``'video-knet_r18-w16_1xb2-6k_toy-kitti-step'``; its metafile's
            ``Weights`` are used when no ``weights`` are given).
        weights (str, optional): Checkpoint. Defaults to None.
        device (str, optional): e.g. ``'cpu'``, ``'cuda:0'``. Defaults to
            None (CUDA when available).
        show_progress (bool): Progress bar on inputs of known length.
            Defaults to True.
    """

    def __init__(self,
                 model,
                 weights: Optional[str] = None,
                 device: Optional[str] = None,
                 show_progress: bool = True) -> None:
        init_default_scope('mmvidseg')
        if weights is not None and '://' not in weights and \
                not osp.isfile(weights):
            raise FileNotFoundError(f'checkpoint {weights} does not exist')
        self.dataset_meta: dict = {}
        super().__init__(
            model=model,
            weights=weights,
            device=device,
            scope='mmvidseg',
            show_progress=show_progress)

    def _load_model_from_metafile(self, model: str):
        """Config and weights of a model named in ``model-index.yml``: the
        installed package's ``mmvidseg/.mim`` or the source tree's."""
        package = osp.dirname(osp.dirname(osp.abspath(__file__)))
        root = osp.join(package, '.mim')
        if not osp.isfile(osp.join(root, 'model-index.yml')):
            root = osp.dirname(package)
        if not osp.isfile(osp.join(root, 'model-index.yml')):
            raise FileNotFoundError(
                f'{model!r} is neither a config file nor a model name: no '
                f'model-index.yml in {package}/.mim or {root}')
        models = BaseInferencer._get_models_from_metafile(root)
        names = {}
        for entry in models:
            for name in [entry['Name']] + list(entry.get('Alias', [])):
                names[name.lower()] = entry
        entry = names.get(model.lower())
        if entry is None:
            raise ValueError(
                f'{model!r} is neither a config file nor a model of '
                f'{root}/model-index.yml (e.g. '
                f'{sorted(names)[:3]}; `mim search mmvidseg` lists them)')
        weights = entry.get('Weights')
        if isinstance(weights, list):
            weights = weights[0]
        return Config.fromfile(osp.join(root, entry['Config'])), weights

    def _init_model(self, cfg, weights, device='cpu') -> nn.Module:
        model = super()._init_model(cfg, weights, device)
        self.check_model(model, cfg)
        return model

    def check_model(self, model: nn.Module, cfg) -> None:
        """Raise if the model does not suit the inferencer (subclasses)."""

    def _load_weights_to_model(self, model, checkpoint, cfg) -> None:
        if checkpoint is None:
            warnings.warn('No checkpoint given: the predictions come from '
                          'the randomly initialised model')
        else:
            super()._load_weights_to_model(model, checkpoint, cfg)
        meta = (checkpoint or {}).get('meta', {}) or {}
        self.dataset_meta = dict(meta.get('dataset_meta') or {}) or \
            dataset_meta_of(cfg)
        model.dataset_meta = self.dataset_meta

    def _init_collate(self, cfg):
        """The test loader's ``collate_fn`` (mmengine's registry: mmvidseg
        has none of its own), default ``pseudo_collate``."""
        collate = cfg.get('test_dataloader', {}).get('collate_fn')
        if collate is None:
            return pseudo_collate
        kind = collate.get('type') if isinstance(collate, dict) else collate
        return FUNCTIONS.get(kind) if isinstance(kind, str) else kind

    def _init_visualizer(self, cfg) -> VideoLocalVisualizer:
        """A :class:`VideoLocalVisualizer` (the config's settings kept when
        it names one; never its vis backends: drawings are returned or
        written by the inferencer)."""
        vis_cfg = ConfigDict(copy.deepcopy(cfg.get('visualizer') or {}))
        kind = vis_cfg.get('type', '')
        kind = kind.split('.')[-1] if isinstance(kind, str) else \
            getattr(kind, '__name__', '')
        if kind != 'VideoLocalVisualizer':
            vis_cfg = ConfigDict(type='VideoLocalVisualizer')
        vis_cfg.pop('vis_backends', None)
        vis_cfg.pop('save_dir', None)
        vis_cfg.pop('type')
        vis_cfg['name'] = (f'{type(self).__name__}-'
                           f'{datetime.now().timestamp()}-{id(self)}')
        visualizer = VideoLocalVisualizer(**vis_cfg)
        visualizer.dataset_meta = self.dataset_meta
        return visualizer

    # mmengine's BaseInferencer declares these abstract; each video
    # inferencer streams frames through its own ``__call__`` and defines the
    # ones it uses
    def _init_pipeline(self, cfg):
        raise NotImplementedError(
            f'{type(self).__name__} must define its test pipeline')

    def visualize(self, inputs, preds, **kwargs):
        raise NotImplementedError(
            f'{type(self).__name__} draws its outputs in __call__ (use '
            'return_vis / out_dir), not through visualize()')

    def postprocess(self, preds, visualization, return_datasample=False,
                    **kwargs):
        raise NotImplementedError(
            f'{type(self).__name__} returns its outputs from __call__, '
            'not through postprocess()')
