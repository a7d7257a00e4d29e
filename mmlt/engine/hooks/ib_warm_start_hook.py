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
    loss, as Park et al. ("Influence-Balanced Loss for Imbalanced Visual
    Classification", ICCV 2021) train: their code starts IB at epoch 100 of
    200 (0-based; epoch 100 is the first IB epoch).

    Sets ``use_ib`` of the head's loss (``InfluenceBalancedLoss`` /
    ``InfluenceBalancedFocalLoss``) before every epoch from ``runner.epoch``,
    so a resumed run switches exactly when the uninterrupted one would. The
    authors also lower the learning rate when IB starts; that is the
    ``param_scheduler``'s job.

    Args:
        start_epoch: First IB epoch (0-based), or a fraction of the training
            epochs in (0, 1) (``0.5`` = the paper's 100 of 200).
    """

    default_hooks_key = 'ib_warm_start'
    priority = 'NORMAL'

    def __init__(self, start_epoch: EpochLike = 100) -> None:
        check_epoch_like(start_epoch, 'start_epoch')
        self.start_epoch = start_epoch
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
        if active != self._active:
            runner.logger.info(
                f'{type(self).__name__}: epoch {runner.epoch} (0-based) '
                + ('trains with the influence-balanced loss' if active else
                   f'trains with cross-entropy until epoch {start}'))
        self._active = active
