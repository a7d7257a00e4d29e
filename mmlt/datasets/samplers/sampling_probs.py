"""Pure functions: sampling probabilities of re-sampling strategies.

A strategy gives each class a probability; within a class every sample is
equally likely. With ``n_c`` the training images of class c:

* ``instance``: P(c) ∝ n_c (plain shuffling);
* ``class_balanced``: P(c) ∝ 1 (Kang et al., "Decoupling Representation and
  Classifier for Long-Tailed Recognition", ICLR 2020, eq. 1 with q = 0);
* ``sqrt``: P(c) ∝ n_c^(1/2) (same paper, q = 1/2; Mahajan et al. 2018);
* ``power``: P(c) ∝ n_c^q for a given q;
* ``progressive``: P(c, t) = (1 − t/T)·P_instance(c) + (t/T)·P_balanced(c),
  t the 0-based epoch and T the number of epochs (Kang et al. 2020, eq. 2);
* ``dynamic``: the reverse, balanced early and the original distribution
  late: P(c, t) = (t/T)·P_instance(c) + (1 − t/T)·P_balanced(c).

Group weights multiply the probability of every sample of a group, explicit
per-sample weights the probability of that sample; the result is
normalised.
"""
from typing import Dict, Mapping, Optional, Sequence

import numpy as np

from mmlt.structures import parse_group_weight
from ..label_utils import zero_count_classes

__all__ = [
    'STRATEGIES', 'class_probabilities', 'check_strategy',
    'check_group_weight', 'check_sample_weight'
]

STRATEGIES = ('instance', 'class_balanced', 'sqrt', 'power', 'progressive',
              'dynamic')
_FIXED_Q = {'instance': 1.0, 'class_balanced': 0.0, 'sqrt': 0.5}


def check_strategy(strategy: str, q: Optional[float],
                   num_epochs: Optional[int]) -> None:
    """Validate a strategy and the arguments it needs."""
    if strategy not in STRATEGIES:
        raise ValueError(f'strategy={strategy!r} is not one of {STRATEGIES}')
    if strategy == 'power':
        if q is None or not np.isfinite(q):
            raise ValueError(f'strategy="power" needs a finite q, got q={q!r}')
    elif q is not None:
        raise ValueError(f'q={q!r} is only used with strategy="power" (got '
                         f'strategy={strategy!r})')
    if strategy in ('progressive', 'dynamic') and num_epochs is not None:
        if isinstance(num_epochs, bool) or not isinstance(
                num_epochs, int) or num_epochs < 1:
            raise ValueError(f'strategy={strategy!r}: num_epochs (the '
                             f'schedule length) must be a positive int or '
                             f'None, got {num_epochs!r}')


def _power_probs(counts: np.ndarray, q: float,
                 classes: Optional[Sequence[str]]) -> np.ndarray:
    empty = counts == 0
    if q <= 0 and empty.any():
        names = zero_count_classes(counts, classes)
        raise ValueError(
            f'class(es) {", ".join(map(str, names))} have no sample, so a strategy '
            f'with class exponent q={q} cannot give them their share; '
            'remove the classes or use instance/sqrt sampling')
    with np.errstate(divide='ignore'):
        probs = np.where(empty, 0.0, counts.astype(np.float64)**q)
    return probs / probs.sum()


def class_probabilities(counts: Sequence[int],
                        strategy: str,
                        q: Optional[float] = None,
                        epoch: int = 0,
                        num_epochs: Optional[int] = None,
                        classes: Optional[Sequence[str]] = None
                        ) -> np.ndarray:
    """Probability of drawing each class under ``strategy`` at ``epoch``.

    Args:
        counts: Samples per class (zeros allowed for q > 0).
        strategy: One of :data:`STRATEGIES`.
        q: The exponent of ``'power'``.
        epoch: 0-based epoch (progressive/dynamic).
        num_epochs: Schedule length T (progressive/dynamic); required
            here, None is refused.
        classes: Class names, for error messages.

    Returns:
        np.ndarray: float64 probabilities summing to 1.
    """
    check_strategy(strategy, q, num_epochs)
    counts = np.asarray(counts, dtype=np.int64)
    if counts.sum() == 0:
        raise ValueError('the dataset has no sample in any class')
    if strategy in _FIXED_Q:
        return _power_probs(counts, _FIXED_Q[strategy], classes)
    if strategy == 'power':
        return _power_probs(counts, float(q), classes)
    if num_epochs is None:
        raise ValueError(
            f'strategy={strategy!r} needs the schedule length num_epochs: '
            'set it on the sampler, or keep LongTailContextHook (default_'
            "hooks['long_tail_context']) to take it from "
            'train_cfg.max_epochs')
    ratio = min(max(epoch, 0) / num_epochs, 1.0)
    instance = _power_probs(counts, 1.0, classes)
    balanced = _power_probs(counts, 0.0, classes)
    if strategy == 'progressive':
        return (1 - ratio) * instance + ratio * balanced
    return ratio * instance + (1 - ratio) * balanced


def check_group_weight(group_weight: Optional[Mapping],
                       present_groups: Sequence[int]) -> Dict[int, float]:
    """Validate ``{group_id: weight}`` against the groups in the data.

    Keys and weights are parsed by :func:`mmlt.structures.parse_group_weight`
    (the head's rule: int keys or their decimal strings, as
    ``--cfg-options`` gives them; finite weights >= 0).

    Raises:
        TypeError: If ``group_weight`` is not a dict.
        ValueError: On a bad key or weight, a group without any sample, or
            weights that leave nothing to draw.
    """
    clean = parse_group_weight(group_weight)
    if clean is None:
        return {}
    present = set(int(g) for g in present_groups)
    for g in clean:
        if g not in present:
            hint = ''
            if present == {0}:
                hint = ('; every sample is in group 0: does the dataset '
                        'annotate a group_id?')
            raise ValueError(f'group_weight names group {g}, which has no '
                             f'sample; groups present: {sorted(present)}'
                             f'{hint}')
    if present and all(clean.get(g, 1.0) == 0 for g in present):
        raise ValueError(f'group_weight={group_weight} gives every group '
                         'weight 0: nothing could be sampled')
    return clean


def check_sample_weight(weights: Sequence[float], num_samples: int,
                        source: str = 'sample_weight') -> np.ndarray:
    """Validate explicit per-sample weights."""
    try:
        weights = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f'{source} must be numbers') from None
    if weights.shape != (num_samples, ):
        raise ValueError(f'{source} has {weights.size} values for '
                         f'{num_samples} samples')
    bad = ~np.isfinite(weights) | (weights < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f'{source}[{i}]={weights[i]} must be a finite '
                         'number >= 0')
    if not (weights > 0).any():
        raise ValueError(f'{source} is all zero: nothing could be sampled')
    return weights
