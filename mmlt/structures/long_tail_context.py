"""The long-tail context: what the training set says about its classes and
groups, computed once and handed to every consumer.

:class:`LongTailContext` holds the training class counts, the group counts
and the class names. ``LongTailContextHook`` builds it once when training
starts (:func:`mmlt.datasets.long_tail_context_from_dataset`, labels read
through any dataset wrapper without decoding an image; the counting lives
with the datasets, so this module is pure data), the constructor validates it
(the one validation of class statistics), and :func:`hand_over` gives it to
every consumer that has a ``set_long_tail_context(context)`` method: the
head (which keeps the counts in its checkpointed ``class_counts`` buffer and
hands them to its loss, where a count-based loss derives its per-class
buffers once), the long-tail metrics, the class-frequency transforms of the
training pipeline, and the schedule hooks (deferred re-weighting). When
testing a checkpoint, the hook rebuilds the context from the head's buffer
(or an ensemble's counts) for the metrics.
"""
from dataclasses import dataclass
from typing import Any, Iterable, Optional, Sequence, Tuple

import numpy as np

__all__ = ['LongTailContext', 'check_counts', 'hand_over', 'pipelines_of']


def check_counts(values: Any, what: str = 'class_counts') -> np.ndarray:
    """Image counts (per class or group) as an int64 array: non-empty, 1-D,
    non-negative integers, else a ValueError naming ``what`` and the
    values. The one check of class statistics (the context, the metric and
    the class-frequency transform use it)."""
    array = np.asarray(values)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f'{what} must be a non-empty 1-D list of image '
                         f'counts, got shape {array.shape}')
    if array.dtype == bool or not np.issubdtype(array.dtype, np.number) or \
            not np.all(np.isfinite(array)) or (array < 0).any() or \
            not np.all(np.mod(array, 1) == 0):
        raise ValueError(f'{what} must be non-negative integers, got '
                         f'{array.tolist()}')
    return array.astype(np.int64)


@dataclass(frozen=True)
class LongTailContext:
    """Training-set statistics shared by the head, losses, metrics,
    class-frequency transforms and schedule hooks.

    Args:
        class_counts: Training images per class (length = number of
            classes; zeros allowed here, a loss that divides by them
            refuses them when it receives them).
        group_counts: Training images per group id 0..G-1 (None: unknown,
            e.g. when rebuilt from a checkpoint's class counts).
        class_names: Class names in label order (None: unknown).
        class_group_counts: Training images per class (rows) and group id
            (columns 0..G-1), whose rows sum to ``class_counts`` and whose
            columns sum to ``group_counts`` (None: unknown).
    """
    class_counts: np.ndarray
    group_counts: Optional[np.ndarray] = None
    class_names: Optional[Tuple[str, ...]] = None
    class_group_counts: Optional[np.ndarray] = None

    def __post_init__(self) -> None:
        counts = check_counts(self.class_counts, 'class_counts')
        object.__setattr__(self, 'class_counts', counts)
        if self.group_counts is not None:
            object.__setattr__(self, 'group_counts', check_counts(
                self.group_counts, 'group_counts'))
        if self.class_names is not None:
            names = tuple(self.class_names)
            if len(names) != len(counts):
                raise ValueError(
                    f'{len(names)} class names but class counts for '
                    f'{len(counts)} classes')
            object.__setattr__(self, 'class_names', names)
        if self.class_group_counts is not None:
            table = np.asarray(self.class_group_counts)
            check_counts(table.ravel(), 'class_group_counts')
            if table.ndim != 2 or table.shape[0] != len(counts) or \
                    not np.array_equal(table.sum(1), counts) or (
                        self.group_counts is not None and not np.array_equal(
                            table.sum(0), self.group_counts)):
                raise ValueError(
                    f'class_group_counts of shape {table.shape} does not add '
                    'up to the class counts and group counts')
            object.__setattr__(self, 'class_group_counts',
                               table.astype(np.int64))

    @property
    def num_classes(self) -> int:
        return int(self.class_counts.size)

    def zero_count_classes(self) -> list:
        """Names (or indices) of the classes without a training image."""
        empty = np.flatnonzero(self.class_counts == 0).tolist()
        if self.class_names is None:
            return empty
        return [f'{i} ({self.class_names[i]})' for i in empty]


def hand_over(context: LongTailContext, consumers: Iterable[Any]) -> int:
    """Give ``context`` to every consumer with ``set_long_tail_context``
    (each object once); returns how many took it."""
    seen, taken = set(), 0
    for consumer in consumers:
        if consumer is None or id(consumer) in seen:
            continue
        seen.add(id(consumer))
        method = getattr(consumer, 'set_long_tail_context', None)
        if callable(method):
            method(context)
            taken += 1
    return taken


def pipelines_of(dataset: Any) -> Sequence[Any]:
    """Every ``pipeline`` inside a dataset and its wrappers (mmengine's
    ConcatDataset/RepeatDataset/ClassBalancedDataset, the Runner's slicing,
    k-fold wrappers, mmlt's LongTailDataset)."""
    found, stack, seen = [], [dataset], set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        pipeline = getattr(node, 'pipeline', None)
        if pipeline is not None:
            found.append(pipeline)
        for attr in ('dataset', '_dataset'):
            stack.append(getattr(node, attr, None))
        stack.extend(getattr(node, 'datasets', None) or [])
    return found
