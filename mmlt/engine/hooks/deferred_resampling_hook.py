"""Deferred re-sampling (DRS): switch the sampler's strategy at an epoch."""
from typing import Optional, Union

from mmlt.models.heads import find_head
from mmlt.registry import HOOKS
from .resampled_prior import refuse_posthoc_after_resampling
from .schedule_utils import check_epoch_like, resolve_epoch
from .single_instance_hook import SingleInstanceHook

__all__ = [
    'DeferredResamplingHook', 'drs_active', 'find_train_sampler',
    'resolve_switch_epoch'
]


def drs_active(epoch: int, switch_epoch: int) -> bool:
    """True from ``switch_epoch`` on (0-based epochs, as mmengine's)."""
    return epoch >= switch_epoch


def resolve_switch_epoch(switch_epoch: Union[int, float],
                         max_epochs: int) -> int:
    """The 0-based switch epoch, by the schedule hooks' one rule
    (:func:`~mmlt.engine.hooks.schedule_utils.resolve_epoch`)."""
    return resolve_epoch(switch_epoch, max_epochs, 'switch_epoch')


def find_train_sampler(runner):
    """The training sampler, also behind a batch sampler."""
    loader = runner.train_dataloader
    sampler = getattr(loader, 'sampler', None)
    if not hasattr(sampler, 'set_strategy'):
        sampler = getattr(getattr(loader, 'batch_sampler', None), 'sampler',
                          sampler)
    if not hasattr(sampler, 'set_strategy'):
        raise TypeError(
            f'{type(sampler).__name__} cannot change its strategy; use '
            "train_dataloader.sampler=dict(type='RebalancedSampler', ...) "
            'with DeferredResamplingHook')
    return sampler


@HOOKS.register_module()
class DeferredResamplingHook(SingleInstanceHook):
    """Deferred re-sampling (Cao et al., NeurIPS 2019, "LDAM-DRW"; the DRS
    stage of Zhang et al., "Bag of Tricks for Long-Tailed Visual
    Recognition", AAAI 2021).

    Epochs ``< switch_epoch`` (0-based) use the sampler's configured
    strategy; from ``switch_epoch`` on, ``strategy`` (default
    class-balanced). The decision is taken from ``runner.epoch`` before
    every epoch, so it is right after ``--resume`` and does not depend on
    the order of earlier epochs. The sampler lives in the main process, so
    this works with persistent dataloader workers.

    A head with post-hoc logit adjustment (``logit_adjust_tau`` > 0) is
    refused when training or a test run of the config starts, unless
    ``strategy`` is ``'instance'``: the deferred phase trains the classifier
    without the training prior the adjustment removes (see
    :mod:`mmlt.engine.hooks.resampled_prior`); ``logit_adjust_any_loss=True``
    on the head (a τ tuned on validation data) lets it through.

    Args:
        switch_epoch: First epoch (0-based) that uses ``strategy``; a
            negative value counts from the end of the schedule, like Python
            indices (``-1``: only the last epoch); a float in (0, 1) is a
            fraction of ``max_epochs`` (``0.8``: the last 20%, as LDAM-DRW's
            epoch 160 of 200), so a config keeps its meaning when
            ``max_epochs`` changes.
        strategy: The strategy of the deferred stage.
        q: Exponent when ``strategy='power'``.
    """

    default_hooks_key = 'deferred_resampling'
    priority = 'NORMAL'

    def __init__(self,
                 switch_epoch: Union[int, float],
                 strategy: str = 'class_balanced',
                 q: Optional[float] = None) -> None:
        check_epoch_like(switch_epoch, 'switch_epoch')
        from mmlt.datasets.samplers.sampling_probs import check_strategy
        if strategy in ('progressive', 'dynamic'):
            raise ValueError(f'strategy={strategy!r}: DRS switches to a '
                             'fixed strategy')
        check_strategy(strategy, q, None)
        self.switch_epoch = switch_epoch
        self.strategy = strategy
        self.q = q
        self._initial = None

    def _refuse_posthoc_adjustment(self, runner) -> None:
        refuse_posthoc_after_resampling(
            find_head(getattr(runner, 'model', None)), self.strategy,
            f'{type(self).__name__}(switch_epoch={self.switch_epoch!r}) '
            f'switches the sampler to {self.strategy!r}')

    def before_test(self, runner) -> None:
        self._refuse_posthoc_adjustment(runner)

    def before_train(self, runner) -> None:
        sampler = find_train_sampler(runner)
        self._refuse_posthoc_adjustment(runner)
        self._initial = (sampler.strategy, sampler.q)
        max_epochs = runner.max_epochs
        self._switch = resolve_switch_epoch(self.switch_epoch, max_epochs)
        if self._switch >= max_epochs:
            runner.logger.warning(
                f'DeferredResamplingHook: switch_epoch={self.switch_epoch} '
                f'>= max_epochs={max_epochs}: re-sampling never starts')
        else:
            runner.logger.info(
                f'DeferredResamplingHook: {sampler.strategy} sampling until '
                f'epoch {self._switch - 1}, {self.strategy} from epoch '
                f'{self._switch} (0-based) of {max_epochs}')

    def before_train_epoch(self, runner) -> None:
        sampler = find_train_sampler(runner)
        if drs_active(runner.epoch, self._switch):
            strategy, q = self.strategy, self.q
        else:
            strategy, q = self._initial
        if (sampler.strategy, sampler.q) != (strategy, q):
            sampler.set_strategy(strategy, q)
            runner.logger.info(f'Epoch {runner.epoch} (0-based): sampler '
                               f'strategy -> {strategy}')
