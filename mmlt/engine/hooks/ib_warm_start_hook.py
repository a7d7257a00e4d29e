"""Cross-entropy warm start before the influence-balanced loss."""

from mmlt.registry import HOOKS
from .single_instance_hook import SingleInstanceHook
from .schedule_utils import (EpochLike, check_epoch_like, find_loss,
                             max_epochs_of, resolve_epoch)

__all__ = ['IBWarmStartHook', 'ib_active']


def ib_active(epoch: int, start_epoch: int) -> bool:
    """Whether epoch ``epoch`` (0-based) trains with the IB loss."""
    return epoch >= start_epoch


@HOOKS.register_module()
class IBWarmStartHook(SingleInstanceHook):
    """Plain cross-entropy until ``start_epoch``, then the influence-balanced
    loss at a lower learning rate, as Park et al. ("Influence-Balanced Loss
    for Imbalanced Visual Classification", ICCV 2021) train: their code
    (``adjust_learning_rate`` of the official ``cifar_train.py``) starts IB
    at epoch 100 of 200 (0-based; epoch 100 is the first IB epoch) and from
    then on uses 0.01 of the schedule's learning rate.

    Sets ``use_ib`` of the head's loss (``InfluenceBalancedLoss`` /
    ``InfluenceBalancedFocalLoss``) before every epoch from ``runner.epoch``,
    so a resumed run switches exactly when the uninterrupted one would. At
    the first IB epoch it multiplies every parameter group's learning rate
    by ``lr_factor``, once: MMEngine's chainable schedulers (``LinearLR``,
    ``CosineAnnealingLR`` with ``eta_min=0``, ``MultiStepLR``, ``PolyLR``)
    compute each step from the current rate, so the factor holds for the
    rest of training; a run resumed later in the IB phase restores the
    lowered rate with the optimizer's state and is not lowered again.

    Args:
        start_epoch: First IB epoch (0-based), or a fraction of the training
            epochs in (0, 1) (``0.5`` = the paper's 100 of 200).
        lr_factor: Learning-rate multiplier from the first IB epoch on, in
            (0, 1]; 0.01 as the authors' code, 1.0 keeps the schedule's rate.
            The IB loss is ``alpha / influence`` times the cross-entropy:
            at the schedule's rate its first steps undo much of the warm
            start.
    """
    default_hooks_key = 'ib_warm_start'
    priority = 'NORMAL'

    def __init__(self, start_epoch: EpochLike = 100,
                 lr_factor: float = 0.01) -> None:
        check_epoch_like(start_epoch, 'start_epoch')
        if isinstance(lr_factor, bool) or \
                not isinstance(lr_factor, (int, float)) or \
                not 0 < lr_factor <= 1:
            raise ValueError(f'lr_factor={lr_factor!r} must be a number in '
                             '(0, 1] (0.01 in the authors\' code)')
        self.start_epoch = start_epoch
        self.lr_factor = float(lr_factor)
        self._active = None

    def before_train(self, runner) -> None:
        loss = find_loss(runner.model, type(self).__name__)
        if not hasattr(loss, 'use_ib'):
            raise TypeError(f'{type(self).__name__} needs the '
                            'InfluenceBalancedLoss (or its focal variant) as '
                            f'the head loss, got {type(loss).__name__}')

    def before_train_epoch(self, runner) -> None:
        start = resolve_epoch(self.start_epoch,
                              max_epochs_of(runner, type(self).__name__),
                              'start_epoch')
        active = ib_active(runner.epoch, start)
        find_loss(runner.model, type(self).__name__).use_ib = active
        lowered = runner.epoch == start and self.lr_factor != 1.0
        if lowered:
            for group in runner.optim_wrapper.param_groups:
                group['lr'] *= self.lr_factor
        if active != self._active or lowered:
            runner.logger.info(
                f'{type(self).__name__}: epoch {runner.epoch} (0-based) '
                + ('trains with the influence-balanced loss' if active else
                   f'trains with cross-entropy until epoch {start}')
                + (f'; learning rate x {self.lr_factor} from now on'
                   if lowered else ''))
        self._active = active
