"""Grey images as three equal channels, for backbones pretrained on RGB."""
import mmcv
import numpy as np
from mmcv.transforms import BaseTransform

from mmlt.registry import TRANSFORMS

__all__ = ['GreyToRGB']


@TRANSFORMS.register_module()
class GreyToRGB(BaseTransform):
    """Repeat a grey ``results['img']`` (``HxW`` or ``HxWx1``) into three
    equal channels (``HxWx3``, same dtype), as an ImageNet-pretrained
    backbone expects; the data preprocessor's three-channel mean/std then
    normalises each copy with its channel's statistics.

    A three-channel image is refused, not passed on: a pipeline that applies
    this transform to colour images mixes up its datasets, and that should
    not go unnoticed.

    Required keys: ``img``. Modified keys: ``img``, ``img_shape``.
    """

    def transform(self, results: dict) -> dict:
        img = results.get('img')
        if not isinstance(img, np.ndarray):
            raise TypeError('GreyToRGB needs results["img"] as a numpy '
                            f'array, got {type(img).__name__}')
        if img.ndim == 3 and img.shape[2] == 1:
            img = img[:, :, 0]
        if img.ndim != 2:
            raise ValueError('GreyToRGB takes a grey image (HxW or HxWx1), '
                             f'got shape {img.shape}'
                             + (f' of {results["img_path"]}'
                                if 'img_path' in results else ''))
        results['img'] = mmcv.gray2rgb(img)
        results['img_shape'] = img.shape[:2]
        return results
