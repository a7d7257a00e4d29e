"""Stop training with a clear error when a loss is NaN or infinite."""
import math
from typing import Optional

import torch

from mmlt.registry import HOOKS
from .single_instance_hook import SingleInstanceHook

__all__ = ['CheckFiniteLossHook']


@HOOKS.register_module()
class CheckFiniteLossHook(SingleInstanceHook):
    """Raise ``FloatingPointError`` as soon as a logged loss is not finite.

    The check reads the values the runner already logs (``train/loss`` and
    every other key containing "loss"), so it adds no device sync.

    Args:
        interval: Check every ``interval`` iterations.
    """

    default_hooks_key = 'check_finite_loss'
    priority = 'VERY_LOW'

    def __init__(self, interval: int = 1) -> None:
        if not isinstance(interval, int) or interval < 1:
            raise ValueError(f'interval={interval!r} must be a positive int')
        self.interval = interval

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        if not self.every_n_train_iters(runner, self.interval) or not outputs:
            return
        for key, value in outputs.items():
            if 'loss' not in key:
                continue
            if isinstance(value, torch.Tensor):
                value = value.detach()
            value = float(value)
            if not math.isfinite(value):
                raise FloatingPointError(
                    f'{key} = {value} at epoch {runner.epoch} (0-based), '
                    f'iteration {runner.iter} (batch {batch_idx}): training '
                    'diverged. Lower the learning rate, check the inputs, or '
                    'check class counts of a re-weighted loss.')
