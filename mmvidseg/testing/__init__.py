# Copyright (c) OpenMMLab. All rights reserved.
from .config_check import (ConfigCheckError, DatasetSpec, InputSpec,
                           check_config, dataset_specs, non_toy_configs,
                           write_real_size_data)
from .reference_evaluators import (STQReference, davis_reference,
                                   dvpq_reference, vid_reference,
                                   vpq_reference, ytvis_reference)
from .toy_video import (TOY_CLASSES, TOY_IGNORE, TOY_PALETTE,
                        TOY_STUFF_CLASSES, TOY_THING_CLASSES, ToyObject,
                        ToyVideo, generate_toy_video, generate_toy_videos)

__all__ = [
    'TOY_CLASSES', 'TOY_IGNORE', 'TOY_PALETTE', 'TOY_STUFF_CLASSES',
    'TOY_THING_CLASSES', 'ToyObject', 'ToyVideo', 'generate_toy_video',
    'generate_toy_videos', 'STQReference', 'davis_reference',
    'dvpq_reference', 'vid_reference', 'vpq_reference', 'ytvis_reference',
    'ConfigCheckError', 'DatasetSpec', 'InputSpec', 'check_config',
    'dataset_specs', 'non_toy_configs', 'write_real_size_data'
]
