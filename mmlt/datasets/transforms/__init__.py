from .class_frequency_pipeline import (ApplyByClassFrequency,
                                       bind_class_counts, iter_transforms)
from .group_pipeline import ApplyByGroup, build_sub_pipeline
from .loading import StrictLoadImageFromFile

__all__ = [
    'ApplyByClassFrequency', 'ApplyByGroup', 'StrictLoadImageFromFile',
    'bind_class_counts', 'build_sub_pipeline', 'iter_transforms'
]
