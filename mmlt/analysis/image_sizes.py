"""Image sizes of a dataset without decoding its images.

Files: the size comes from the header (``PIL.Image.open`` reads only the
header of PNG, JPEG, BMP, GIF, TIFF, WebP...), with a JPEG's EXIF
orientation applied, because OpenCV (mmcv's default decoder, and its Pillow
backend too) rotates such an image when it loads it. In-memory datasets
(MMPretrain's CIFAR, MNIST, FashionMNIST; mmlt's DigitsLT) keep an ``img``
array per sample: its shape is the size. Each sample's annotation comes from
the dataset's own ``get_data_info``, which MMEngine's wrappers
(ConcatDataset, RepeatDataset, ClassBalancedDataset, the Runner's slices)
and mmlt's LongTailDataset map to their inner datasets, so there is one size
per sample, in the order :func:`mmlt.datasets.get_labels` gives the labels.
"""
import os
from collections import Counter
from typing import (Any, List, Mapping, NamedTuple, Optional, Sequence,
                    Tuple)

import numpy as np
from PIL import Image

__all__ = [
    'ImageSize', 'header_image_size', 'sample_image_size',
    'read_image_sizes', 'size_histogram', 'aspect_ratio_histogram'
]

#: EXIF orientations that turn the image by 90 degrees (width and height
#: swap when it is decoded).
_TRANSPOSING_ORIENTATIONS = (5, 6, 7, 8)
_EXIF_ORIENTATION = 0x0112
#: Formats whose EXIF block is part of the header (PNG keeps it where PIL
#: would decode the image to find it).
_EXIF_IN_HEADER = ('JPEG', 'MPO')


class ImageSize(NamedTuple):
    """Size of a decoded image in pixels."""

    width: int
    height: int


def header_image_size(path: str) -> ImageSize:
    """Size of the image file ``path`` as a loader decodes it, from its
    header.

    Args:
        path (str): A local image file.

    Returns:
        ImageSize: Width and height, swapped for a JPEG whose EXIF
        orientation turns it by 90 degrees.

    Raises:
        OSError: If the file is missing or PIL cannot identify its format
            (``PIL.UnidentifiedImageError`` is an ``OSError``).
    """
    with Image.open(path) as image:
        width, height = image.size
        if image.format in _EXIF_IN_HEADER and image.getexif().get(
                _EXIF_ORIENTATION, 1) in _TRANSPOSING_ORIENTATIONS:
            width, height = height, width
    return ImageSize(int(width), int(height))


def sample_image_size(info: Mapping) -> Tuple[Optional[ImageSize], str]:
    """Size of one sample from its annotation (``get_data_info``).

    Args:
        info (Mapping): A sample's data info: an ``img`` array (``H x W`` or
            ``H x W x C``) or an ``img_path``.

    Returns:
        Tuple[Optional[ImageSize], str]: The size, or None with the reason
        (the path and the error) when it cannot be read.
    """
    img = info.get('img')
    if img is not None and np.ndim(img) >= 2:
        shape = np.shape(img)
        return ImageSize(int(shape[1]), int(shape[0])), ''
    path = info.get('img_path')
    if path is None:
        return None, f'a sample without img or img_path (keys: {sorted(info)})'
    try:
        return header_image_size(os.fspath(path)), ''
    except (OSError, ValueError) as error:
        return None, f'{path!r}: {error}'


def read_image_sizes(dataset: Any
                     ) -> Tuple[List[Optional[ImageSize]], List[str]]:
    """Size of every sample of ``dataset``, in dataset order.

    Args:
        dataset: An MMEngine/MMPretrain dataset or wrapper (anything with
            ``get_data_info``).

    Returns:
        Tuple[List[Optional[ImageSize]], List[str]]: One size per sample
        (None where it could not be read) and the reasons, one per unread
        sample (a dataset without ``get_data_info``: one reason for all).
    """
    if not hasattr(dataset, 'get_data_info'):
        return [None] * len(dataset), [
            f'{type(dataset).__name__} has no get_data_info(): '
            f'{len(dataset)} image sizes unknown'
        ]
    sizes: List[Optional[ImageSize]] = []
    problems: List[str] = []
    for i in range(len(dataset)):
        size, problem = sample_image_size(dataset.get_data_info(i))
        sizes.append(size)
        if problem:
            problems.append(problem)
    return sizes, problems


def size_histogram(sizes: Sequence[Optional[ImageSize]]
                   ) -> List[Tuple[ImageSize, int]]:
    """Images per size, the most frequent first (ties by width, height).

    Args:
        sizes (Sequence[Optional[ImageSize]]): Per-sample sizes; None is
            skipped.

    Returns:
        List[Tuple[ImageSize, int]]: ``(size, images)`` pairs.
    """
    counts = Counter(s for s in sizes if s is not None)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def aspect_ratio_histogram(sizes: Sequence[Optional[ImageSize]],
                           decimals: int = 2) -> List[Tuple[float, int]]:
    """Images per aspect ratio (width / height, rounded), by ratio.

    Args:
        sizes (Sequence[Optional[ImageSize]]): Per-sample sizes; None and
            zero heights are skipped.
        decimals (int): Decimals the ratio is rounded to.

    Returns:
        List[Tuple[float, int]]: ``(ratio, images)`` pairs, ratio ascending.

    Raises:
        ValueError: If ``decimals`` is negative.
    """
    if decimals < 0:
        raise ValueError(f'decimals must be >= 0, got {decimals}.')
    counts = Counter(
        round(s.width / s.height, decimals) for s in sizes
        if s is not None and s.height > 0)
    return sorted(counts.items())
