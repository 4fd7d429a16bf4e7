# Copyright (c) OpenMMLab. All rights reserved.
"""mmvidseg's registries, each a child of mmengine's root registry.

Modules of mmdet, mmseg and mmcv stay reachable from mmvidseg configs by
scope prefix, e.g. ``type='mmdet.HungarianAssigner'``. A registry's
``locations`` (the package that defines its modules) is imported lazily the
first time the registry is used with the ``mmvidseg`` scope, so configs need
no ``custom_imports``. Registries without ``locations`` have no mmvidseg
module yet: look-ups fall through to mmengine's (runners, loops,
optimizers, schedulers). Hooks, visualizers and inferencers have both:
ours (``mmvidseg.engine``, ``mmvidseg.visualization``, ``mmvidseg.apis``)
and, through the parents, mmengine's.
"""
from mmengine import registry as _root
from mmengine.registry import Registry


def _child(name: str, parent: Registry, *locations: str) -> Registry:
    """A registry named ``name`` under mmengine's ``parent``."""
    return Registry(name, parent=parent, locations=list(locations))


_DATA = 'mmvidseg.datasets'
_MODELS = 'mmvidseg.models'

# runtime: mmengine's modules through the parents, plus our hooks
RUNNERS = _child('runner', _root.RUNNERS)
LOOPS = _child('loop', _root.LOOPS)
HOOKS = _child('hook', _root.HOOKS, 'mmvidseg.engine')
LOG_PROCESSORS = _child('log_processor', _root.LOG_PROCESSORS)
OPTIMIZERS = _child('optimizer', _root.OPTIMIZERS)
OPTIM_WRAPPERS = _child('optim_wrapper', _root.OPTIM_WRAPPERS)
OPTIM_WRAPPER_CONSTRUCTORS = _child('optimizer wrapper constructor',
                                    _root.OPTIM_WRAPPER_CONSTRUCTORS)
PARAM_SCHEDULERS = _child('parameter scheduler', _root.PARAM_SCHEDULERS)
VISUALIZERS = _child('visualizer', _root.VISUALIZERS,
                     'mmvidseg.visualization')
VISBACKENDS = _child('vis_backend', _root.VISBACKENDS)

# data
DATASETS = _child('dataset', _root.DATASETS, _DATA)
DATA_SAMPLERS = _child('data sampler', _root.DATA_SAMPLERS, _DATA)
TRANSFORMS = _child('transform', _root.TRANSFORMS,
                    'mmvidseg.datasets.transforms')

# models
MODELS = _child('model', _root.MODELS, _MODELS)
MODEL_WRAPPERS = _child('model_wrapper', _root.MODEL_WRAPPERS, _MODELS)
WEIGHT_INITIALIZERS = _child('weight initializer',
                             _root.WEIGHT_INITIALIZERS, _MODELS)
TASK_UTILS = _child('task util', _root.TASK_UTILS, _MODELS)

# evaluation
METRICS = _child('metric', _root.METRICS, 'mmvidseg.evaluation')
EVALUATOR = _child('evaluator', _root.EVALUATOR, 'mmvidseg.evaluation')

# inference API
INFERENCERS = _child('inferencer', _root.INFERENCERS, 'mmvidseg.apis')
