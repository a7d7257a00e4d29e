from .class_frequency_pipeline import ApplyByClassFrequency, iter_transforms
from .group_pipeline import ApplyByGroup, build_sub_pipeline
from .grey_as_rgb import GreyAsRGB
from .grey_to_rgb import GreyToRGB
from .loading import StrictLoadImageFromFile

__all__ = [
    'ApplyByClassFrequency', 'ApplyByGroup', 'GreyAsRGB', 'GreyToRGB',
    'StrictLoadImageFromFile',
    'build_sub_pipeline', 'iter_transforms'
]
