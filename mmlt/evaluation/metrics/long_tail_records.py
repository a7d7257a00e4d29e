"""What :class:`~mmlt.evaluation.LongTailMetric` keeps of each sample and
how the gathered records become arrays: the per-sample reduction of
``process``, the checks of the records of all ranks, the checks of the
metric's arguments, and the class names made safe for result keys.

Kept apart from the metric so that the metric reads as what it computes;
every function here is stateless.
"""
import re
from numbers import Integral, Real
from typing import Any, List, NamedTuple, Optional, Sequence

import numpy as np
import torch

from mmlt.structures import PACK_GROUP_ID, GroupIdError, has_group_id
from mmlt.structures.long_tail_context import check_counts
from ..functional import gt_rank

__all__ = [
    'Records', 'check_class_counts', 'check_shot_bin_counts',
    'check_threshold', 'check_topk', 'class_keys', 'reduce_sample',
    'stack_records'
]

# the keyword arguments of mmlt.datasets.long_tail_counts, the profile form
# of LongTailMetric's shot_bin_counts
PROFILE_KEYS = ('num_classes', 'max_count', 'imbalance_ratio', 'profile',
                'class_order')


class Records(NamedTuple):
    """The gathered records as arrays, one entry per evaluated sample."""

    num_classes: int
    gt: np.ndarray
    pred: np.ndarray
    ranks: np.ndarray
    groups: np.ndarray
    #: Whether each sample's group prediction equals its ``group_id``, for
    #: the samples with a group prediction.
    group_hits: List[bool]


def check_class_counts(counts: Any) -> Optional[np.ndarray]:
    """Validate training images per class; return an int64 array or None."""
    if counts is None:
        return None
    if isinstance(counts, torch.Tensor):
        counts = counts.detach().cpu().numpy()
    return check_counts(counts, 'class_counts')


def check_shot_bin_counts(value: Any) -> Optional[np.ndarray]:
    """The counts that define the shot bins, from ``LongTailMetric``'s
    ``shot_bin_counts``: None, images per class (a list), or a long-tail
    profile, the keyword arguments of
    :func:`mmlt.datasets.long_tail_counts` (``num_classes``,
    ``max_count``, ``imbalance_ratio`` and optionally ``profile``,
    ``class_order``), e.g. the protocol's draw for a model trained on a
    balanced one. Returns an int64 array or None.

    Raises:
        ValueError: For a dict with other keys or without the required
            ones, a profile the dataset's draw refuses, or counts that are
            not non-negative integers.
    """
    if value is None:
        return None
    if isinstance(value, dict):
        from mmlt.datasets.lt_profiles import long_tail_counts
        unknown = sorted(set(value) - set(PROFILE_KEYS))
        missing = [k for k in PROFILE_KEYS[:3] if k not in value]
        if unknown or missing:
            raise ValueError(
                f'shot_bin_counts={value!r}: a long-tail profile takes the '
                f'arguments of long_tail_counts {list(PROFILE_KEYS)} '
                f'(unknown: {unknown}, missing: {missing}), e.g. '
                "dict(num_classes=10, max_count=1000, imbalance_ratio=100, "
                "profile='exp')")
        try:
            value = long_tail_counts(**value)
        except ValueError as error:
            raise ValueError(f'shot_bin_counts: {error}') from None
    return check_counts(value, 'shot_bin_counts')


def check_threshold(value: Any, name: str) -> float:
    """Validate a shot threshold (a non-negative number)."""
    if isinstance(value, bool) or not isinstance(value, Real) or value < 0:
        raise ValueError(f'{name} must be a non-negative number, got '
                         f'{value!r}.')
    return value


def check_topk(topk: Any) -> tuple:
    """Validate ``topk`` (a positive int or a sequence of them)."""
    ks = (topk, ) if isinstance(topk, Integral) else topk
    if not isinstance(ks, Sequence) or isinstance(ks, str) or not ks or \
            any(isinstance(k, bool) or not isinstance(k, Integral) or k < 1
                for k in ks):
        raise ValueError('topk must be a positive int or a non-empty '
                         f'sequence of positive ints, got {topk!r}.')
    return tuple(int(k) for k in ks)


def _to_int(value: Any, name: str) -> int:
    """Read an int from an int, or a tensor/array/list of one element."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    array = np.asarray(value)
    if array.size != 1 or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f'{name} must be one integer, got {value!r}.')
    return int(array.reshape(-1)[0])


def class_keys(class_names: Sequence[str]) -> List[str]:
    """One result-key segment per class name, safe for loggers and
    TensorBoard.

    Every run of characters other than letters, digits, ``_``, ``.`` and
    ``-`` (spaces, slashes...) becomes one ``_``, so a name never adds a
    level to the key (``long_tail/recall/<key>``) and TensorBoard does not
    rewrite the tag (it replaces the same characters, with a warning). A
    name left empty becomes its class index; a key that another class
    already has gets ``_<class index>`` appended, so every class keeps its
    own key.

    Args:
        class_names (Sequence[str]): The C class names, in label order.

    Returns:
        List[str]: C distinct keys.
    """
    keys: List[str] = []
    for index, name in enumerate(class_names):
        key = re.sub(r'[^\w.\-]+', '_', str(name)).strip('_') or str(index)
        if key in keys:
            key = f'{key}_{index}'
        keys.append(key)
    return keys


def _group_prediction(sample: dict) -> Optional[int]:
    """The predicted group of a sample with a group prediction and a
    ``group_id``, else None."""
    if not has_group_id(sample):
        return None
    if 'pred_group_score' in sample:
        score = torch.as_tensor(sample['pred_group_score']).detach()
        return int(score.float().cpu().reshape(-1).argmax())
    if 'pred_group_label' in sample:
        return _to_int(sample['pred_group_label'], 'pred_group_label')
    return None


def reduce_sample(sample: dict, group_id: Optional[int]) -> dict:
    """A data sample reduced to the few ints the metric needs: argmax, label,
    rank of the label, number of classes and group (``group_id`` None: the
    batch has no group ids, the sample counts as group 0).

    Raises:
        ValueError: If the sample lacks ``pred_score``/``gt_label`` or its
            label is outside ``[0, C)``.
    """
    for key in ('pred_score', 'gt_label'):
        if key not in sample:
            raise ValueError(f'LongTailMetric needs {key!r} in each '
                             f'data sample, got keys {list(sample)}.')
    score = torch.as_tensor(sample['pred_score']).detach()
    score = score.float().cpu().reshape(-1).numpy()
    label = _to_int(sample['gt_label'], 'gt_label')
    if not 0 <= label < score.size:
        raise ValueError(f'gt_label {label} is outside [0, '
                         f'{score.size}).')
    return {
        'pred_label': int(score.argmax()),
        'gt_label': label,
        'gt_rank': int(gt_rank(score, label)),
        'num_classes': int(score.size),
        'group_id': 0 if group_id is None else group_id,
        'has_group_id': group_id is not None,
        'pred_group': _group_prediction(sample),
    }


def stack_records(results: List[dict],
                  class_counts: Optional[np.ndarray]) -> Records:
    """The records of all ranks (non-empty) as arrays, checked.

    Raises:
        ValueError: If samples disagree on the number of classes, a label
            is out of range, or ``class_counts`` has another length than
            the number of classes.
        GroupIdError: If only some samples have a ``group_id``.
    """
    num_classes = {r['num_classes'] for r in results}
    if len(num_classes) != 1:
        raise ValueError('All pred_score must have the same number of '
                         f'classes, got {sorted(num_classes)}.')
    num = num_classes.pop()
    gt = np.array([r['gt_label'] for r in results], dtype=np.int64)
    pred = np.array([r['pred_label'] for r in results], dtype=np.int64)
    ranks = np.array([r['gt_rank'] for r in results], dtype=np.int64)
    groups = np.array([r['group_id'] for r in results], dtype=np.int64)
    with_group = sum(bool(r.get('has_group_id', True)) for r in results)
    if 0 < with_group < len(results):
        raise GroupIdError(
            f'LongTailMetric: {with_group} of the {len(results)} '
            'evaluated samples have a group_id and the others not: '
            f'{PACK_GROUP_ID} for every sample, or for none (then all '
            'are group 0)')
    bad = gt[(gt < 0) | (gt >= num)]
    if bad.size:
        raise ValueError(f'gt_label {bad[0]} is outside [0, {num}).')
    if class_counts is not None and class_counts.size != num:
        raise ValueError(f'class_counts has {class_counts.size} entries but '
                         f'the scores have {num} classes.')
    group_hits = [
        r['pred_group'] == r['group_id'] for r in results
        if r.get('pred_group') is not None
    ]
    return Records(num, gt, pred, ranks, groups, group_hits)
