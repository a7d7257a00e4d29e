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


def resolve_epoch(value: EpochLike, max_epochs: int, what: str) -> int:
    """An epoch (0-based) from an int, or a fraction of ``max_epochs``.

    ``0.8`` with 200 epochs is epoch 160 (``round(0.8 * 200)``): a config
    written as a fraction keeps its meaning when a benchmark shortens the
    schedule.
    """
    if isinstance(value, bool):
        raise ValueError(f'{what}={value!r} must be an int epoch or a '
                         'fraction in (0, 1)')
    if isinstance(value, Integral):
        if value < 0:
            raise ValueError(f'{what}={value} must be >= 0')
        return int(value)
    if isinstance(value, Real) and 0 < value < 1:
        return int(math.floor(value * max_epochs + 0.5))
    raise ValueError(f'{what}={value!r} must be an int epoch (0-based) or a '
                     'fraction of the training epochs in (0, 1)')


def check_epoch_like(value: EpochLike, what: str) -> None:
    """Validate at construction what :func:`resolve_epoch` will accept."""
    resolve_epoch(value, 1, what)


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
