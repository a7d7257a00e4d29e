"""Long-tailed version of any MMPretrain dataset (CIFAR-LT protocol)."""
import copy
from typing import List, Optional, Sequence, Union

import numpy as np
from mmengine.dataset import BaseDataset, force_full_init

from mmlt.registry import DATASETS
from .label_utils import get_classes, get_group_ids, get_labels
from .lt_profiles import (long_tail_counts, sample_held_out_indices,
                          sample_long_tail_indices)

SPLITS = ('long_tail', 'held_out')

__all__ = ['LongTailDataset']


@DATASETS.register_module()
class LongTailDataset(BaseDataset):
    """Keep a long-tailed subset of a (usually balanced) dataset.

    The subset follows the common CIFAR-LT protocol (Cao et al. 2019): the
    i-th class of ``class_order`` keeps ``n_i = int(n_max * IR^(-i/(C-1)))``
    images (``'exp'``) or a step profile, drawn by shuffling each class with
    a fixed seed and keeping the first ``n_i``; see
    :mod:`mmlt.datasets.lt_profiles`. Wrap only the training set: test sets
    are used as they are, so a balanced test set stays balanced.

    Args:
        dataset: The dataset or its config (CIFAR10, CIFAR100, MNIST,
            FashionMNIST, CustomDataset, ImageNet, GroupAnnotationDataset...).
        imbalance_ratio: IR = n_max / n_min (e.g. 100 for CIFAR-10-LT). 1
            draws ``max_count`` images of every class from the same
            per-class shuffles: a balanced draw whose held-out split, with
            the same seed, is the long-tailed draw's (the protocol's oracle,
            ``configs/baselines/resnet20_ce_1xb128_fashion-mnist-
            balanced248.py``).
        profile: ``'exp'`` or ``'step'``.
        max_count: n_max. Defaults to the smallest class size of the source
            (for a balanced source, its images per class, as the protocol's
            ``len(data) / C``).
        class_order: Which class is the head, second, ... Defaults to class
            index order.
        seed: Seed of the per-class shuffles (the protocol uses 0).
        split: ``'long_tail'`` (the long-tailed subset, for training) or
            ``'held_out'``: a balanced validation split of
            ``held_out_per_class`` images per class drawn from the source
            images the long-tailed subset does not use (the last images of
            the same per-class shuffles, as ImageNet-LT's validation set is
            drawn from training images). Give both splits the same
            ``imbalance_ratio``, ``profile``, ``max_count``, ``class_order``
            and ``seed``; the held-out one usually a test pipeline.
        held_out_per_class: Images per class of the ``'held_out'`` split
            (required there, refused with ``'long_tail'``).
        lazy_init: Defer loading the source annotations.

    It subclasses mmengine's ``BaseDataset`` only so that mmengine's own
    wrappers (``ConcatDataset``, ``ClassBalancedDataset``...) accept it; it
    keeps no data list of its own and does not call ``BaseDataset``'s
    constructor.
    """

    def __init__(self,  # noqa: super().__init__ deliberately not called
                 dataset: Union[BaseDataset, dict],
                 imbalance_ratio: float,
                 profile: str = 'exp',
                 max_count: Optional[int] = None,
                 class_order: Optional[Sequence[int]] = None,
                 seed: int = 0,
                 split: str = 'long_tail',
                 held_out_per_class: Optional[int] = None,
                 lazy_init: bool = False) -> None:
        if split not in SPLITS:
            raise ValueError(f'split={split!r} is not one of {SPLITS}')
        if (split == 'held_out') != (held_out_per_class is not None):
            raise ValueError(
                f'held_out_per_class={held_out_per_class!r} with split='
                f'{split!r}: the held-out split needs its size, the '
                'long-tailed one takes none')
        if isinstance(dataset, dict):
            dataset = DATASETS.build(dataset)
        if not hasattr(dataset, '__getitem__') or not hasattr(
                dataset, '__len__'):
            raise TypeError(f'dataset must be a dataset or a config dict, '
                            f'got {type(dataset).__name__}')
        self.dataset = dataset
        self.imbalance_ratio = imbalance_ratio
        self.profile = profile
        self.max_count = max_count
        self.class_order = None if class_order is None else list(class_order)
        self.seed = seed
        self.split = split
        self.held_out_per_class = held_out_per_class
        self._metainfo = getattr(dataset, 'metainfo', {})
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    @property
    def metainfo(self) -> dict:
        return copy.deepcopy(self._metainfo)

    def full_init(self) -> None:
        """Draw the long-tailed subset."""
        if self._fully_initialized:
            return
        if hasattr(self.dataset, 'full_init'):
            self.dataset.full_init()
        self._metainfo = getattr(self.dataset, 'metainfo', {})
        source_labels = get_labels(self.dataset)
        classes = get_classes(self.dataset)
        num_classes = len(classes) if classes is not None else int(
            source_labels.max()) + 1
        available = np.bincount(source_labels, minlength=num_classes)
        max_count = int(available.min()) if self.max_count is None \
            else self.max_count
        self.target_counts = long_tail_counts(num_classes, max_count,
                                              self.imbalance_ratio,
                                              self.profile, self.class_order)
        if self.split == 'held_out':
            self.indices = sample_held_out_indices(
                source_labels, self.target_counts, self.held_out_per_class,
                self.seed)
        else:
            self.indices = sample_long_tail_indices(
                source_labels, self.target_counts, self.seed)
        self._labels = source_labels[self.indices]
        self._groups = None
        self._fully_initialized = True

    def get_subset_(self, indices: Union[Sequence[int], int]) -> None:
        """Keep a subset of the long-tailed samples (MMEngine's semantics:
        an int keeps the first ``n`` or, negative, the last ``-n``; a
        sequence keeps those positions), as MMPretrain's ``KFoldDataset``
        asks. Labels and groups follow.
        """
        self.full_init()
        positions = np.arange(len(self.indices))
        if isinstance(indices, int):
            keep = positions[:indices] if indices >= 0 else \
                positions[indices:]
        elif isinstance(indices, Sequence) or isinstance(indices, np.ndarray):
            keep = positions[np.asarray(indices, dtype=np.int64)] \
                if len(indices) else positions[:0]
        else:
            raise TypeError(f'indices must be an int or a sequence of int, '
                            f'got {type(indices).__name__}')
        self.indices = self.indices[keep]
        self._labels = self._labels[keep]
        self._groups = None

    def get_subset(self, indices: Union[Sequence[int], int]
                   ) -> 'LongTailDataset':
        """A copy holding a subset (see :meth:`get_subset_`); the source
        dataset is copied too, so the two stay independent."""
        self.full_init()
        subset = copy.deepcopy(self)
        subset.get_subset_(indices)
        return subset

    @force_full_init
    def get_gt_labels(self) -> np.ndarray:
        return self._labels.copy()

    @force_full_init
    def get_group_ids(self) -> np.ndarray:
        if self._groups is None:  # read once: it walks every annotation
            self._groups = get_group_ids(self.dataset)[self.indices]
        return self._groups.copy()

    @force_full_init
    def get_cat_ids(self, idx: int) -> List[int]:
        return [int(self._labels[idx])]

    @property
    @force_full_init
    def class_counts(self) -> np.ndarray:
        return np.bincount(self._labels, minlength=len(self.target_counts))

    @force_full_init
    def get_data_info(self, idx: int) -> dict:
        return self.dataset.get_data_info(int(self.indices[idx]))

    @force_full_init
    def __getitem__(self, idx: int):
        return self.dataset[int(self.indices[idx])]

    @force_full_init
    def __len__(self) -> int:
        return len(self.indices)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(IR={self.imbalance_ratio}, profile='
                f'{self.profile!r}, split={self.split!r}, size='
                f'{len(self.indices) if self._fully_initialized else "?"}, '
                f'dataset={type(self.dataset).__name__})')
