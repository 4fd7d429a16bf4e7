# Copyright (c) OpenMMLab. All rights reserved.
import subprocess
import sys

from mmengine.registry import DefaultScope


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
        "assert MODELS.get('mmdet.HungarianAssigner') is None\n"
        "from mmvidseg.registry import TASK_UTILS\n"
        "assert TASK_UTILS.get('mmdet.HungarianAssigner') is not None\n"
        "assert MODELS.get('mmseg.EncoderDecoder') is not None\n")
    subprocess.run([sys.executable, '-c', code], check=True)


def test_register_all_modules_sets_scope():
    from mmvidseg.utils import register_all_modules
    register_all_modules()
    assert DefaultScope.get_current_instance().scope_name == 'mmvidseg'
