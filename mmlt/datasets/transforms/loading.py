"""Image loading that fails with the path in the message."""
from typing import Optional

import mmcv
import numpy as np
from mmcv.transforms import LoadImageFromFile
from mmengine import fileio

from mmlt.registry import TRANSFORMS

__all__ = ['StrictLoadImageFromFile']


@TRANSFORMS.register_module()
class StrictLoadImageFromFile(LoadImageFromFile):
    """``LoadImageFromFile`` that names the image when it cannot be used.

    mmcv's transform ends in ``assert img is not None`` when the bytes do not
    decode (a truncated or non-image file) and, with ``ignore_empty=True``,
    lets mmengine silently fetch another sample. This one raises
    ``FileNotFoundError`` for a missing file and ``ValueError`` for an
    undecodable one, both naming the path (and the annotation line when the
    dataset recorded it as ``ann_source``). Arguments as mmcv's, except that
    ``ignore_empty`` must stay False.

    An image already in memory (``results['img']`` without ``img_path``, as
    MMPretrain's ``ImageClassificationInferencer`` passes a file it read or
    a numpy array: it removes only a step named ``LoadImageFromFile``) is
    passed on as it is, so mmlt configs work with the Inferencer.
    """

    def __init__(self, *args, **kwargs) -> None:
        if kwargs.get('ignore_empty'):
            raise ValueError('StrictLoadImageFromFile does not skip images: '
                             'ignore_empty=True would drop samples silently')
        super().__init__(*args, **kwargs)

    def transform(self, results: dict) -> Optional[dict]:
        if 'img_path' not in results:
            if results.get('img', None) is None:
                raise KeyError(
                    'StrictLoadImageFromFile needs "img_path" (an image '
                    'file) or "img" (an image already loaded), got keys '
                    f'{sorted(results)}')
            return self._in_memory(results)
        filename = results['img_path']
        where = f' (annotation {results["ann_source"]})' \
            if 'ann_source' in results else ''
        try:
            img_bytes = fileio.get(filename, backend_args=self.backend_args)
        except FileNotFoundError as e:
            raise FileNotFoundError(
                f'image not found: {filename}{where}') from e
        except OSError as e:
            raise OSError(f'cannot read image {filename}{where}: {e}') from e
        try:
            img = mmcv.imfrombytes(
                img_bytes, flag=self.color_type,
                backend=self.imdecode_backend)
        except Exception as e:  # decoders raise various types
            raise ValueError(
                f'cannot decode image {filename}{where}: {e}') from e
        if img is None:
            raise ValueError(f'cannot decode image {filename}{where}: not an '
                             f'image or truncated ({len(img_bytes)} bytes)')
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def _in_memory(self, results: dict) -> dict:
        img = results['img']
        if not isinstance(img, np.ndarray) or img.ndim not in (2, 3):
            raise ValueError(f'"img" must be an HxW or HxWxC numpy array, got '
                             f'{type(img).__name__} '
                             f'{getattr(img, "shape", "")}')
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results.setdefault('img_shape', img.shape[:2])
        results.setdefault('ori_shape', img.shape[:2])
        return results
