"""A schedule for the loss weights of groups (curriculum)."""
import bisect
import math
from typing import Dict, Mapping, Optional, Sequence


from mmlt.registry import HOOKS
from .single_instance_hook import SingleInstanceHook
from .schedule_utils import require_head

__all__ = ['GroupWeightCurriculumHook', 'piecewise_value', 'parse_schedule']

INTERPOLATIONS = ('step', 'linear')


def parse_schedule(schedule: Mapping) -> Dict[int, float]:
    """Validated ``{epoch: value}`` sorted by epoch; must start at epoch 0.

    Keys are non-negative ints (or decimal strings); values finite >= 0.
    """
    if not isinstance(schedule, Mapping) or not schedule:
        raise ValueError(f'schedule must be a non-empty dict {{epoch: '
                         f'weight}}, got {schedule!r}')
    parsed = {}
    for key, value in schedule.items():
        if isinstance(key, str) and key.isdigit():
            key = int(key)
        if isinstance(key, bool) or not isinstance(key, int) or key < 0:
            raise ValueError(f'schedule key {key!r} must be a non-negative '
                             'int epoch (0-based)')
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value) or value < 0:
            raise ValueError(f'schedule[{key}]={value!r} must be a finite '
                             'number >= 0')
        parsed[key] = float(value)
    if 0 not in parsed:
        raise ValueError(f'schedule {dict(schedule)} must give the weight of '
                         'epoch 0')
    return dict(sorted(parsed.items()))


def piecewise_value(schedule: Mapping[int, float], epoch: int,
                    interpolation: str = 'step') -> float:
    """The scheduled value at ``epoch`` (0-based).

    ``'step'``: the value of the last key <= ``epoch``, so
    ``{0: 1.0, 50: 1.5, 100: 2.0}`` gives 1.0 for epochs 0-49, 1.5 for
    50-99 and 2.0 from 100. ``'linear'``: interpolated between keys and
    constant after the last, so ``{0: 1.0, 100: 2.0}`` is a linear ramp.
    ``schedule`` must be sorted and contain 0 (see :func:`parse_schedule`).
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
        schedule: ``{epoch: weight}`` (0-based epochs), e.g.
            ``{0: 1.0, 50: 1.5, 100: 2.0}``; must include epoch 0.
        groups: Group ids the schedule applies to.
        interpolation: ``'step'`` (piecewise constant) or ``'linear'``.
    """

    default_hooks_key = 'group_weight_curriculum'
    priority = 'NORMAL'

    def __init__(self,
                 schedule: Mapping[int, float],
                 groups: Sequence[int] = (1, ),
                 interpolation: str = 'step') -> None:
        self.schedule = parse_schedule(schedule)
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

    def before_train_epoch(self, runner) -> None:
        value = piecewise_value(self.schedule, runner.epoch,
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
