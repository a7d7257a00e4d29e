"""Labels and group ids of any dataset, through mmengine's wrappers.

Samplers, the class-count hook and the long-tail wrapper need every sample's
class (and group) without decoding images. MMPretrain datasets have
``get_gt_labels()``; mmengine's ``ConcatDataset`` and ``RepeatDataset`` have
nothing; ``ClassBalancedDataset`` repeats indices; the Runner's
``_SlicedDataset`` forwards attribute access to the *unsliced* dataset, so
its ``get_gt_labels()`` would be too long. :func:`get_labels` and
:func:`get_group_ids` recurse through all of them.
"""
from typing import Callable, Optional, Sequence

import numpy as np
from mmengine.dataset import (ClassBalancedDataset, ConcatDataset,
                              RepeatDataset)
from torch.utils.data import ConcatDataset as TorchConcatDataset
from torch.utils.data import Subset

from mmlt.structures.long_tail_context import LongTailContext

__all__ = [
    'get_labels', 'get_group_ids', 'get_field', 'get_class_counts', 'get_classes',
    'zero_count_classes', 'long_tail_context_from_dataset'
]


def _sliced_dataset_type() -> type:
    from mmengine.runner.runner import _SlicedDataset
    return _SlicedDataset


def _full_init(dataset) -> None:
    if hasattr(dataset, 'full_init') and not getattr(
            dataset, '_fully_initialized', True):
        dataset.full_init()


def _through_wrappers(dataset, leaf: Callable[[object], np.ndarray]
                      ) -> np.ndarray:
    """Apply ``leaf`` to the innermost datasets and map through wrappers."""
    if isinstance(dataset, _sliced_dataset_type()):
        return _through_wrappers(dataset._dataset, leaf)[:len(dataset)]
    if isinstance(dataset, (ConcatDataset, TorchConcatDataset)):
        _full_init(dataset)
        parts = [_through_wrappers(d, leaf) for d in dataset.datasets]
        return np.concatenate(parts) if parts else np.zeros(0, np.int64)
    if isinstance(dataset, RepeatDataset):
        _full_init(dataset)
        return np.tile(_through_wrappers(dataset.dataset, leaf),
                       dataset.times)
    if isinstance(dataset, ClassBalancedDataset):
        _full_init(dataset)
        inner = _through_wrappers(dataset.dataset, leaf)
        return inner[np.asarray(dataset.repeat_indices, dtype=np.int64)]
    if isinstance(dataset, Subset):
        return _through_wrappers(dataset.dataset,
                                 leaf)[np.asarray(dataset.indices)]
    return leaf(dataset)


def _leaf_labels(dataset) -> np.ndarray:
    if hasattr(dataset, 'get_gt_labels'):
        labels = np.asarray(dataset.get_gt_labels())
    elif hasattr(dataset, 'targets'):  # torchvision-style datasets
        labels = np.asarray(dataset.targets)
    else:
        raise TypeError(
            f'cannot read labels of {type(dataset).__name__}: it has no '
            'get_gt_labels() (MMPretrain datasets) nor targets, and is not a '
            'known mmengine wrapper')
    if labels.dtype == object or labels.ndim != 1:
        raise ValueError(
            f'{type(dataset).__name__} has multi-label or irregular labels '
            f'(array of shape {labels.shape}, dtype {labels.dtype}); mmlt '
            'needs one class index per sample')
    return labels.astype(np.int64)


def _leaf_field(dataset, key: str, default=None) -> np.ndarray:
    """``key`` of every sample's annotation (``get_data_info``)."""
    if not hasattr(dataset, 'get_data_info'):
        if default is not None:
            return np.full(len(dataset), default)
        raise TypeError(f'cannot read annotation field {key!r} of '
                        f'{type(dataset).__name__}: it has no get_data_info()')
    _full_init(dataset)
    values = []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        if key not in info and default is None:
            raise KeyError(f'sample {i} of {type(dataset).__name__} has no '
                           f'annotation field {key!r} (fields: '
                           f'{sorted(info)})')
        values.append(info.get(key, default))
    return np.asarray(values)


def _leaf_groups(dataset) -> np.ndarray:
    if hasattr(dataset, 'get_group_ids'):
        groups = np.asarray(dataset.get_group_ids(), dtype=np.int64)
    else:
        groups = _leaf_field(dataset, 'group_id', 0).astype(np.int64)
    if (groups < 0).any():
        bad = int(np.flatnonzero(groups < 0)[0])
        raise ValueError(f'{type(dataset).__name__}: sample {bad} has '
                         f'negative group_id {groups[bad]}')
    return groups


def get_labels(dataset) -> np.ndarray:
    """Class index of every sample of ``dataset``, in dataset order.

    Works through mmengine's ConcatDataset, RepeatDataset,
    ClassBalancedDataset, the Runner's sliced dataset, torch's Subset and
    ConcatDataset, and mmlt's LongTailDataset. Never loads an image.
    """
    return _through_wrappers(dataset, _leaf_labels)


def get_group_ids(dataset) -> np.ndarray:
    """Group id of every sample (0 where the annotation has none)."""
    return _through_wrappers(dataset, _leaf_groups)


def get_field(dataset, key: str) -> np.ndarray:
    """An annotation field (e.g. a CSV ``weight`` column) of every sample,
    through the same wrappers; a sample without it raises ``KeyError``."""
    return _through_wrappers(dataset, lambda d: _leaf_field(d, key))


def get_classes(dataset) -> Optional[Sequence[str]]:
    """Class names from the dataset's metainfo, or None."""
    meta = getattr(dataset, 'metainfo', None)
    if isinstance(meta, dict) and meta.get('classes') is not None:
        return tuple(meta['classes'])
    return None


def get_class_counts(dataset, num_classes: Optional[int] = None
                     ) -> np.ndarray:
    """Samples per class; length ``num_classes`` (default: from metainfo).

    Raises:
        ValueError: If a label is outside ``[0, num_classes)``.
    """
    labels = get_labels(dataset)
    if num_classes is None:
        classes = get_classes(dataset)
        num_classes = len(classes) if classes is not None else (
            int(labels.max()) + 1 if len(labels) else 0)
    if len(labels) and (labels.min() < 0 or labels.max() >= num_classes):
        bad = labels[(labels < 0) | (labels >= num_classes)][0]
        raise ValueError(f'{type(dataset).__name__} has label {bad}, outside '
                         f'the {num_classes} classes 0..{num_classes - 1}')
    return np.bincount(labels, minlength=num_classes)


def zero_count_classes(counts: Sequence[int],
                       classes: Optional[Sequence[str]] = None) -> list:
    """Names (or indices) of the classes with no sample."""
    counts = np.asarray(counts)
    empty = np.flatnonzero(counts == 0).tolist()
    if classes is None:
        return empty
    return [f'{i} ({classes[i]})' for i in empty]


def long_tail_context_from_dataset(dataset,
                                   num_classes: Optional[int] = None
                                   ) -> LongTailContext:
    """Count a training set once into a :class:`LongTailContext`: class
    counts, group counts, the class x group table and the class names.

    Labels and group ids are read through mmengine's wrappers, the Runner's
    slicing and k-fold subsets; no image is decoded. The counting lives here,
    beside the label readers it uses, so that ``mmlt.structures`` holds only
    the data it describes.

    Args:
        dataset: The training set (any wrapper).
        num_classes: Number of classes (default: from the class names,
            else the largest label + 1).

    Raises:
        ValueError: If a label is outside ``[0, num_classes)``.
    """
    names = get_classes(dataset)
    if num_classes is None and names is not None:
        num_classes = len(names)
    counts = get_class_counts(dataset, num_classes)  # validates labels
    groups = get_group_ids(dataset)
    if not len(groups):
        return LongTailContext(counts, None, names)
    table = np.zeros((len(counts), int(groups.max()) + 1), np.int64)
    np.add.at(table, (get_labels(dataset), groups), 1)
    return LongTailContext(counts, table.sum(0), names, table)
