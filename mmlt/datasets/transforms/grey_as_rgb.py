"""Colour-image transforms on a grey image: run them on three equal
channels and keep one."""
from typing import Optional

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform

from mmlt.registry import TRANSFORMS
from .group_pipeline import PipelineCfg, build_sub_pipeline

__all__ = ['GreyAsRGB']


@TRANSFORMS.register_module()
class GreyAsRGB(BaseTransform):
    """Run ``transforms`` on a grey image as if it were a colour one.

    Some of MMPretrain's augmentations index three channels or convert BGR
    to grey: ``AutoContrast``, ``Equalize``, ``Contrast`` and
    ``ColorTransform`` fail on a grey ``HxW`` image, so ``RandAugment`` and
    ``AutoAugment``, which draw them, fail on Fashion-MNIST's 28x28 images.
    This wrapper repeats the grey image into three equal channels, runs the
    transforms, and keeps one channel, in the shape it was given (``HxW``
    or ``HxWx1``). Every transform of those policies treats equal channels
    alike (per-channel histograms and look-up tables, the same warp for
    each channel, colour saturation of a grey image is the image), so
    nothing is lost; a transform that makes the channels differ (a hue
    shift) is refused, since keeping one channel would then drop part of
    what it did.

    Random draws are the inner transforms' own (NumPy's global generator
    for MMPretrain's, which mmengine seeds per worker).

    Example (MMPretrain's RandAugment on Fashion-MNIST)::

        dict(type='GreyAsRGB', transforms=[
            dict(type='RandAugment', policies='timm_increasing',
                 num_policies=2, total_level=10, magnitude_level=9,
                 magnitude_std=0.5, hparams=dict(pad_val=0))])

    Args:
        transforms: The transforms (config dicts or callables) to run on
            the three-channel image.

    Required keys: ``img`` (a grey ``HxW`` or ``HxWx1`` array). Modified
    keys: ``img``, ``img_shape`` and whatever the inner transforms modify.
    """

    def __init__(self, transforms: PipelineCfg) -> None:
        self.transforms = build_sub_pipeline(transforms,
                                             'GreyAsRGB.transforms')

    def transform(self, results: dict) -> Optional[dict]:
        img = results.get('img')
        if not isinstance(img, np.ndarray):
            raise TypeError('GreyAsRGB needs results["img"] as a numpy '
                            f'array, got {type(img).__name__}')
        keep_axis = img.ndim == 3
        if img.ndim not in (2, 3) or (keep_axis and img.shape[2] != 1):
            raise ValueError(
                'GreyAsRGB takes a grey image (HxW or HxWx1), got shape '
                f'{img.shape}' + (f' of {results["img_path"]}'
                                  if 'img_path' in results else '') +
                '; a colour image needs no wrapper')
        results['img'] = mmcv.gray2rgb(img[:, :, 0] if keep_axis else img)
        results = self.transforms(results)
        if results is None:  # a transform dropped the sample
            return None
        out = results['img']
        if out.ndim != 3 or out.shape[2] != 3:
            raise ValueError(f'GreyAsRGB: the transforms returned an image '
                             f'of shape {out.shape}, not HxWx3')
        if not (np.array_equal(out[:, :, 0], out[:, :, 1])
                and np.array_equal(out[:, :, 0], out[:, :, 2])):
            raise ValueError(
                f'GreyAsRGB: the transforms {self.transforms} made the '
                'three channels differ (a colour change such as a hue '
                'shift); it keeps one channel, so it takes only transforms '
                'that keep a grey image grey')
        results['img'] = out[:, :, :1] if keep_axis else out[:, :, 0]
        results['img_shape'] = out.shape[:2]
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(transforms={self.transforms})'
