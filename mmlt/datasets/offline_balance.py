"""Pure functions for offline balancing of an annotation list.

Rows are grouped by a key (class, group, or class and group); groups below
the target count are over-sampled (whole copies, then a seeded random
remainder), groups above it under-sampled (a seeded random subset). The
plan lists every dropped row so that nothing is lost silently.
"""
from typing import Dict, List, Sequence, Tuple, Union

import numpy as np

__all__ = ['resolve_target', 'balance_indices', 'balance_count_table']

MODES = ('over', 'under', 'both')
TARGETS = ('max', 'min', 'median', 'mean')


def resolve_target(counts: Sequence[int], target: Union[int, str]) -> int:
    """The per-key target count: an int, or max/min/median/mean."""
    counts = np.asarray(counts)
    if isinstance(target, str):
        if target not in TARGETS:
            try:
                target = int(target)
            except ValueError:
                raise ValueError(f'target={target!r} is not a positive int '
                                 f'nor one of {TARGETS}') from None
        else:
            return int(round(getattr(np, target)(counts)))
    if isinstance(target, bool) or not isinstance(
            target, (int, np.integer)) or target < 1:
        raise ValueError(f'target={target!r} must be a positive int or one '
                         f'of {TARGETS}')
    return int(target)


def balance_indices(keys: Sequence, target: Union[int, str], mode: str,
                    seed: int = 0) -> Tuple[np.ndarray, np.ndarray, int]:
    """Plan the balanced list.

    Args:
        keys: The balancing key of every row (class, group or a tuple).
        target: Rows wanted per key (see :func:`resolve_target`).
        mode: ``'over'`` (only add copies), ``'under'`` (only drop rows) or
            ``'both'``.
        seed: Seed of the random choices.

    Returns:
        tuple: (indices of the output rows — kept rows in their original
        order, then the copies; dropped row indices; the resolved target).
    """
    if mode not in MODES:
        raise ValueError(f'mode={mode!r} is not one of {MODES}')
    keys = list(keys)
    index: Dict = {}
    for i, key in enumerate(keys):
        index.setdefault(key, []).append(i)
    target = resolve_target([len(v) for v in index.values()], target)
    rng = np.random.RandomState(seed)
    dropped: List[int] = []
    extra: List[int] = []
    for key in sorted(index, key=str):
        rows = np.array(index[key])
        n = len(rows)
        if n > target and mode in ('under', 'both'):
            keep = rng.choice(n, target, replace=False)
            dropped.extend(np.delete(rows, keep).tolist())
        elif n < target and mode in ('over', 'both'):
            copies, rest = divmod(target - n, n)
            extra.extend(np.tile(rows, copies).tolist())
            extra.extend(rows[rng.choice(n, rest, replace=False)].tolist())
    dropped_set = set(dropped)
    kept = [i for i in range(len(keys)) if i not in dropped_set]
    return (np.array(kept + extra, dtype=np.int64),
            np.array(sorted(dropped), dtype=np.int64), target)


def balance_count_table(before: Sequence, after: Sequence,
                        names: Dict = None) -> str:
    """A before/after count table per key, as text."""
    b_keys, b_counts = np.unique(np.asarray(before, dtype=object).astype(str),
                                 return_counts=True)
    a = dict(zip(*np.unique(np.asarray(after, dtype=object).astype(str),
                            return_counts=True)))
    lines = [f'{"key":<24}{"before":>10}{"after":>10}{"change":>10}']
    for key, n in zip(b_keys, b_counts):
        m = int(a.get(key, 0))
        label = names.get(key, key) if names else key
        lines.append(f'{str(label):<24}{n:>10}{m:>10}{m - n:>+10}')
    lines.append(f'{"total":<24}{len(before):>10}{len(after):>10}'
                 f'{len(after) - len(before):>+10}')
    return '\n'.join(lines)
