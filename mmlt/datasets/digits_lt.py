"""Long-tailed handwritten digits: real data that ships with scikit-learn."""
from typing import List, Optional, Sequence

import numpy as np

from mmlt.registry import DATASETS
from .base_lt_dataset import BaseLTDataset
from .lt_profiles import long_tail_counts, sample_long_tail_indices

__all__ = ['DigitsLT']


def split_balanced_test(labels: np.ndarray, test_per_class: int,
                        seed: int) -> np.ndarray:
    """Boolean mask of a test split with ``test_per_class`` images/class."""
    rng = np.random.RandomState(seed)
    mask = np.zeros(len(labels), dtype=bool)
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        if len(idx) <= test_per_class:
            raise ValueError(f'class {c} has {len(idx)} images, not more '
                             f'than test_per_class={test_per_class}')
        rng.shuffle(idx)
        mask[idx[:test_per_class]] = True
    return mask


def ink_groups(images: np.ndarray, labels: np.ndarray,
               quantile: float) -> np.ndarray:
    """Group 1 = images whose ink (pixel sum) is above the class quantile."""
    ink = images.reshape(len(images), -1).sum(1)
    groups = np.zeros(len(images), dtype=np.int64)
    for c in np.unique(labels):
        sel = labels == c
        groups[sel] = (ink[sel] > np.quantile(ink[sel], quantile))
    return groups


@DATASETS.register_module()
class DigitsLT(BaseLTDataset):
    """scikit-learn's bundled digits (1,797 real 8x8 scans, 10 classes) as a
    long-tailed training split and a disjoint balanced test split.

    No download: the scans ship with scikit-learn. First ``test_per_class``
    images of each class (after a seeded shuffle) form the test split; from
    the rest, the training split keeps a long-tailed subset by the CIFAR-LT
    protocol (:mod:`mmlt.datasets.lt_profiles`), ``max_count`` images for
    the head class. Images are uint8 ``8x8x3`` arrays (grey levels 0-16
    scaled to 0-255, repeated on 3 channels) under the key ``img``, so
    pipelines start after image loading; ``digit_index`` is the image's
    position in ``load_digits()``.

    Groups (``group_by='ink'``): group 1 holds the images whose total ink is
    above the ``group_quantile`` of their class (heavy strokes, a quarter of
    each class by default), group 0 the rest. ``group_by=None`` puts every
    image in group 0.

    Args:
        split: ``'train'`` or ``'test'``.
        imbalance_ratio: n_max / n_min of the training split.
        profile: ``'exp'`` or ``'step'``.
        max_count: Images of the head class; default: the smallest class's
            images left after the test split.
        class_order: Head-to-tail order of the classes.
        test_per_class: Test images per class.
        seed: Seed of the test split and of the long-tail subset.
        group_by: ``'ink'`` or None.
        group_quantile: Ink quantile above which an image is in group 1.
        **kwargs: ``pipeline``, ``test_mode``, ``lazy_init`` ... of
            MMPretrain's ``BaseDataset``.
    """

    METAINFO = {'classes': tuple(str(i) for i in range(10))}

    def __init__(self,
                 split: str = 'train',
                 imbalance_ratio: float = 10.,
                 profile: str = 'exp',
                 max_count: Optional[int] = None,
                 class_order: Optional[Sequence[int]] = None,
                 test_per_class: int = 50,
                 seed: int = 0,
                 group_by: Optional[str] = 'ink',
                 group_quantile: float = 0.75,
                 **kwargs) -> None:
        if split not in ('train', 'test'):
            raise ValueError(f'split={split!r} must be "train" or "test"')
        if group_by not in ('ink', None):
            raise ValueError(f'group_by={group_by!r} must be "ink" or None')
        if not 0 < group_quantile < 1:
            raise ValueError(f'group_quantile={group_quantile} must be in '
                             '(0, 1)')
        if not isinstance(test_per_class, int) or test_per_class < 1:
            raise ValueError(f'test_per_class={test_per_class!r} must be a '
                             'positive integer')
        self.split = split
        self.imbalance_ratio = imbalance_ratio
        self.profile = profile
        self.max_count = max_count
        self.class_order = class_order
        self.test_per_class = test_per_class
        self.seed = seed
        self.group_by = group_by
        self.group_quantile = group_quantile
        kwargs.setdefault('test_mode', split == 'test')
        super().__init__(ann_file='', **kwargs)

    def load_data_list(self) -> List[dict]:
        from sklearn.datasets import load_digits
        digits = load_digits()
        images = np.round(digits.images * (255. / 16.)).astype(np.uint8)
        labels = digits.target.astype(np.int64)
        groups = ink_groups(images, labels, self.group_quantile) \
            if self.group_by == 'ink' else np.zeros_like(labels)
        test_mask = split_balanced_test(labels, self.test_per_class,
                                        self.seed)
        if self.split == 'test':
            keep = np.flatnonzero(test_mask)
        else:
            pool = np.flatnonzero(~test_mask)
            counts = np.bincount(labels[pool], minlength=10)
            max_count = int(counts.min()) if self.max_count is None \
                else self.max_count
            target = long_tail_counts(10, max_count, self.imbalance_ratio,
                                      self.profile, self.class_order)
            keep = pool[sample_long_tail_indices(labels[pool], target,
                                                 self.seed)]
        return [
            dict(
                img=np.repeat(images[i][..., None], 3, axis=2),
                gt_label=int(labels[i]),
                group_id=int(groups[i]),
                digit_index=int(i)) for i in keep
        ]
