from .class_frequency_pipeline import ApplyByClassFrequency, iter_transforms
from .group_pipeline import ApplyByGroup, build_sub_pipeline
from .loading import StrictLoadImageFromFile

__all__ = [
    'ApplyByClassFrequency', 'ApplyByGroup', 'StrictLoadImageFromFile',
    'build_sub_pipeline', 'iter_transforms'
]
