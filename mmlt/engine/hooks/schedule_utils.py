"""What mmlt's schedule hooks share: epochs, the head and its loss."""
import math
from numbers import Integral, Real
from typing import Union

import torch

from mmlt.models.heads import find_head

__all__ = [
    'check_epoch_like', 'find_loss', 'max_epochs_of', 'require_head',
    'resolve_epoch'
]

EpochLike = Union[int, float]


def check_epoch_like(value: EpochLike, what: str,
                     from_end: bool = True) -> None:
    """Validate the form of an epoch setting (before ``max_epochs`` is
    known): an int (0-based; negative counts from the end when
    ``from_end``) or a fraction of the schedule in (0, 1)."""
    if isinstance(value, bool) or not isinstance(value, (Integral, Real)):
        ok = False
    elif isinstance(value, Integral):
        ok = from_end or value >= 0
    else:
        ok = 0 < value < 1
    if not ok:
        forms = ('an int epoch (0-based; negative counts from the end)'
                 if from_end else 'a non-negative int')
        raise ValueError(f'{what}={value!r} must be {forms} or a fraction '
                         'of the training epochs in (0, 1)')


def resolve_epoch(value: EpochLike, max_epochs: int, what: str,
                  from_end: bool = True) -> int:
    """An epoch (0-based) from the one form every schedule hook accepts.

    * an int ``>= 0``: that epoch;
    * a negative int (when ``from_end``): counted from the end,
      ``max_epochs + value`` (``-1`` is the last epoch);
    * a float in (0, 1): that fraction of ``max_epochs``, rounded half up
      (``0.8`` with 200 epochs is epoch 160), so a config written as a
      fraction keeps its meaning when a benchmark shortens the schedule.

    ``from_end=False`` is for lengths (a number of epochs), which have no
    "from the end".
    """
    check_epoch_like(value, what, from_end)
    if isinstance(value, Integral):
        if value >= 0:
            return int(value)
        if -value > max_epochs:
            raise ValueError(f'{what}={value} is before the first of '
                             f'{max_epochs} epochs')
        return int(max_epochs + value)
    return int(math.floor(value * max_epochs + 0.5))


def max_epochs_of(runner, hook: str) -> int:
    """The epoch-based train loop's ``max_epochs`` (else a ValueError)."""
    max_epochs = getattr(runner.train_loop, 'max_epochs', None)
    if max_epochs is None:
        raise ValueError(f'{hook} switches at epochs: it needs an '
                         "epoch-based train loop (train_cfg=dict(by_epoch="
                         'True, ...))')
    return int(max_epochs)


def require_head(model: torch.nn.Module, hook: str) -> torch.nn.Module:
    """The classifier's head, through a DDP wrapper (else a ValueError)."""
    head = find_head(model)
    if head is None:
        raise ValueError(f'{hook} needs a classifier with a head (model.head)'
                         f', got {type(model).__name__}')
    return head


def find_loss(model: torch.nn.Module, hook: str) -> torch.nn.Module:
    """The head's loss module, through a DDP wrapper."""
    head = require_head(model, hook)
    loss = getattr(head, 'loss_module', None)
    if loss is None:
        raise ValueError(f'{hook}: the head {type(head).__name__} has no '
                         'loss_module')
    return loss
