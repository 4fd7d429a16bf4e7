# Copyright (c) OpenMMLab. All rights reserved.
import os.path as osp
import subprocess
import sys

from mmengine.registry import DefaultScope

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def test_default_scope_resolves_without_imports():
    """With default_scope='mmvidseg', the lazy `locations` import modules:
    a fresh interpreter builds our modules with no explicit import."""
    code = (
        'from mmengine.registry import init_default_scope\n'
        'from mmvidseg.registry import MODELS, METRICS, TRANSFORMS\n'
        "init_default_scope('mmvidseg')\n"
        "assert MODELS.get('FrameSegmentor') is not None\n"
        "assert METRICS.get('VSSMetric') is not None\n"
        "assert TRANSFORMS.get('PackVideoInputs') is not None\n"
        "from mmvidseg.registry import HOOKS, INFERENCERS, VISUALIZERS\n"
        "assert HOOKS.get('VideoVisualizationHook') is not None\n"
        "assert VISUALIZERS.get('VideoLocalVisualizer') is not None\n"
        "assert INFERENCERS.get('VideoSegInferencer') is not None\n"
        "assert MODELS.get('mmdet.HungarianAssigner') is None\n"
        "from mmvidseg.registry import TASK_UTILS\n"
        "assert TASK_UTILS.get('mmdet.HungarianAssigner') is not None\n"
        "assert MODELS.get('mmseg.EncoderDecoder') is not None\n")
    subprocess.run([sys.executable, '-c', code], check=True)


def test_register_all_modules_sets_scope():
    from mmvidseg.utils import register_all_modules
    register_all_modules()
    assert DefaultScope.get_current_instance().scope_name == 'mmvidseg'


def _registries():
    from mmengine.registry import Registry

    import mmvidseg.registry as registry
    return {
        name: value
        for name, value in vars(registry).items()
        if isinstance(value, Registry) and not name.startswith('_')
    }


def test_every_registry_is_a_child_of_mmengines_with_importable_locations():
    import importlib

    from mmengine import registry as mmengine_registry
    registries = _registries()
    assert len(registries) == 20
    for name, registry in registries.items():
        assert registry.scope == 'mmvidseg', name
        assert registry.parent is getattr(mmengine_registry, name), name
        for location in registry._locations:
            importlib.import_module(location)  # each location exists


def _build_each(tmp_path):
    """One module built by name from every registry (mmvidseg scope)."""
    import torch
    from mmengine.config import Config

    import mmvidseg.registry as r

    model_cfg = Config.fromfile(osp.join(ROOT, 'configs', 'frame_baseline',
                                         'frame-baseline_fcn-r18-w16_1xb4-'
                                         '1k_toy-vspw.py'))
    model = model_cfg.model
    param = torch.nn.Parameter(torch.zeros(2))
    optimizer = r.OPTIMIZERS.build(dict(type='SGD', lr=0.1, params=[param]))
    runner = r.RUNNERS.build(
        dict(type='Runner', model=model, work_dir=str(tmp_path / 'run'),
             experiment_name='registry-test', default_scope='mmvidseg'))
    return dict(
        RUNNERS=runner,
        LOOPS=r.LOOPS.build(
            dict(type='TestLoop', runner=runner, evaluator=[],
                 dataloader=torch.utils.data.DataLoader([0]))),
        HOOKS=r.HOOKS.build(dict(type='CheckpointHook', interval=5)),
        LOG_PROCESSORS=r.LOG_PROCESSORS.build(dict(type='LogProcessor')),
        OPTIMIZERS=optimizer,
        OPTIM_WRAPPERS=r.OPTIM_WRAPPERS.build(
            dict(type='OptimWrapper', optimizer=optimizer)),
        OPTIM_WRAPPER_CONSTRUCTORS=r.OPTIM_WRAPPER_CONSTRUCTORS.build(
            dict(type='DefaultOptimWrapperConstructor',
                 optim_wrapper_cfg=dict(
                     type='OptimWrapper', optimizer=dict(type='SGD',
                                                         lr=0.1)))),
        PARAM_SCHEDULERS=r.PARAM_SCHEDULERS.build(
            dict(type='ConstantLR', optimizer=optimizer)),
        VISUALIZERS=r.VISUALIZERS.build(
            dict(type='Visualizer', name='registry-test')),
        VISBACKENDS=r.VISBACKENDS.build(
            dict(type='LocalVisBackend', save_dir=str(tmp_path / 'vis'))),
        DATASETS=r.DATASETS.build(
            dict(type='VSPWDataset', data_root=str(tmp_path),
                 lazy_init=True)),
        DATA_SAMPLERS=r.DATA_SAMPLERS.build(
            dict(type='DefaultSampler', dataset=list(range(4)),
                 shuffle=False)),
        TRANSFORMS=r.TRANSFORMS.build(dict(type='PackVideoInputs')),
        MODELS=r.MODELS.build(dict(type='TotalVariationLoss')),
        MODEL_WRAPPERS=r.MODEL_WRAPPERS.get('MMDistributedDataParallel'),
        WEIGHT_INITIALIZERS=r.WEIGHT_INITIALIZERS.build(
            dict(type='Constant', val=1.0)),
        TASK_UTILS=r.TASK_UTILS.build(
            dict(type='mmdet.HungarianAssigner',
                 match_costs=[dict(type='mmdet.ClassificationCost')])),
        METRICS=r.METRICS.build(dict(type='VSSMetric')),
        EVALUATOR=r.EVALUATOR.build(
            dict(type='Evaluator', metrics=[dict(type='VSSMetric')])),
        INFERENCERS=r.INFERENCERS.build(
            dict(type='VideoSegInferencer', model=model_cfg, device='cpu')),
    )


def test_one_module_is_built_from_every_registry_by_name(tmp_path):
    from mmengine.registry import init_default_scope
    init_default_scope('mmvidseg')
    built = _build_each(tmp_path)
    assert set(built) == set(_registries())
    for name, module in built.items():
        assert module is not None, name
    assert type(built['MODELS']).__module__.startswith('mmvidseg.models')
    assert type(built['METRICS']).__module__.startswith('mmvidseg.')
    assert type(built['DATASETS']).__name__ == 'VSPWDataset'
    assert type(built['INFERENCERS']).__module__.startswith('mmvidseg.apis')
