# Copyright (c) OpenMMLab. All rights reserved.
"""Official-style reference evaluators, used as test oracles.

Each is a straightforward per-frame, per-segment loop version of an
official evaluator's algorithm (Python dicts, one ``np.unique`` per frame
and per window, loops over segments), written from the published
algorithms, not copied. The vectorised implementations in
:mod:`mmvidseg.evaluation.functional` are checked against them on random
input (``tests/test_evaluation``) and timed against them by
``tools/analysis_tools/benchmark_metrics.py``. They are slow on purpose:
do not use them to evaluate a model.
"""
from .davis import davis_reference
from .dvpq import dvpq_reference
from .stq import STQReference
from .vid import vid_reference
from .vpq import vpq_reference
from .vspw import vspw_miou_reference, vspw_vc_reference
from .ytvis import ytvis_reference

__all__ = [
    'davis_reference', 'dvpq_reference', 'STQReference', 'vid_reference',
    'vpq_reference', 'ytvis_reference', 'vspw_miou_reference',
    'vspw_vc_reference'
]
