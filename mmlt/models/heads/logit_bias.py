"""A fixed per-class bias added to the logits at prediction, for every image
or only for the images of one group.

``predict`` scores ``z + b`` (``b`` one number per class), training is
unchanged. A bias fitted on held-out logits (``tools/analysis_tools/
advise.py``: class-balanced cross-entropy, or ``log q - log pi`` for a known
deployment prior ``q``) is written into a config as ``logit_bias=[...]``.
``group_logit_bias={g: [...]}`` adds its bias only to the images of group
``g``, whose ``group_id`` the data samples carry at test time
(:mod:`mmlt.structures.group_id`); an image without one is an error naming
the fix.
"""
import math
from collections.abc import Mapping
from numbers import Real
from typing import Dict, List, Optional, Sequence

import torch

from mmlt.structures import gather_group_ids, parse_group_key

__all__ = ['check_logit_bias', 'parse_group_logit_bias', 'add_logit_bias']


def check_logit_bias(bias: Optional[Sequence[float]], num_classes: int,
                     what: str = 'logit_bias') -> Optional[List[float]]:
    """``bias`` as a list of ``num_classes`` finite floats (None stays
    None); ValueError naming ``what``, the position and the value
    otherwise."""
    if bias is None:
        return None
    if isinstance(bias, (str, bytes, Mapping)) or not isinstance(
            bias, (Sequence, torch.Tensor)):
        raise ValueError(f'{what}={bias!r} must be a list of '
                         f'{num_classes} numbers (one per class)')
    values = bias.tolist() if isinstance(bias, torch.Tensor) else list(bias)
    if len(values) != num_classes:
        raise ValueError(f'{what} has {len(values)} values but the head has '
                         f'num_classes={num_classes}')
    for i, value in enumerate(values):
        if isinstance(value, bool) or not isinstance(value, Real) or \
                not math.isfinite(value):
            raise ValueError(f'{what}[{i}]={value!r} must be a finite '
                             'number')
    return [float(v) for v in values]


def parse_group_logit_bias(group_bias: Optional[Mapping], num_classes: int,
                           what: str = 'group_logit_bias'
                           ) -> Optional[Dict[int, List[float]]]:
    """``{group id: [num_classes floats]}`` validated (keys as
    :func:`~mmlt.structures.parse_group_key`: ints or their decimal
    strings); None stays None."""
    if group_bias is None:
        return None
    if not isinstance(group_bias, Mapping):
        raise ValueError(f'{what}={group_bias!r} must be a dict {{group id: '
                         f'[{num_classes} numbers]}}')
    parsed: Dict[int, List[float]] = {}
    for key, values in group_bias.items():
        group = parse_group_key(key, what)
        if group in parsed:
            raise ValueError(f'{what} gives group {group} twice ({key!r})')
        parsed[group] = check_logit_bias(values, num_classes,
                                         f'{what}[{group}]')
    return parsed


def add_logit_bias(cls_score: torch.Tensor,
                   bias: Optional[torch.Tensor] = None,
                   group_bias: Optional[Dict[int, torch.Tensor]] = None,
                   data_samples: Optional[Sequence] = None,
                   feature: str = 'group_logit_bias') -> torch.Tensor:
    """``cls_score + bias``, plus ``group_bias[g]`` on the rows whose
    sample is in group ``g``.

    Args:
        cls_score: ``(N, C)`` logits.
        bias: ``(C,)`` added to every row.
        group_bias: ``{g: (C,)}`` added to the rows of group ``g``.
        data_samples: The batch's samples (their ``group_id``), needed with
            ``group_bias``.
        feature: Named in the error for samples without ``group_id``.
    """
    if bias is not None:
        cls_score = cls_score + bias.to(cls_score)
    if group_bias:
        if data_samples is None:
            data_samples = [None] * cls_score.shape[0]
        data_samples = [{} if s is None else s for s in data_samples]
        group_id = gather_group_ids(data_samples, feature, cls_score.device)
        add = torch.zeros_like(cls_score)
        for group, values in group_bias.items():
            rows = group_id == group
            add[rows] = values.to(cls_score)
        cls_score = cls_score + add
    return cls_score
