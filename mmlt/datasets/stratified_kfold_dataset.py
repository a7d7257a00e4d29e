"""Stratified k-fold cross-validation splits of any mmlt/MMPretrain dataset.

MMPretrain's ``KFoldDataset`` cuts a shuffled index list into equal pieces,
so with a long tail a fold's validation part may hold no image of a small
class and its training part all of them. :class:`StratifiedKFoldDataset` is
its stratified counterpart (scikit-learn's ``StratifiedKFold``): every
class is spread over the folds as evenly as its count allows.

The rule for small classes: a class with fewer images than the number of
folds cannot be in every validation fold, and scikit-learn would warn and
spread it unevenly. Here such a class is **always in training** (in the
training part of every fold, in no validation part); it is named in
``not_validated_classes`` and in one WARNING. A class without any image is
in neither part (``LongTailContextHook`` names it when training starts).
"""
import copy
import logging
from collections.abc import Mapping
from typing import List, Optional, Sequence, Set, Tuple, Union

import numpy as np
from mmengine.dataset import BaseDataset, force_full_init
from mmengine.logging import print_log

from mmlt.registry import DATASETS
from .label_utils import get_classes, get_group_ids, get_labels

__all__ = [
    'StratifiedKFoldDataset', 'resolve_num_splits',
    'stratified_fold_assignment'
]

STRATIFY_OPTIONS = ('class', 'class_group')
# Where each sample of a fold sits in the full dataset, in the DataSample's
# metainfo (packed next to MMPretrain's ``sample_idx``).
ORI_INDEX_KEY = 'ori_index'

# (num_splits, classes) already reported, so that the training and
# validation wrappers of every fold log the small classes once.
_REPORTED: Set[Tuple[int, Tuple[str, ...]]] = set()


def _class_names(num_classes: int,
                 classes: Optional[Sequence[str]]) -> List[str]:
    if classes is not None and len(classes) == num_classes:
        return [str(c) for c in classes]
    return [str(i) for i in range(num_classes)]


def _check_splits_arg(num_splits: Union[int, str], max_splits: int) -> None:
    for name, value in (('num_splits', num_splits),
                        ('max_splits', max_splits)):
        if name == 'num_splits' and value == 'auto':
            continue
        if isinstance(value, bool) or not isinstance(
                value, (int, np.integer)) or value < 2:
            allowed = "an int >= 2 or 'auto'" if name == 'num_splits' \
                else 'an int >= 2'
            raise ValueError(f'{name}={value!r} must be {allowed}')


def resolve_num_splits(class_counts: Sequence[int],
                       num_splits: Union[int, str] = 'auto',
                       max_splits: int = 3,
                       classes: Optional[Sequence[str]] = None) -> int:
    """The number of folds for these class counts.

    ``'auto'`` takes ``min(max_splits, smallest class count)`` over the
    classes that have images, and never fewer than 2 folds: a class with a
    single image then stays in training (see the module docstring).

    Args:
        class_counts: Images per class of the whole training set.
        num_splits: An int >= 2, or ``'auto'``.
        max_splits: The largest number of folds ``'auto'`` picks.
        classes: Class names, for messages.

    Returns:
        The number of folds.

    Raises:
        ValueError: If ``num_splits``/``max_splits`` is malformed, or if the
            number of folds is larger than the images of every class (no
            fold could validate any class).
    """
    _check_splits_arg(num_splits, max_splits)
    counts = np.asarray(class_counts, dtype=np.int64)
    if counts.ndim != 1 or counts.size == 0 or (counts < 0).any():
        raise ValueError(f'class_counts={list(class_counts)!r} must be a '
                         'non-empty list of non-negative ints')
    present = counts[counts > 0]
    if num_splits == 'auto':
        smallest = int(present.min()) if present.size else 0
        resolved = max(2, min(int(max_splits), smallest))
    else:
        resolved = int(num_splits)
    if int(counts.max()) < resolved:
        names = _class_names(counts.size, classes)
        largest = int(counts.argmax())
        listed = ', '.join(f'{n}: {int(c)}' for n, c in zip(names, counts))
        raise ValueError(
            f'num_splits={num_splits!r} gives {resolved} folds, more than the '
            f'images of every class (largest: {names[largest]!r} with '
            f'{int(counts[largest])}; counts {{{listed}}}): no validation '
            'fold could hold an image of any class. Use fewer folds.')
    return resolved


def _strata(labels: np.ndarray, groups: Optional[np.ndarray],
            num_splits: int) -> np.ndarray:
    """One stratum per class or, with groups, per (class, group) cell.

    A cell with fewer than ``num_splits`` images is pooled with the other
    small cells of its class; a pool that is still too small joins the
    class's largest cell. Every stratum then has at least ``num_splits``
    images, so scikit-learn never has to spread one unevenly.
    """
    if groups is None:
        return labels
    keys = np.stack([labels, groups], axis=1)
    for c in np.unique(labels):
        in_class = labels == c
        cells, counts = np.unique(groups[in_class], return_counts=True)
        small = cells[counts < num_splits]
        if small.size == 0:
            continue
        pooled = in_class & np.isin(groups, small)
        pooled_size = int(pooled.sum())
        big = counts >= num_splits
        if pooled_size >= num_splits or not big.any():
            keys[pooled, 1] = -1
        else:
            keys[pooled, 1] = cells[big][np.argmax(counts[big])]
    return np.unique(keys, axis=0, return_inverse=True)[1].reshape(-1)


def stratified_fold_assignment(labels: Sequence[int],
                               num_splits: int,
                               seed: Optional[int] = 0,
                               groups: Optional[Sequence[int]] = None
                               ) -> np.ndarray:
    """The validation fold of every sample, by scikit-learn's
    ``StratifiedKFold(num_splits, shuffle=True, random_state=seed)``.

    Args:
        labels: Class index of every sample.
        num_splits: Number of folds (>= 2).
        seed: Seed of the shuffle within each class; None keeps the dataset
            order (``shuffle=False``). The same seed gives the same folds on
            every run and every rank.
        groups: Group id of every sample, to stratify by (class, group)
            cells (see :func:`_strata`); None stratifies by class.

    Returns:
        ``int64`` array: the fold (``0..num_splits-1``) whose validation
        part holds the sample, or ``-1`` for a sample of a class with fewer
        than ``num_splits`` images (always in training).

    Raises:
        ValueError: If ``num_splits`` is malformed or no class has
            ``num_splits`` images.
    """
    from sklearn.model_selection import StratifiedKFold
    _check_splits_arg(num_splits, 2)
    if num_splits == 'auto':
        raise ValueError("num_splits='auto' must be resolved first "
                         '(resolve_num_splits)')
    labels = np.asarray(labels, dtype=np.int64)
    counts = np.bincount(labels) if labels.size else np.zeros(0, np.int64)
    validated = counts[labels] >= num_splits if labels.size else \
        np.zeros(0, bool)
    if not validated.any():
        raise ValueError(f'num_splits={num_splits}: no class has that many '
                         f'images (counts {counts.tolist()})')
    positions = np.flatnonzero(validated)
    group_arr = None if groups is None else np.asarray(
        groups, dtype=np.int64)[positions]
    strata = _strata(labels[positions], group_arr, num_splits)
    splitter = StratifiedKFold(
        n_splits=num_splits, shuffle=seed is not None, random_state=seed)
    assignment = np.full(labels.size, -1, dtype=np.int64)
    for fold, (_, val) in enumerate(
            splitter.split(np.zeros(positions.size), strata)):
        assignment[positions[val]] = fold
    return assignment


def _subset_positions(length: int,
                      indices: Union[Sequence[int], int]) -> np.ndarray:
    """Positions kept by MMEngine's ``get_subset`` semantics."""
    positions = np.arange(length)
    if isinstance(indices, (int, np.integer)) and not isinstance(
            indices, bool):
        return positions[:indices] if indices >= 0 else positions[indices:]
    if isinstance(indices, (Sequence, np.ndarray)):
        return positions[np.asarray(indices, dtype=np.int64)] \
            if len(indices) else positions[:0]
    raise TypeError(f'indices must be an int or a sequence of int, got '
                    f'{type(indices).__name__}')


def _stamp(data, ori_index: int):
    """Put ``ori_index`` into the packed DataSample(s) of ``data``."""
    samples = data.get('data_samples') if isinstance(data, dict) else None
    for sample in samples if isinstance(samples, (list, tuple)) else [
            samples
    ]:
        if hasattr(sample, 'set_metainfo'):
            sample.set_metainfo({ORI_INDEX_KEY: ori_index})
    return data


@DATASETS.register_module()
class StratifiedKFoldDataset(BaseDataset):
    """The training or the validation part of one fold of a stratified
    k-fold split: MMPretrain's ``KFoldDataset``, stratified by class.

    Folds come from scikit-learn's ``StratifiedKFold(num_splits,
    shuffle=True, random_state=seed)`` on the labels (read without decoding
    any image): each class's images are spread over the validation folds as
    evenly as possible (fold counts of a class differ by at most one), the
    K validation parts are disjoint and together hold every validated
    sample once, and the same seed gives the same folds on every run and
    every rank.

    **Small classes are always in training**: a class with fewer images
    than the number of folds is in the training part of every fold and in
    no validation part (``not_validated_classes``, logged once as a
    WARNING). ``num_splits='auto'`` takes ``min(max_splits, smallest class
    count)``, never fewer than 2 folds, so only a class with one image is
    then kept out of validation.

    The fold is taken with the wrapped dataset's ``get_subset`` (mmlt's
    datasets and ``LongTailDataset`` recompute labels, groups, class counts
    and the counts their pipeline uses for a subset), so class counts, shot
    bins, count-based losses and samplers see the fold. Each sample's
    position in the full dataset is in :attr:`ori_indices` and in the
    ``ori_index`` metainfo of the DataSample the pipeline packs.

    Example::

        train_dataloader = dict(dataset=dict(
            type='StratifiedKFoldDataset', fold=0, num_splits='auto',
            dataset=dict(type='GroupAnnotationDataset', ...)))

    Args:
        dataset: The full dataset or its config. It needs ``get_subset``
            (MMPretrain/mmlt datasets, ``LongTailDataset``; not mmengine's
            Concat/Repeat/ClassBalanced wrappers, which can wrap this one).
        fold: The fold whose part this is, ``0..num_splits-1``.
        num_splits: Number of folds (an int >= 2), or ``'auto'``.
        test_mode: The validation part of the fold (True) or its training
            part (False, the other folds plus the small classes).
        seed: Seed of the shuffle within each class; None keeps the dataset
            order (no shuffle).
        stratify: ``'class'``, or ``'class_group'`` to also balance each
            class's groups over the folds (a (class, group) cell with fewer
            images than folds is pooled with its class's other small cells).
        max_splits: The largest number of folds ``'auto'`` picks.
        lazy_init: Defer reading the labels and splitting to
            :meth:`full_init`.

    Raises:
        ValueError: On a malformed argument, a fold out of range, or more
            folds than the images of every class.
        TypeError: If ``dataset`` is neither a dataset nor a config, or has
            no ``get_subset``.
    """

    def __init__(self,  # noqa: super().__init__ deliberately not called
                 dataset: Union[BaseDataset, dict],
                 fold: int = 0,
                 num_splits: Union[int, str] = 5,
                 test_mode: bool = False,
                 seed: Optional[int] = 0,
                 stratify: str = 'class',
                 max_splits: int = 3,
                 lazy_init: bool = False) -> None:
        _check_splits_arg(num_splits, max_splits)
        if isinstance(fold, bool) or not isinstance(fold, (int, np.integer)):
            raise ValueError(f'fold={fold!r} must be an int')
        if isinstance(num_splits, (int, np.integer)) and not \
                0 <= fold < num_splits:
            raise ValueError(f'fold={fold} is out of range for '
                             f'num_splits={num_splits} (0..{num_splits - 1})')
        if stratify not in STRATIFY_OPTIONS:
            raise ValueError(f'stratify={stratify!r} must be one of '
                             f'{list(STRATIFY_OPTIONS)}')
        if seed is not None and (isinstance(seed, bool) or not isinstance(
                seed, (int, np.integer))):
            raise ValueError(f'seed={seed!r} must be an int or None')
        if isinstance(dataset, Mapping):
            dataset = DATASETS.build(copy.deepcopy(dict(dataset)))
        if not hasattr(dataset, '__getitem__') or not hasattr(
                dataset, '__len__'):
            raise TypeError('dataset must be a dataset or a config dict, got '
                            f'{type(dataset).__name__}')
        if not callable(getattr(dataset, 'get_subset', None)):
            raise TypeError(f'{type(dataset).__name__} has no get_subset(): '
                            'StratifiedKFoldDataset needs one to take a fold')
        self.dataset = dataset
        self.fold = int(fold)
        self.requested_splits = num_splits
        self.test_mode = test_mode
        self.seed = None if seed is None else int(seed)
        self.stratify = stratify
        self.max_splits = int(max_splits)
        self._num_splits: Optional[int] = None
        self._ori_indices: Optional[np.ndarray] = None
        self._assignment: Optional[np.ndarray] = None
        self._not_validated: List[str] = []
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    def full_init(self) -> None:
        """Read the labels, split, and keep this fold's part."""
        if self._fully_initialized:
            return
        if hasattr(self.dataset, 'full_init'):
            self.dataset.full_init()
        labels = get_labels(self.dataset)
        classes = get_classes(self.dataset)
        num_classes = len(classes) if classes is not None else (
            int(labels.max()) + 1 if labels.size else 0)
        counts = np.bincount(labels, minlength=num_classes)
        num_splits = resolve_num_splits(counts, self.requested_splits,
                                        self.max_splits, classes)
        if not 0 <= self.fold < num_splits:
            raise ValueError(
                f'fold={self.fold} is out of range for num_splits='
                f'{self.requested_splits!r}, which gives {num_splits} folds '
                f'(0..{num_splits - 1})')
        groups = get_group_ids(self.dataset) \
            if self.stratify == 'class_group' else None
        assignment = stratified_fold_assignment(labels, num_splits,
                                                self.seed, groups)
        names = _class_names(num_classes, classes)
        small = [c for c in range(num_classes) if 0 < counts[c] < num_splits]
        self._not_validated = [names[c] for c in small]
        if small:
            _report_small_classes(num_splits,
                                  [(names[c], int(counts[c])) for c in small])
        keep = np.flatnonzero(assignment == self.fold) if self.test_mode \
            else np.flatnonzero(assignment != self.fold)
        try:
            subset = self.dataset.get_subset(keep.tolist())
        except NotImplementedError as e:
            raise TypeError(
                f'{type(self.dataset).__name__} cannot take a subset ({e}); '
                'wrap the single dataset inside it with '
                'StratifiedKFoldDataset instead') from e
        self.dataset = subset
        self._num_splits = num_splits
        self._assignment = assignment
        self._ori_indices = keep.astype(np.int64)
        self._fully_initialized = True

    @property
    @force_full_init
    def num_splits(self) -> int:
        """The number of folds (``'auto'`` resolved)."""
        return self._num_splits

    @property
    @force_full_init
    def ori_indices(self) -> np.ndarray:
        """Position of each sample of this part in the full dataset
        (ascending)."""
        return self._ori_indices.copy()

    @property
    @force_full_init
    def fold_assignment(self) -> np.ndarray:
        """The validation fold of every sample of the full dataset (-1 for
        the small classes, always in training)."""
        return self._assignment.copy()

    @property
    @force_full_init
    def not_validated_classes(self) -> List[str]:
        """Names of the classes with fewer images than folds (in no
        validation part)."""
        return list(self._not_validated)

    @property
    def metainfo(self) -> dict:
        return copy.deepcopy(getattr(self.dataset, 'metainfo', {}))

    @force_full_init
    def get_gt_labels(self) -> np.ndarray:
        """Class index of every sample of this part, without any image."""
        return get_labels(self.dataset)

    @force_full_init
    def get_group_ids(self) -> np.ndarray:
        """Group id of every sample of this part."""
        return get_group_ids(self.dataset)

    @force_full_init
    def get_cat_ids(self, idx: int) -> List[int]:
        """Category of one sample (mmengine's ClassBalancedDataset)."""
        if hasattr(self.dataset, 'get_cat_ids'):
            return self.dataset.get_cat_ids(idx)
        return [int(self.get_gt_labels()[idx])]

    @property
    @force_full_init
    def class_counts(self) -> np.ndarray:
        """Images per class of this part (zeros included)."""
        classes = get_classes(self.dataset)
        labels = self.get_gt_labels()
        return np.bincount(
            labels, minlength=len(classes) if classes is not None else 0)

    @force_full_init
    def get_data_info(self, idx: int) -> dict:
        """The wrapped dataset's annotation, plus ``ori_index``."""
        info = self.dataset.get_data_info(idx)
        info[ORI_INDEX_KEY] = int(self._ori_indices[idx])
        return info

    @force_full_init
    def __getitem__(self, idx: int):
        """The wrapped dataset's item, its DataSample stamped with
        ``ori_index`` (the sample's position in the full dataset)."""
        return _stamp(self.dataset[idx], int(self._ori_indices[idx]))

    @force_full_init
    def __len__(self) -> int:
        return len(self._ori_indices)

    def get_subset_(self, indices: Union[Sequence[int], int]) -> None:
        """Keep some samples of this part (MMEngine's semantics)."""
        self.full_init()
        keep = _subset_positions(len(self), indices)
        self.dataset = self.dataset.get_subset(keep.tolist())
        self._ori_indices = self._ori_indices[keep]

    def get_subset(self, indices: Union[Sequence[int], int]
                   ) -> 'StratifiedKFoldDataset':
        """A copy holding some samples of this part."""
        self.full_init()
        subset = copy.copy(self)
        subset.get_subset_(indices)
        return subset

    def __repr__(self) -> str:
        part = 'validation' if self.test_mode else 'training'
        size = len(self) if self._fully_initialized else '?'
        splits = self._num_splits or self.requested_splits
        return (f'{type(self).__name__}({part} part of fold {self.fold} of '
                f'{splits}, stratify={self.stratify!r}, seed={self.seed}, '
                f'size={size}, dataset={type(self.dataset).__name__})')


def _report_small_classes(num_splits: int,
                          small: List[Tuple[str, int]]) -> None:
    key = (num_splits, tuple(name for name, _ in small))
    if key in _REPORTED:
        return
    _REPORTED.add(key)
    listed = ', '.join(f'{name!r} ({count})' for name, count in small)
    print_log(
        f'{len(small)} class(es) have fewer images than the {num_splits} '
        f'folds and are never validated: they are in the training part of '
        f'every fold: {listed}',
        logger='current',
        level=logging.WARNING)
