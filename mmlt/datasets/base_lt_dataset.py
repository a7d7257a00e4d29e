"""A group-aware base for mmlt's classification datasets."""
from typing import List, Optional, Sequence, Union

import numpy as np
from mmpretrain.datasets import BaseDataset


__all__ = ['BaseLTDataset']


class BaseLTDataset(BaseDataset):
    """MMPretrain ``BaseDataset`` that knows labels and groups up front.

    Every item of ``data_list`` carries ``gt_label`` and ``group_id`` (a
    sample without a group id belongs to group 0). After ``full_init`` the
    labels and groups are cached as arrays, so ``get_gt_labels``,
    ``get_group_ids``, ``class_counts`` and ``group_counts`` never decode an
    image nor deserialize the data list again. The caches follow the data
    list: MMEngine's ``get_subset``/``get_subset_`` (used by MMPretrain's
    ``KFoldDataset`` and a dataset's ``indices=``) recompute them for the
    subset.

    ``group_id`` reaches the model only if the pipeline ends with
    ``PackInputs(algorithm_keys=['group_id'])``.
    """

    _gt_labels: Optional[np.ndarray] = None
    _group_ids: Optional[np.ndarray] = None

    def full_init(self) -> None:
        """Load annotations, then cache labels and group ids."""
        if self._fully_initialized:
            return
        super().full_init()
        self._cache_annotations()

    def _cache_annotations(self) -> None:
        """(Re)compute the label and group caches from the data list."""
        infos = [self.get_data_info(i) for i in range(len(self))]
        self._gt_labels = np.array([int(x['gt_label']) for x in infos],
                                   dtype=np.int64)
        self._group_ids = np.array([int(x.get('group_id', 0)) for x in infos],
                                   dtype=np.int64)

    def get_subset_(self, indices: Union[Sequence[int], int]) -> None:
        """MMEngine's in-place subset, with the caches of the subset."""
        super().get_subset_(indices)
        if self._fully_initialized:
            self._cache_annotations()

    def get_subset(self, indices: Union[Sequence[int], int]
                   ) -> 'BaseLTDataset':
        """MMEngine's subset copy, with the caches of the subset (MMEngine
        copies every attribute, so the whole set's cached labels would
        otherwise stay)."""
        subset = super().get_subset(indices)
        if subset._fully_initialized:
            subset._cache_annotations()
        return subset

    @property
    def num_classes(self) -> int:
        """Number of classes named in the metainfo."""
        classes = self.metainfo.get('classes')
        if classes is None:
            raise ValueError(f'{type(self).__name__} has no "classes" in its '
                             'metainfo; pass classes= or metainfo=')
        return len(classes)

    def get_gt_labels(self) -> np.ndarray:
        """Class index of every sample, without loading any image."""
        self.full_init()
        return self._gt_labels.copy()

    def get_group_ids(self) -> np.ndarray:
        """Group id of every sample (0 where the annotation has none)."""
        self.full_init()
        return self._group_ids.copy()

    def get_cat_ids(self, idx: int) -> List[int]:
        """Category of one sample (used by mmengine's ClassBalancedDataset)."""
        self.full_init()
        return [int(self._gt_labels[idx])]

    @property
    def class_counts(self) -> np.ndarray:
        """Samples per class, length ``num_classes`` (zeros included)."""
        self.full_init()
        return np.bincount(self._gt_labels, minlength=self.num_classes)

    @property
    def group_counts(self) -> np.ndarray:
        """Samples per group id, from 0 to the largest group id."""
        self.full_init()
        return np.bincount(self._group_ids)
