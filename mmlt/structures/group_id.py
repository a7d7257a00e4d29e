"""The one contract of the per-sample ``group_id`` field and of its config
form ``{group id: weight}``.

Group ids are non-negative integers. They travel from the annotation
(``data_list``) through the pipeline's results dict to the DataSample, kept
there only by ``PackInputs(algorithm_keys=['group_id'])``. Every reader in
mmlt goes through this module:

* a feature that needs group ids (a head's ``group_weight`` or a loss that
  takes ``group_id``, ``GroupMultiTaskHead``, ``GroupRoutedEnsemble``,
  ``ApplyByGroup``) reads them with :func:`read_group_ids` /
  :func:`gather_group_ids` / :func:`read_group_id`: a sample without one is
  a :class:`GroupIdError` naming the feature and the fix, never group 0;
* a report that merely splits by group (``LongTailMetric``) reads them with
  :func:`read_optional_group_ids`: data without any group id is one group
  (0), and a batch where some samples have a group id and others not is a
  :class:`GroupIdError`;
* ``{group id: weight}`` (a head's or a sampler's ``group_weight``) is
  parsed by :func:`parse_group_weight`, and any other dict keyed by group
  id (``ApplyByGroup.pipelines``, ``GroupRoutedEnsemble.routes``) has its
  keys parsed by :func:`parse_group_key`: ints, or their decimal strings as
  ``--cfg-options`` gives them (``model.head.group_weight.1=2.0``).
"""
import math
from collections.abc import Mapping
from numbers import Real
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch

__all__ = [
    'GroupIdError', 'PACK_GROUP_ID', 'ANNOTATE_GROUP_ID', 'has_group_id',
    'to_group_id', 'read_group_ids', 'read_group_id', 'gather_group_ids',
    'read_optional_group_ids', 'parse_group_key', 'parse_group_weight'
]

# The fix for a DataSample without group_id (model side, metric).
PACK_GROUP_ID = ("keep it with dict(type='PackInputs', "
                 "algorithm_keys=['group_id']) at the end of the pipeline")
# The fix for a results dict without group_id (inside the pipeline).
ANNOTATE_GROUP_ID = (
    'give every annotation a group_id (e.g. a group_id column of '
    "GroupAnnotationDataset, or DigitsLT(group_by='ink'))")


class GroupIdError(ValueError):
    """A sample without ``group_id`` where its group is needed, or a batch
    where only some samples have one."""


def has_group_id(sample: Any) -> bool:
    """Whether a DataSample (data or metainfo field) or a results dict /
    ``DataSample.to_dict()`` output has a ``group_id``."""
    return 'group_id' in sample


def _get(sample: Any) -> Any:
    if isinstance(sample, Mapping):
        return sample['group_id']
    return sample.group_id


def to_group_id(value: Any, where: str) -> int:
    """One group id from an int, a numpy integer, or a one-element integer
    tensor / array / list.

    Args:
        value: The stored ``group_id``.
        where: What holds it (e.g. ``'GroupMultiTaskHead: sample 1 of the
            batch'``), for the error message.

    Raises:
        GroupIdError: If ``value`` is not one integer >= 0 (bools and floats
            are refused).
    """
    shown = value
    if isinstance(value, torch.Tensor):
        shown = value = value.detach().cpu().numpy()
        if value.ndim:
            shown = value.tolist()
    array = np.asarray(value)
    if array.size != 1 or array.dtype == np.bool_ or \
            not np.issubdtype(array.dtype, np.integer) or \
            int(array.reshape(-1)[0]) < 0:
        raise GroupIdError(f'{where}: group_id={shown!r} must be one '
                           'integer >= 0')
    return int(array.reshape(-1)[0])


def read_group_ids(samples: Sequence[Any],
                   feature: str,
                   fix: str = PACK_GROUP_ID) -> List[int]:
    """Every sample's group id, for a feature that needs them.

    Args:
        samples: DataSamples, or results dicts / ``DataSample.to_dict()``
            outputs.
        feature: The feature that needs them (e.g.
            ``'LTLinearClsHead(group_weight={1: 2.0})'``), named in errors.
        fix: How to give samples their group id, named in errors.

    Returns:
        List[int]: One group id per sample.

    Raises:
        GroupIdError: If a sample has no ``group_id`` (naming the feature,
            the sample and ``fix``), or one that is not an integer >= 0.
    """
    missing = [i for i, s in enumerate(samples) if not has_group_id(s)]
    if missing:
        if len(missing) == len(samples):
            which = 'no sample of the batch has a group_id'
        else:
            which = (f'sample {missing[0]} of the batch has no group_id '
                     f'({len(samples) - len(missing)} of its {len(samples)} '
                     'samples have one)')
        raise GroupIdError(f'{feature} needs the group_id of every sample, '
                           f'but {which}: {fix}')
    return [
        to_group_id(_get(s), f'{feature}: sample {i} of the batch')
        for i, s in enumerate(samples)
    ]


def read_group_id(results: Any, feature: str,
                  fix: str = ANNOTATE_GROUP_ID) -> int:
    """The group id of one sample (e.g. a pipeline's results dict), for a
    feature that needs it; errors as :func:`read_group_ids`, naming the
    image (``img_path``) when known."""
    if has_group_id(results):
        where = f'{feature}: the sample'
        if isinstance(results, Mapping) and 'img_path' in results:
            where += f' (image {results["img_path"]})'
        return to_group_id(_get(results), where)
    keys = sorted(results) if isinstance(results, Mapping) else None
    raise GroupIdError(f'{feature} needs the group_id of every sample, but '
                       f'the sample has none (keys: {keys}): {fix}')


def gather_group_ids(samples: Sequence[Any], feature: str,
                     device: torch.device) -> torch.Tensor:
    """:func:`read_group_ids` as a long tensor on ``device`` (the data
    preprocessor moves only labels, so group ids are moved here)."""
    return torch.tensor(read_group_ids(samples, feature),
                        dtype=torch.long, device=device)


def read_optional_group_ids(samples: Sequence[Any],
                            feature: str) -> Optional[List[int]]:
    """Group ids for a report that splits by group when there are groups.

    Returns:
        Optional[List[int]]: None when no sample has a ``group_id`` (the
        caller treats the data as one group), else one id per sample.

    Raises:
        GroupIdError: If some samples have a ``group_id`` and others not,
            or one is not an integer >= 0.
    """
    if not any(has_group_id(s) for s in samples):
        return None
    return read_group_ids(samples, feature)


def parse_group_key(key: Any, where: str) -> int:
    """A group id used as a config dict key: a non-negative int, or its
    decimal string (``--cfg-options`` gives dict keys as strings).

    Raises:
        ValueError: Naming ``where`` and the key otherwise (bools too).
    """
    if isinstance(key, str) and key.strip().isdigit():
        key = int(key)
    if isinstance(key, bool) or not isinstance(key, (int, np.integer)) or \
            key < 0:
        raise ValueError(f'{where} key {key!r} must be an integer group id '
                         '>= 0 (or its decimal string)')
    return int(key)


def parse_group_weight(group_weight: Optional[Mapping],
                       what: str = 'group_weight'
                       ) -> Optional[Dict[int, float]]:
    """The validated ``{group id: weight}`` (None stays None).

    Keys as :func:`parse_group_key`; weights finite numbers >= 0.

    Args:
        group_weight: The config value.
        what: Its name in error messages.

    Raises:
        TypeError: If ``group_weight`` is not a dict.
        ValueError: On a bad key, a key given twice (``1`` and ``'1'``) or a
            bad weight, naming it.
    """
    if group_weight is None:
        return None
    if not isinstance(group_weight, Mapping):
        raise TypeError(f'{what} must be a dict {{group id: weight}}, got '
                        f'{type(group_weight).__name__}: {group_weight!r}')
    parsed: Dict[int, float] = {}
    for key, value in group_weight.items():
        group = parse_group_key(key, what)
        if group in parsed:
            raise ValueError(f'{what} gives group {group} twice ({key!r})')
        if isinstance(value, bool) or not isinstance(value, Real) or \
                not math.isfinite(value) or value < 0:
            raise ValueError(f'{what}[{group}]={value!r} must be a finite '
                             'number >= 0')
        parsed[group] = float(value)
    return parsed
