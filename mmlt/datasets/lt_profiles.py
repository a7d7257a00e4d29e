"""Pure functions that turn a balanced label set into a long-tailed one.

The protocol is the common CIFAR-LT one (Cao et al., "Learning Imbalanced
Datasets with Label-Distribution-Aware Margin Loss", NeurIPS 2019; also Cui
et al. CVPR 2019):

* exponential profile: ``n_i = int(n_max * IR ** (-i / (C - 1)))`` for the
  i-th class in ``class_order``;
* step profile: the first ``C - C // 2`` classes keep ``n_max`` images, the
  remaining ``C // 2`` keep ``int(n_max / IR)``;
* the subset: a ``numpy.random.RandomState(seed)`` shuffles each class's
  indices in turn (in class-index order), and the first ``n_i`` are kept.
  With seed 0 and the natural class order this draws the same subset as the
  reference CIFAR-LT code, which calls ``np.random.seed(0)`` then
  ``np.random.shuffle`` per class.
* a held-out split (ImageNet-LT's balanced validation set, Liu et al. CVPR
  2019, is drawn from the training images the same way): the same shuffles,
  the *last* ``k`` images of every class. The long-tailed subset is
  unchanged by it and never overlaps it, provided ``n_i + k`` fits in the
  class.
"""
from typing import Optional, Sequence

import numpy as np

__all__ = [
    'long_tail_counts', 'sample_long_tail_indices', 'sample_held_out_indices'
]

PROFILES = ('exp', 'step')


def long_tail_counts(num_classes: int,
                     max_count: int,
                     imbalance_ratio: float,
                     profile: str = 'exp',
                     class_order: Optional[Sequence[int]] = None
                     ) -> np.ndarray:
    """Target images per class.

    Args:
        num_classes: Number of classes C (>= 1).
        max_count: n_max, images of the most frequent class.
        imbalance_ratio: IR = n_max / n_min (>= 1).
        profile: ``'exp'`` or ``'step'``.
        class_order: ``class_order[i]`` is the class that gets the i-th
            largest count. Defaults to ``range(C)`` (class 0 is the head).

    Returns:
        np.ndarray: int64 array of length C indexed by class.
    """
    if not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise ValueError(f'num_classes={num_classes!r} must be a positive '
                         'integer')
    if not isinstance(max_count, (int, np.integer)) or max_count < 1:
        raise ValueError(f'max_count={max_count!r} must be a positive '
                         'integer')
    if not np.isfinite(imbalance_ratio) or imbalance_ratio < 1:
        raise ValueError(f'imbalance_ratio={imbalance_ratio!r} must be a '
                         'finite number >= 1')
    if profile not in PROFILES:
        raise ValueError(f'profile={profile!r} is not one of {PROFILES}')
    order = np.arange(num_classes) if class_order is None else np.asarray(
        class_order)
    if sorted(order.tolist()) != list(range(num_classes)):
        raise ValueError(f'class_order={order.tolist()} is not a '
                         f'permutation of 0..{num_classes - 1}')
    rank = np.arange(num_classes)
    if profile == 'exp':
        exponent = rank / (num_classes - 1) if num_classes > 1 else rank * 0.
        ranked = (max_count * imbalance_ratio**(-exponent)).astype(np.int64)
    else:
        num_head = num_classes - num_classes // 2
        ranked = np.where(rank < num_head, max_count,
                          int(max_count / imbalance_ratio)).astype(np.int64)
    counts = np.empty(num_classes, dtype=np.int64)
    counts[order] = ranked
    if (counts < 1).any():
        empty = np.flatnonzero(counts < 1).tolist()
        raise ValueError(
            f'max_count={max_count} with imbalance_ratio={imbalance_ratio} '
            f'leaves classes {empty} without any image; lower the ratio')
    return counts


def sample_long_tail_indices(labels: Sequence[int],
                             target_counts: Sequence[int],
                             seed: int = 0) -> np.ndarray:
    """Indices of the long-tailed subset, as in the CIFAR-LT protocol.

    Args:
        labels: Class index of every sample of the source dataset.
        target_counts: Images to keep per class (from
            :func:`long_tail_counts`).
        seed: Seed of the per-class shuffles.

    Returns:
        np.ndarray: Sorted int64 indices into the source dataset.

    Raises:
        ValueError: If a class has fewer images than its target count.
    """
    labels = np.asarray(labels, dtype=np.int64)
    target_counts = np.asarray(target_counts, dtype=np.int64)
    available = np.bincount(labels, minlength=len(target_counts))
    if len(available) > len(target_counts):
        raise ValueError(f'labels go up to {len(available) - 1} but only '
                         f'{len(target_counts)} target counts were given')
    short = np.flatnonzero(available < target_counts)
    if len(short):
        c = int(short[0])
        raise ValueError(
            f'class {c} has {available[c]} images but the long-tail profile '
            f'asks for {target_counts[c]} (classes short of images: '
            f'{short.tolist()}); lower max_count')
    keep = [idx[:n] for idx, n in zip(
        _shuffled_classes(labels, len(target_counts), seed), target_counts)]
    return np.sort(np.concatenate(keep)) if keep else np.zeros(0, np.int64)


def sample_held_out_indices(labels: Sequence[int],
                            target_counts: Sequence[int],
                            per_class: int,
                            seed: int = 0) -> np.ndarray:
    """Indices of a balanced held-out split disjoint from the long-tailed
    subset that :func:`sample_long_tail_indices` draws with the same
    ``target_counts`` and ``seed``: the last ``per_class`` images of every
    class's shuffle.

    Raises:
        ValueError: If ``per_class`` is not a positive integer or a class
            has fewer than ``target_counts[c] + per_class`` images.
    """
    if isinstance(per_class, bool) or not isinstance(
            per_class, (int, np.integer)) or per_class < 1:
        raise ValueError(f'held-out per_class={per_class!r} must be a '
                         'positive integer')
    labels = np.asarray(labels, dtype=np.int64)
    target_counts = np.asarray(target_counts, dtype=np.int64)
    available = np.bincount(labels, minlength=len(target_counts))
    short = np.flatnonzero(available[:len(target_counts)] <
                           target_counts + per_class)
    if len(short):
        c = int(short[0])
        raise ValueError(
            f'class {c} has {available[c]} images: the long-tailed subset '
            f'keeps {target_counts[c]}, so {per_class} more cannot be held '
            f'out without overlap (classes short of images: '
            f'{short.tolist()}); lower max_count or the held-out size')
    keep = [idx[len(idx) - per_class:] for idx in _shuffled_classes(
        labels, len(target_counts), seed)]
    return np.sort(np.concatenate(keep)) if keep else np.zeros(0, np.int64)


def _shuffled_classes(labels: np.ndarray, num_classes: int, seed: int):
    """Each class's indices, shuffled in class-index order by one
    ``RandomState(seed)`` (the reference CIFAR-LT code's draw)."""
    rng = np.random.RandomState(seed)
    for c in range(num_classes):
        idx = np.flatnonzero(labels == c)
        rng.shuffle(idx)
        yield idx
