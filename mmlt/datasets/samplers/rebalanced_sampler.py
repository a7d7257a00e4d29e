"""A distributed, deterministic, resumable re-sampling sampler."""
from typing import Dict, Iterator, Optional, Sequence, Union

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from mmlt.registry import DATA_SAMPLERS
from ..label_utils import get_classes, get_field, get_group_ids, get_labels
from .draw import (build_cell_index, draw_from_cells, draw_from_weights,
                   epoch_seed, pad_to_multiple)
from .sampling_probs import (check_group_weight, check_sample_weight,
                             check_strategy, class_probabilities)

__all__ = ['RebalancedSampler']


@DATA_SAMPLERS.register_module()
class RebalancedSampler(Sampler):
    """Draw training indices by class/group/sample probabilities.

    A drop-in ``train_dataloader.sampler``. Strategies and their formulas:
    :mod:`mmlt.datasets.samplers.sampling_probs` (instance, class_balanced,
    sqrt, power q, progressive and dynamic, per Kang et al. ICLR 2020).
    ``group_weight={1: 2.0}`` makes each sample of group 1 twice as likely
    as it would be, with any class strategy; ``sample_weight`` multiplies
    each sample's probability by an explicit weight (a list, or the name of
    an annotation field such as a CSV ``weight`` column).

    Distributed: every rank computes the same global plan of the epoch from
    ``(seed, epoch)`` (the generator is seeded with ``seed + epoch`` as in
    mmengine's ``DefaultSampler``), padded to a multiple of the world size,
    and yields its strided slice ``plan[rank::world_size]``: shards are
    disjoint slices of one plan and equally long on every rank. Labels and
    groups are read from the annotations through any dataset wrapper
    (:mod:`mmlt.datasets.label_utils`), never by loading images.

    Resume: the plan depends only on (seed, epoch, strategy), and the epoch
    comes from ``set_epoch`` (mmengine's ``DistSamplerSeedHook``), so a
    resumed run draws the same indices as an uninterrupted one, given a
    fixed ``randomness.seed`` (mmengine does not hand a seed it generated
    and restored from a checkpoint back to samplers).

    Args:
        dataset: The training dataset.
        strategy: ``'instance'``, ``'class_balanced'``, ``'sqrt'``,
            ``'power'``, ``'progressive'`` or ``'dynamic'``.
        q: Class exponent of ``'power'`` (P(c) ∝ n_c^q).
        num_epochs: Schedule length for progressive/dynamic; None takes
            ``train_cfg.max_epochs`` when training starts (set by
            ``LongTailContextHook``, in mmlt's base runtime config).
        group_weight: ``{group_id: weight}``; unnamed groups keep 1.0. Keys
            may be decimal strings (``--cfg-options``), as for the head
            (:func:`mmlt.structures.parse_group_weight`).
        sample_weight: Per-sample weights, or an annotation field name.
        replacement: Draw with replacement (default). Without it each index
            appears at most once per epoch (needs ``num_samples`` <= the
            samples with a positive probability).
        num_samples: Indices per epoch over all ranks; default the dataset
            length.
        seed: Base seed; None → a seed shared by all ranks
            (``sync_random_seed``), as the Runner passes None when
            ``randomness.diff_rank_seed`` is set.
    """

    def __init__(self,
                 dataset,
                 strategy: str = 'class_balanced',
                 q: Optional[float] = None,
                 num_epochs: Optional[int] = None,
                 group_weight: Optional[Dict[int, float]] = None,
                 sample_weight: Union[None, str, Sequence[float]] = None,
                 replacement: bool = True,
                 num_samples: Optional[int] = None,
                 seed: Optional[int] = None) -> None:
        check_strategy(strategy, q, num_epochs)
        self.dataset = dataset
        self.rank, self.world_size = get_dist_info()
        self.seed = sync_random_seed() if seed is None else int(seed)
        self.epoch = 0
        self.strategy, self.q, self.num_epochs = strategy, q, num_epochs
        self.replacement = bool(replacement)

        self.labels = get_labels(dataset)
        self.groups = get_group_ids(dataset)
        if len(self.labels) == 0:
            raise ValueError('cannot sample from an empty dataset')
        self.classes = get_classes(dataset)
        num_classes = len(self.classes) if self.classes is not None else int(
            self.labels.max()) + 1
        self.class_counts = np.bincount(self.labels, minlength=num_classes)
        group_ids, self._group_of_sample = np.unique(
            self.groups, return_inverse=True)
        self.group_ids = group_ids
        self.group_weight = check_group_weight(group_weight, group_ids)
        if isinstance(sample_weight, str):
            values = get_field(dataset, sample_weight)
            sample_weight = check_sample_weight(
                values, len(self.labels), f'annotation field '
                f'{sample_weight!r}')
        elif sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight,
                                                len(self.labels))
        self.sample_weight = sample_weight
        if num_samples is None:
            num_samples = len(self.labels)
        if not isinstance(num_samples, int) or num_samples < 1:
            raise ValueError(f'num_samples={num_samples!r} must be a '
                             'positive int')
        self.num_samples = num_samples
        self.total_size = -(-num_samples // self.world_size) * self.world_size

        num_groups = len(group_ids)
        self._cell_of_sample = self.labels * num_groups + self._group_of_sample
        self._cells = build_cell_index(self._cell_of_sample,
                                       num_classes * num_groups)
        # validate now, not at the first epoch (a zero-count class under a
        # balanced strategy, group weights that leave nothing to draw)
        self.sample_probs(num_epochs=num_epochs or 1)

    # ----------------------------------------------------------- schedule
    def set_epoch(self, epoch: int) -> None:
        """Called by mmengine's DistSamplerSeedHook before each epoch."""
        self.epoch = int(epoch)

    def set_num_epochs(self, num_epochs: int) -> None:
        """Set the schedule length of progressive/dynamic sampling."""
        check_strategy(self.strategy, self.q, num_epochs)
        self.num_epochs = num_epochs

    def set_strategy(self, strategy: str, q: Optional[float] = None,
                     num_epochs: Optional[int] = None) -> None:
        """Switch the strategy (deferred re-sampling); validated first."""
        num_epochs = self.num_epochs if num_epochs is None else num_epochs
        check_strategy(strategy, q, num_epochs)
        class_probabilities(self.class_counts, strategy, q, self.epoch,
                            num_epochs or 1, self.classes)
        self.strategy, self.q, self.num_epochs = strategy, q, num_epochs

    # -------------------------------------------------------- probabilities
    def _cell_probs(self, num_epochs: Optional[int] = None) -> np.ndarray:
        class_p = class_probabilities(self.class_counts, self.strategy,
                                      self.q, self.epoch, num_epochs or
                                      self.num_epochs, self.classes)
        num_groups = len(self.group_ids)
        gw = np.array([self.group_weight.get(int(g), 1.0)
                       for g in self.group_ids])
        counts = np.maximum(self.class_counts, 1)
        per_sample = np.repeat(class_p / counts, num_groups) * np.tile(
            gw, len(class_p))
        probs = per_sample * self._cells.sizes
        if probs.sum() <= 0:
            raise ValueError('no sample has a positive probability (group '
                             f'weights {self.group_weight})')
        return probs / probs.sum()

    def sample_probs(self, num_epochs: Optional[int] = None) -> np.ndarray:
        """Probability of each sample in one draw, for the current epoch."""
        cell_p = self._cell_probs(num_epochs)
        sizes = np.maximum(self._cells.sizes, 1)
        p = (cell_p / sizes)[self._cell_of_sample]
        if self.sample_weight is not None:
            p = p * self.sample_weight
            if p.sum() <= 0:
                raise ValueError('sample weights are zero wherever the '
                                 'strategy gives a positive probability')
        p = p / p.sum()
        if not self.replacement and (p > 0).sum() < self.num_samples:
            raise ValueError(
                f'replacement=False needs num_samples ({self.num_samples}) '
                f'<= samples with a positive probability ({(p > 0).sum()})')
        return p

    # ------------------------------------------------------------- the plan
    def global_plan(self) -> np.ndarray:
        """This epoch's indices over all ranks (same on every rank)."""
        seed = epoch_seed(self.seed, self.epoch)
        if self.replacement and self.sample_weight is None:
            return draw_from_cells(self._cells, self._cell_probs(),
                                   self.total_size, seed)
        if self.replacement:
            return draw_from_weights(self.sample_probs(), self.total_size,
                                     True, seed)
        plan = draw_from_weights(self.sample_probs(), self.num_samples,
                                 False, seed)
        return pad_to_multiple(plan, self.world_size)[0]

    def __iter__(self) -> Iterator[int]:
        plan = self.global_plan()
        # converted to Python ints lazily: a list of millions of ints would
        # cost far more memory than the int64 plan
        return map(int, plan[self.rank:self.total_size:self.world_size])

    def __len__(self) -> int:
        return self.total_size // self.world_size

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(strategy={self.strategy!r}, q='
                f'{self.q}, group_weight={self.group_weight}, replacement='
                f'{self.replacement}, num_samples={self.num_samples}, seed='
                f'{self.seed}, epoch={self.epoch}, rank={self.rank}/'
                f'{self.world_size})')
