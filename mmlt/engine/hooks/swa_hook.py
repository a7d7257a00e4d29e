"""Stochastic weight averaging as practitioners run it: the averaged model,
the SWA learning-rate phase and BatchNorm statistics recomputed at the end.

Izmailov et al., "Averaging Weights Leads to Wider Optima and Better
Generalization", UAI 2018: from epoch ``swa_start`` the learning rate is
annealed to a constant ``swa_lr`` and the weights are averaged every
``interval`` epochs,

.. math::

    w_{SWA} \\leftarrow \\frac{w_{SWA} \\cdot n + w}{n + 1},

and since the averaged weights never ran a forward pass, the BatchNorm
statistics are recomputed with one pass over the training data (as
``torch.optim.swa_utils.update_bn``).
"""
import copy
import math
from numbers import Integral, Real
from typing import Dict, Iterable, List, Optional

import torch
import torch.distributed as torch_dist
from mmengine.dist import get_world_size
from mmengine.model import StochasticWeightAverage, is_model_wrapper
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from mmlt.registry import HOOKS
from .schedule_utils import (EpochLike, check_epoch_like, max_epochs_of,
                             resolve_epoch)
from .single_instance_hook import SingleInstanceHook

__all__ = [
    'SWAHook', 'recompute_bn_statistics', 'swa_anneal_factor',
    'swa_updates_after'
]

ANNEAL_STRATEGIES = ('cos', 'linear')


def swa_updates_after(epoch: int, swa_start: int, interval: int) -> bool:
    """Whether the weights at the end of ``epoch`` (0-based) join the
    average: ``swa_start``, ``swa_start + interval``, ..."""
    return epoch >= swa_start and (epoch - swa_start) % interval == 0


def swa_anneal_factor(epoch: int, swa_start: int, anneal_epochs: int,
                      strategy: str = 'cos') -> float:
    """How far epoch ``epoch`` is from the schedule's lr towards ``swa_lr``:
    ``lr = swa_lr * a + lr_start * (1 - a)``, ``lr_start`` being the lr at
    the start of epoch ``swa_start``.

    As ``torch.optim.swa_utils.SWALR`` stepped once per epoch: the k-th SWA
    epoch (k = 1 at ``swa_start``) has ``t = min(1, k / anneal_epochs)``
    (1 with ``anneal_epochs=0``) and ``a = (1 - cos(pi t)) / 2`` ('cos') or
    ``a = t`` ('linear'); 0 before ``swa_start``.
    """
    if epoch < swa_start:
        return 0.0
    t = min(1.0, (epoch - swa_start + 1) / max(1, anneal_epochs))
    if strategy == 'cos':
        return (1 - math.cos(math.pi * t)) / 2
    return t


def _forward_batch(model: nn.Module, data) -> None:
    data = model.data_preprocessor(data, False)
    if isinstance(data, dict):
        model(**data, mode='tensor')
    else:
        model(*data, mode='tensor')


@torch.no_grad()
def recompute_bn_statistics(model: nn.Module, dataloader: Iterable) -> int:
    """Recompute the BatchNorm running statistics of an MMEngine model with
    one pass over ``dataloader``, as ``torch.optim.swa_utils.update_bn``:
    statistics reset, cumulative averages (``momentum=None``) of the batch
    statistics, the model's mode and momenta restored.

    The batches go through the model's data preprocessor without its batch
    augments (``training=False``: no Mixup/CutMix), then ``mode='tensor'``.
    BatchNorm layers a backbone keeps in eval mode (``norm_eval``, frozen
    stages) keep their statistics. Under DDP each rank passes its shard and
    the statistics are averaged over ranks, which equals one pass over all
    shards when the ranks have equally many batches (DistributedSampler /
    mmengine's DefaultSampler).

    Returns:
        int: The number of BatchNorm layers recomputed (0: nothing to do).
    """
    was_training = model.training
    model.train()
    layers = [
        m for m in model.modules()
        if isinstance(m, _BatchNorm) and m.track_running_stats and m.training
    ]
    if not layers:
        model.train(was_training)
        return 0
    momenta = {}
    for m in layers:
        m.reset_running_stats()
        momenta[m] = m.momentum
        m.momentum = None
    try:
        for data in dataloader:
            _forward_batch(model, data)
    finally:
        for m, momentum in momenta.items():
            m.momentum = momentum
        model.train(was_training)
    if get_world_size() > 1:
        for m in layers:
            for stat in (m.running_mean, m.running_var):
                torch_dist.all_reduce(stat)
                stat.div_(get_world_size())
    return len(layers)


def _check_positive_int(value, what: str, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, Integral) \
            or value < minimum:
        raise ValueError(f'{what}={value!r} must be an int >= {minimum}')


@HOOKS.register_module()
class SWAHook(SingleInstanceHook):
    """Stochastic weight averaging (Izmailov et al., UAI 2018) with
    MMEngine's :class:`~mmengine.model.StochasticWeightAverage`.

    * **Averaging**: the model's weights at the end of epochs
      ``swa_start``, ``swa_start + interval``, ... (0-based) are averaged
      (the first one is copied).
    * **SWA learning rate**: from epoch ``swa_start`` the lr of every
      parameter group goes from its value at the start of that epoch to
      ``swa_lr`` over ``anneal_epochs`` epochs ('cos' or 'linear', as
      ``torch.optim.swa_utils.SWALR``), then stays there. The hook sets it
      before every iteration, so it overrides the config's
      ``param_scheduler`` in this phase (``swa_lr=None`` keeps the
      schedule's lr instead).
    * **BatchNorm**: after the last epoch the averaged model's BatchNorm
      statistics are recomputed on the training loader
      (:func:`recompute_bn_statistics`), before the final checkpoint and
      the final validation.
    * **Validation, test, checkpoints**: once the average holds a
      checkpoint of the weights, validation and test run with the averaged
      weights and buffers (earlier validations use the BatchNorm statistics
      copied at the last averaging; the last one the recomputed ones); a
      checkpoint's ``state_dict`` holds the averaged model, the trained
      weights go to ``swa_state_dict`` (as MMEngine's EMAHook does), with
      the averaging count and the SWA phase's starting lrs, so that a
      resumed run continues exactly and a ``load_from`` / test of the
      checkpoint uses the averaged model.

    Register it in ``default_hooks`` (key ``swa``), not with EMAHook (both
    swap weights at validation).

    Args:
        swa_start: First epoch averaged (0-based); a negative int counts
            from the end, a float in (0, 1) is a fraction of the training
            epochs. Default 20 (with ``interval=2``, ``swa_lr=1e-5``,
            ``anneal_epochs=5``: the practitioners' defaults this hook
            was written for; the paper has no fixed values).
        interval: Epochs between two averaged checkpoints.
        swa_lr: The constant lr of the SWA phase, or None to keep the
            config's schedule.
        anneal_epochs: Epochs to reach ``swa_lr`` (0: at once). torch's
            SWALR default is 10.
        anneal_strategy: 'cos' (SWALR's default) or 'linear'.
        update_bn: Recompute the BatchNorm statistics at the end.
    """

    default_hooks_key = 'swa'
    # before RuntimeInfoHook (VERY_HIGH) reads the lr to log it
    priority = 'HIGHEST'

    def __init__(self,
                 swa_start: EpochLike = 20,
                 interval: int = 2,
                 swa_lr: Optional[float] = 1e-5,
                 anneal_epochs: int = 5,
                 anneal_strategy: str = 'cos',
                 update_bn: bool = True) -> None:
        check_epoch_like(swa_start, 'swa_start', from_end=True)
        _check_positive_int(interval, 'interval')
        _check_positive_int(anneal_epochs, 'anneal_epochs', minimum=0)
        if swa_lr is not None and (isinstance(swa_lr, bool) or
                                   not isinstance(swa_lr, Real)
                                   or swa_lr < 0):
            raise ValueError(f'swa_lr={swa_lr!r} must be a non-negative '
                             'number or None (keep the schedule)')
        if anneal_strategy not in ANNEAL_STRATEGIES:
            raise ValueError(f'anneal_strategy={anneal_strategy!r} must be '
                             f'one of {ANNEAL_STRATEGIES}')
        if not isinstance(update_bn, bool):
            raise TypeError(f'update_bn={update_bn!r} must be a bool')
        self.swa_start = swa_start
        self.interval = int(interval)
        self.swa_lr = None if swa_lr is None else float(swa_lr)
        self.anneal_epochs = int(anneal_epochs)
        self.anneal_strategy = anneal_strategy
        self.update_bn = update_bn
        self.swa_model: Optional[StochasticWeightAverage] = None
        self.start_lrs: Optional[List[float]] = None
        self._start: Optional[int] = None

    # -- set-up ---------------------------------------------------------------
    @staticmethod
    def _source(runner) -> nn.Module:
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def before_run(self, runner) -> None:
        super().before_run(runner)
        ema = [type(h).__name__ for h in runner.hooks
               if type(h).__name__ == 'EMAHook']
        if ema:
            raise ValueError(
                f'{type(self).__name__} and {ema[0]} both swap averaged '
                'weights into the model for validation and checkpoints; '
                'use one of them (remove EMAHook from custom_hooks or '
                "default_hooks['swa'])")
        self.swa_model = StochasticWeightAverage(self._source(runner))

    def before_train(self, runner) -> None:
        max_epochs = max_epochs_of(runner, type(self).__name__)
        start = resolve_epoch(self.swa_start, max_epochs, 'swa_start')
        if start >= max_epochs:
            raise ValueError(
                f'{type(self).__name__}: swa_start={self.swa_start!r} is '
                f'epoch {start}, not one of the {max_epochs} training '
                'epochs (0-based)')
        self._start = start
        runner.logger.info(
            f'{type(self).__name__}: averaging the weights after epochs '
            f'{start}, {start + self.interval}, ... (0-based) of '
            f'{max_epochs}; ' +
            ('the schedule\'s lr is kept' if self.swa_lr is None else
             f'lr annealed ({self.anneal_strategy}) to {self.swa_lr} over '
             f'{self.anneal_epochs} epochs from epoch {start}'))

    # -- the SWA learning rate ------------------------------------------------
    def _param_groups(self, runner) -> List[dict]:
        return runner.optim_wrapper.param_groups

    def before_train_epoch(self, runner) -> None:
        if self.swa_lr is None or runner.epoch < self._start \
                or self.start_lrs is not None:
            return
        self.start_lrs = [g['lr'] for g in self._param_groups(runner)]
        runner.logger.info(
            f'{type(self).__name__}: epoch {runner.epoch} starts the SWA '
            f'phase from lr {self.start_lrs}')

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        if self.swa_lr is None or runner.epoch < self._start:
            return
        a = swa_anneal_factor(runner.epoch, self._start, self.anneal_epochs,
                              self.anneal_strategy)
        for group, lr0 in zip(self._param_groups(runner), self.start_lrs):
            group['lr'] = self.swa_lr * a + lr0 * (1 - a)

    # -- averaging and BatchNorm ----------------------------------------------
    def after_train_epoch(self, runner) -> None:
        epoch = runner.epoch
        if swa_updates_after(epoch, self._start, self.interval):
            self.swa_model.update_parameters(self._source(runner))
            runner.logger.info(
                f'{type(self).__name__}: epoch {epoch} averaged '
                f'({int(self.swa_model.steps)} checkpoints)')
        last = epoch == max_epochs_of(runner, type(self).__name__) - 1
        if last and self.update_bn and self._averaged():
            n = recompute_bn_statistics(self.swa_model.module,
                                        runner.train_dataloader)
            runner.logger.info(
                f'{type(self).__name__}: BatchNorm statistics of the '
                f'averaged model recomputed on the training data ({n} '
                'layers)')

    def _averaged(self) -> bool:
        return self.swa_model is not None and int(self.swa_model.steps) > 0

    # -- evaluation with the averaged model -----------------------------------
    def _swap(self, runner) -> None:
        if not self._averaged():
            return
        avg = self.swa_model.module.state_dict()
        src = self._source(runner).state_dict()
        for key, a in avg.items():
            tmp = a.detach().clone()
            a.copy_(src[key])
            src[key].copy_(tmp)

    def before_val_epoch(self, runner) -> None:
        self._swap(runner)

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._swap(runner)

    def before_test_epoch(self, runner) -> None:
        self._swap(runner)

    def after_test_epoch(self, runner, metrics=None) -> None:
        self._swap(runner)

    # -- checkpoints ----------------------------------------------------------
    @staticmethod
    def _swap_state_dicts(model_state: Dict, swa_state: Dict) -> None:
        for key in list(swa_state):
            if key.startswith('module.') and key[7:] in model_state:
                swa_state[key], model_state[key[7:]] = \
                    model_state[key[7:]], swa_state[key]

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        swa_state = copy.copy(self.swa_model.state_dict())
        if self._averaged():
            self._swap_state_dicts(checkpoint['state_dict'], swa_state)
        checkpoint['swa_state_dict'] = swa_state
        checkpoint['swa_start_lrs'] = self.start_lrs

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if not runner._resume or 'swa_state_dict' not in checkpoint:
            # load_from / test: the state_dict (the averaged model when the
            # checkpoint was saved after averaging began) is the model
            return
        swa_state = checkpoint['swa_state_dict']
        if int(swa_state['steps']) > 0:
            self._swap_state_dicts(checkpoint['state_dict'], swa_state)
        self.swa_model.load_state_dict(swa_state)
        self.start_lrs = checkpoint.get('swa_start_lrs')
