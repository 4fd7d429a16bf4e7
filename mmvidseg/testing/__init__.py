# Copyright (c) OpenMMLab. All rights reserved.
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
    'dvpq_reference', 'vid_reference', 'vpq_reference', 'ytvis_reference'
]
