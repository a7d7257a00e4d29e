"""A schedule for the loss weights of groups (curriculum)."""
import bisect
import math
from typing import Any, Dict, Mapping, Optional, Sequence


from mmlt.registry import HOOKS
from .single_instance_hook import SingleInstanceHook
from .schedule_utils import (EpochLike, check_epoch_like, max_epochs_of,
                             require_head, resolve_epoch)

__all__ = [
    'GroupWeightCurriculumHook', 'piecewise_value', 'parse_schedule',
    'resolve_schedule'
]

INTERPOLATIONS = ('step', 'linear')


def _epoch_key(key: Any) -> Any:
    """A schedule key as written; decimal strings become numbers."""
    if isinstance(key, str):
        text = key.strip()
        try:
            return int(text)
        except ValueError:
            try:
                return float(text)
            except ValueError:
                return key
    return key


def parse_schedule(schedule: Mapping) -> Dict[EpochLike, float]:
    """Validated ``{epoch: value}``; keys in the schedule hooks' one epoch
    form (:func:`~mmlt.engine.hooks.schedule_utils.resolve_epoch`: an int,
    a negative int from the end, or a fraction in (0, 1)); values finite
    ``>= 0``. Resolved against ``max_epochs`` by :func:`resolve_schedule`.
    """
    if not isinstance(schedule, Mapping) or not schedule:
        raise ValueError(f'schedule must be a non-empty dict {{epoch: '
                         f'weight}}, got {schedule!r}')
    parsed = {}
    for key, value in schedule.items():
        key = _epoch_key(key)
        check_epoch_like(key, f'schedule key {key!r}: epoch')
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value) or value < 0:
            raise ValueError(f'schedule[{key}]={value!r} must be a finite '
                             'number >= 0')
        parsed[key] = float(value)
    if 0 not in parsed:
        raise ValueError(f'schedule {dict(schedule)} must give the weight of '
                         'epoch 0')
    return parsed


def resolve_schedule(schedule: Mapping[EpochLike, float],
                     max_epochs: int) -> Dict[int, float]:
    """``{0-based epoch: value}`` sorted by epoch, for ``max_epochs``.

    Raises:
        ValueError: If two keys land on the same epoch, or none on epoch 0.
    """
    resolved: Dict[int, float] = {}
    for key, value in schedule.items():
        epoch = resolve_epoch(key, max_epochs, f'schedule key {key!r}: epoch')
        if epoch in resolved:
            raise ValueError(f'schedule {dict(schedule)}: two keys fall on '
                             f'epoch {epoch} of {max_epochs}')
        resolved[epoch] = value
    if 0 not in resolved:
        raise ValueError(f'schedule {dict(schedule)} must give the weight of '
                         f'epoch 0 (with max_epochs={max_epochs} its first '
                         f'key is epoch {min(resolved)})')
    return dict(sorted(resolved.items()))


def piecewise_value(schedule: Mapping[int, float], epoch: int,
                    interpolation: str = 'step') -> float:
    """The scheduled value at ``epoch`` (0-based).

    ``'step'``: the value of the last key <= ``epoch``, so
    ``{0: 1.0, 50: 1.5, 100: 2.0}`` gives 1.0 for epochs 0-49, 1.5 for
    50-99 and 2.0 from 100. ``'linear'``: interpolated between keys and
    constant after the last, so ``{0: 1.0, 100: 2.0}`` is a linear ramp.
    ``schedule`` must be sorted and contain 0 (see
    :func:`resolve_schedule`).
    """
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f'interpolation={interpolation!r} must be one of '
                         f'{INTERPOLATIONS}')
    epochs = list(schedule)
    values = list(schedule.values())
    i = bisect.bisect_right(epochs, epoch) - 1
    if interpolation == 'step' or i == len(epochs) - 1:
        return values[i]
    frac = (epoch - epochs[i]) / (epochs[i + 1] - epochs[i])
    return values[i] + frac * (values[i + 1] - values[i])


@HOOKS.register_module()
class GroupWeightCurriculumHook(SingleInstanceHook):
    """Change the loss weight of some groups with the epoch.

    Before every epoch it sets the head's ``group_weight`` (see
    ``LTLinearClsHead``) of each group in ``groups`` to the scheduled value
    (:func:`piecewise_value`); other groups keep the weights of the head's
    config. The weight is derived from ``runner.epoch`` alone, so a resumed
    run uses exactly the weights of the uninterrupted one; the head is
    reached through a DDP wrapper.

    Args:
        schedule: ``{epoch: weight}``, e.g. ``{0: 1.0, 50: 1.5, 100: 2.0}``
            or, as fractions of the schedule, ``{0: 1.0, 0.5: 2.0}``
            (normal weight for the first half, then 2.0); keys take every
            form of the other schedule hooks (0-based int, negative int
            from the end, fraction in (0, 1)); must include epoch 0.
        groups: Group ids the schedule applies to.
        interpolation: ``'step'`` (piecewise constant) or ``'linear'``.
    """

    default_hooks_key = 'group_weight_curriculum'
    priority = 'NORMAL'

    def __init__(self,
                 schedule: Mapping[EpochLike, float],
                 groups: Sequence[int] = (1, ),
                 interpolation: str = 'step') -> None:
        self.schedule = parse_schedule(schedule)
        self._resolved: Optional[Dict[int, float]] = None
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f'interpolation={interpolation!r} must be one '
                             f'of {INTERPOLATIONS}')
        if isinstance(groups, int) or not groups or any(
                isinstance(g, bool) or not isinstance(g, int) or g < 0
                for g in groups):
            raise ValueError(f'groups={groups!r} must be a non-empty list of '
                             'non-negative int group ids')
        self.groups = [int(g) for g in groups]
        self.interpolation = interpolation
        self._base: Optional[Dict[int, float]] = None
        self._value: Optional[float] = None

    def before_train(self, runner) -> None:
        head = require_head(runner.model, type(self).__name__)
        if not hasattr(head, 'set_group_weight'):
            raise TypeError(f'{type(self).__name__} needs a head with group '
                            "weights (mmlt's LTLinearClsHead), got "
                            f'{type(head).__name__}')
        self._base = dict(head.group_weight or {})
        self._resolved = resolve_schedule(
            self.schedule, max_epochs_of(runner, type(self).__name__))

    def before_train_epoch(self, runner) -> None:
        value = piecewise_value(self._resolved, runner.epoch,
                                self.interpolation)
        weights = dict(self._base or {})
        weights.update({g: value for g in self.groups})
        require_head(runner.model,
                     type(self).__name__).set_group_weight(weights)
        if value != self._value:
            runner.logger.info(
                f'{type(self).__name__}: epoch {runner.epoch} (0-based), '
                f'loss weight {value:g} for group(s) {self.groups}')
        self._value = value
