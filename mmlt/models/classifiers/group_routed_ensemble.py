"""Send each test sample to the classifier trained for its group."""
from collections.abc import Mapping
from typing import Any, Dict, List, Optional, Sequence

import torch
from mmpretrain.structures import DataSample

from mmlt.registry import MODELS
from mmlt.structures import parse_group_key, read_group_ids
from .base_ensemble import BaseEnsemble, select_inputs

__all__ = ['GroupRoutedEnsemble', 'parse_routes']


def parse_routes(routes: Mapping, fallback: Optional[str],
                 names: Sequence[str]) -> Dict[int, str]:
    """Validate ``routes`` (group id -> member name) and ``fallback``.

    Raises:
        ValueError: On a key that is not a non-negative integer (or its
            decimal string, from ``--cfg-options``), a route or fallback
            naming no member, or a member that nothing routes to.
    """
    if not isinstance(routes, Mapping):
        raise ValueError(f'routes={routes!r} must be a dict of group id -> '
                         'member name')
    parsed: Dict[int, str] = {}
    for key, name in routes.items():
        group = parse_group_key(key, 'routes')
        if group in parsed:
            raise ValueError(f'routes: group {group} is given twice')
        if name not in names:
            raise ValueError(f'routes: group {group} goes to {name!r}, which '
                             f'is not a member ({list(names)})')
        parsed[group] = name
    if fallback is not None and fallback not in names:
        raise ValueError(f'fallback={fallback!r} is not a member '
                         f'({list(names)})')
    unused = [n for n in names
              if n not in parsed.values() and n != fallback]
    if unused:
        raise ValueError(f'member(s) {unused} get no sample: name them in '
                         'routes or as the fallback')
    return parsed


@MODELS.register_module()
class GroupRoutedEnsemble(BaseEnsemble):
    """Group specialists: each sample is scored by the member for its group.

    A sample whose ``group_id`` (a data field of its DataSample, kept by
    ``PackInputs(algorithm_keys=['group_id'])``) is a key of ``routes`` is
    scored by that member alone; any other group goes to ``fallback``. Each
    member sees only its samples, preprocessed by its own data
    preprocessor. ``pred_score`` is that member's, ``pred_label`` its
    argmax, so LongTailMetric reports the routed system (including the
    per-group accuracies).

    Example (the specialist trained with group 1 weighted up)::

        data_preprocessor = None
        model = dict(
            type='GroupRoutedEnsemble',
            members=[
                dict(name='specialist', config=..., checkpoint=...),
                dict(name='generalist', config=..., checkpoint=...),
            ],
            routes={1: 'specialist'},
            fallback='generalist')

    Args:
        members: Member dicts with ``name``, ``config`` or ``model``,
            ``checkpoint`` and ``strict`` (see
            :mod:`mmlt.models.classifiers.base_ensemble`); a member may be
            a :class:`ScoreEnsemble`.
        routes: Group id -> member name.
        fallback: The member for every group not in ``routes``; None makes
            such a group an error.
        data_preprocessor: None or ``dict(type='BaseDataPreprocessor')``.
        class_counts: Training class counts for the shot bins.
        train_dataset: Config of the data the ensemble represents (e.g. the
            union of the specialists' training sets), whose class counts
            the shot bins use; see :func:`resolve_ensemble_counts`.
    """

    def __init__(self,
                 members: Sequence[Mapping],
                 routes: Mapping,
                 fallback: Optional[str] = None,
                 data_preprocessor: Any = None,
                 class_counts: Optional[Sequence[int]] = None,
                 train_dataset: Optional[Mapping] = None) -> None:
        super().__init__(
            members, with_weight=False, data_preprocessor=data_preprocessor,
            class_counts=class_counts, train_dataset=train_dataset)
        self.routes = parse_routes(routes, fallback,
                                   [spec.name for spec in self.specs])
        self.fallback = fallback

    def route(self, data_samples: Optional[List[DataSample]]
              ) -> Dict[str, List[int]]:
        """Member name -> indices of the batch's samples it scores.

        Raises:
            ValueError: Without data samples, on a sample without a
                ``group_id`` or with one that is not an integer >= 0
                (:func:`mmlt.structures.read_group_ids`), or on a group that
                has no route and no fallback.
        """
        if data_samples is None:
            raise ValueError('GroupRoutedEnsemble needs the data samples '
                             '(their group_id) to route the batch')
        groups = read_group_ids(data_samples, 'GroupRoutedEnsemble')
        plan: Dict[str, List[int]] = {}
        for i, group in enumerate(groups):
            name = self.routes.get(group, self.fallback)
            if name is None:
                raise ValueError(
                    f'group_id {group} (sample {i} of the batch) has no '
                    f'route (routes: {self.routes}) and no fallback member')
            plan.setdefault(name, []).append(i)
        return plan

    def predict_scores(self,
                       inputs: Any,
                       data_samples: Optional[List[DataSample]] = None
                       ) -> torch.Tensor:
        """``(N, C)``: each row from the member its sample is routed to."""
        plan = self.route(data_samples)
        scores = {
            name: self.member_scores(name, select_inputs(inputs, indices),
                                     [data_samples[i] for i in indices])
            for name, indices in plan.items()
        }
        self.check_same_classes(scores)
        first = next(iter(scores.values()))
        out = first.new_empty((len(data_samples), first.shape[-1]))
        for name, indices in plan.items():
            out[torch.as_tensor(indices, device=out.device)] = scores[name]
        return out
